"""Worker threads that claim uploaded files and validate them, with leases and a reconciler.

The file row is the truth (SPEC §8): a claim moves it to Processing under a new
attempt and a lease; a heartbeat renews the lease while the work runs; the
reconciler returns files whose lease expired (a killed worker) to the queue,
or fails them after ``max_attempts``. Used inside ``landingzone serve`` and
alone by ``landingzone worker``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass

from landingzone.domain.ports import FileCatalog
from landingzone.pipeline.job import ValidationJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerSettings:
    workers: int = 1
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    reconcile_seconds: float = 5.0
    max_attempts: int = 3


class PipelineRunner:
    def __init__(self, files: FileCatalog, job: ValidationJob, settings: RunnerSettings) -> None:
        self._files = files
        self._job = job
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.settings.workers):
            thread = threading.Thread(
                target=self._loop, args=(index,), name=f"lz-pipeline-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        log.info("validation workers started: %d", self.settings.workers)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; wait for work in flight (its lease expires if it outlives us)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- the work -----------------------------------------------------------------

    def reconcile(self) -> None:
        requeued, failed = self._files.requeue_expired(self.settings.max_attempts)
        expired = self._files.expire_unused()
        if requeued or failed or expired:
            log.info(
                "reconciler: %d returned to the queue, %d failed after retries, "
                "%d upload URLs expired unused", requeued, failed, expired,
            )  # fmt: skip

    def run_once(self) -> bool:
        """Claim and validate one file; False when the queue is empty."""
        record = self._files.claim(self._owner, self.settings.lease_seconds)
        if record is None:
            return False
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(record.id, record.attempt, done), daemon=True
        )
        heartbeat.start()
        try:
            self._job.run(record)
        except Exception:
            # The lease will expire and the reconciler retries the file.
            log.exception("validating file %s attempt %d failed", record.id, record.attempt)
        finally:
            done.set()
            heartbeat.join()
        return True

    def _heartbeat(self, file_id: str, attempt: int, done: threading.Event) -> None:
        interval = self.settings.lease_seconds / 3
        while not done.wait(interval):
            if not self._files.renew(file_id, attempt, self.settings.lease_seconds):
                log.warning("file %s attempt %d: claim lost", file_id, attempt)
                return

    def _loop(self, index: int) -> None:
        since_reconcile = self.settings.reconcile_seconds
        while not self._stop.is_set():
            try:
                if index == 0 and since_reconcile >= self.settings.reconcile_seconds:
                    self.reconcile()
                    since_reconcile = 0.0
                if self.run_once():
                    continue
            except Exception:
                log.exception("pipeline worker error; retrying")
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()
            since_reconcile += self.settings.poll_seconds
