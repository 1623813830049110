"""Audit entries of the event loop's hot routes, committed in groups.

Issuing a batch of upload URLs changes no row, yet the audit log records it
(SPEC §9), and the answer must not go out before its entry is durable. One
commit per request would serialise every batch behind its own fsync; here the
requests' entries queue up while the previous group commits, and one writer
thread commits each group in one transaction: under load many entries share an
fsync, alone an entry commits at once. A request awaits its group's commit, so
an answered request's entry is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from landingzone.db.audit import insert_audits
from landingzone.domain.audit import AuditEntry


@dataclass
class _Waiting:
    entry: AuditEntry
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


class GroupCommitAudit:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._waiting: list[_Waiting] = []
        self._wake = threading.Condition()
        self._writer: threading.Thread | None = None

    async def record(self, entry: AuditEntry) -> None:
        """Return once ``entry`` is committed; raise what its commit raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        with self._wake:
            self._waiting.append(_Waiting(entry, loop, done))
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_groups, name="lz-audit-writer", daemon=True
                )
                self._writer.start()
            self._wake.notify()
        await done

    def _write_groups(self) -> None:
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                group, self._waiting = self._waiting, []
            error: BaseException | None = None
            try:
                with self._engine.begin() as conn:
                    insert_audits(conn, [w.entry for w in group])
            except Exception as exc:  # each waiting request answers with the failure
                error = exc
            for waiting in group:
                # A closed event loop (RuntimeError) has nobody waiting for the answer.
                with contextlib.suppress(RuntimeError):
                    waiting.loop.call_soon_threadsafe(_settle, waiting.done, error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.cancelled():
        return  # the request went away; its entry was committed (or failed) anyway
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
