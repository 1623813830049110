"""Worker threads that claim uploaded files and Upload API submissions, with leases.

The row is the truth (SPEC §8): a claim moves it to Processing under a new
attempt and a lease; a heartbeat renews the lease while the work runs; the
reconciler returns work whose lease expired (a killed worker) to the queue,
or fails it after ``max_attempts``. Used inside ``landingzone serve`` and
alone by ``landingzone worker``. Submissions are claimed before files: they
are small and their callers poll for the answer, while a file may take
minutes (a worker busy with a file still delays them; run more workers).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.landing import LandingCounts
from landingzone.domain.models import Submission
from landingzone.domain.ports import FileQueue, SubmissionQueue
from landingzone.pipeline.job import ValidationJob
from landingzone.pipeline.scratch import remove_stale_scratch

log = logging.getLogger(__name__)

# A failed lease renewal is retried this often until the lease would expire.
RENEW_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class RunnerSettings:
    workers: int = 1
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    reconcile_seconds: float = 5.0
    max_attempts: int = 3
    landing_seconds: float = 2.0


class SubmissionRunner(Protocol):
    def run(self, submission: Submission) -> bool: ...


class UploadLander(Protocol):
    def land_all(self) -> LandingCounts: ...


class RetiredFileSweeper(Protocol):
    def sweep(self) -> int: ...


class PipelineRunner:
    def __init__(
        self,
        files: FileQueue,
        job: ValidationJob,
        submissions: SubmissionQueue,
        submission_job: SubmissionRunner,
        settings: RunnerSettings,
        lander: UploadLander | None = None,
        retirement: RetiredFileSweeper | None = None,
    ) -> None:
        self._files = files
        self._retirement = retirement
        self._lander = lander
        self._job = job
        self._submissions = submissions
        self._submission_job = submission_job
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        # Before any claim: a killed worker's scratch files would otherwise stay forever.
        remove_stale_scratch(self._job.temp_dir)
        self._stop.clear()
        for index in range(self.settings.workers):
            thread = threading.Thread(
                target=self._loop, args=(index,), name=f"lz-pipeline-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        if self._lander is not None:
            # Its own thread: a worker busy with a large file must not hold up landing.
            thread = threading.Thread(target=self._land_loop, name="lz-lander", daemon=True)
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
        more_requeued, more_failed = self._submissions.requeue_expired(self.settings.max_attempts)
        requeued, failed = requeued + more_requeued, failed + more_failed
        expired = self._files.expire_unused()
        if self._retirement is not None:
            # What a crash left of superseded and retracted files (their own commit
            # removes it at once otherwise).
            self._retirement.sweep()
        if requeued or failed or expired:
            log.info(
                "reconciler: %d returned to the queue, %d failed after retries, "
                "%d upload URLs expired unused", requeued, failed, expired,
            )  # fmt: skip

    def run_once(self) -> bool:
        """Claim and process one submission or file; False when both queues are empty."""
        submission = self._submissions.claim(self._owner, self.settings.lease_seconds)
        if submission is not None:
            self._run_leased(
                f"submission {submission.token}", submission.attempt,
                lambda: self._submission_job.run(submission),
                lambda: self._submissions.renew(
                    submission.token, submission.attempt, self.settings.lease_seconds
                ),
            )  # fmt: skip
            return True
        record = self._files.claim(self._owner, self.settings.lease_seconds)
        if record is None:
            return False
        self._run_leased(
            f"file {record.id}", record.attempt,
            lambda: self._job.run(record),
            lambda: self._files.renew(record.id, record.attempt, self.settings.lease_seconds),
        )  # fmt: skip
        return True

    def _run_leased(
        self, what: str, attempt: int, work: Callable[[], object], renew: Callable[[], bool]
    ) -> None:
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(what, attempt, renew, done), daemon=True
        )
        heartbeat.start()
        try:
            work()
        except Exception:
            # The lease will expire and the reconciler retries the work.
            log.exception("processing %s attempt %d failed", what, attempt)
        finally:
            done.set()
            heartbeat.join()

    def _heartbeat(
        self, what: str, attempt: int, renew: Callable[[], bool], done: threading.Event
    ) -> None:
        lease = self.settings.lease_seconds
        expires = time.monotonic() + lease  # the claim was made just before
        while not done.wait(lease / 3):
            renewed = self._renew(what, attempt, renew, done, expires)
            if renewed is None:
                return
            expires = renewed

    def _renew(
        self,
        what: str,
        attempt: int,
        renew: Callable[[], bool],
        done: threading.Event,
        expires: float,
    ) -> float | None:
        """Renew the lease, retrying a failed renewal (a database blip) until the lease
        would expire; the new expiry, or None when the claim is lost or the work done."""
        lease = self.settings.lease_seconds
        while True:
            asked = time.monotonic()
            try:
                if renew():
                    return asked + lease
                log.warning("%s attempt %d: claim lost", what, attempt)
                return None
            except Exception as exc:
                left = expires - time.monotonic()
                if left <= 0:
                    log.error(
                        "%s attempt %d: the lease expired while renewing it failed (%s); "
                        "the claim is lost", what, attempt, exc,
                    )  # fmt: skip
                    return None
                log.warning(
                    "%s attempt %d: renewing the lease failed (%s); retrying for %.1f s more",
                    what, attempt, exc, left,
                )  # fmt: skip
                if done.wait(min(RENEW_RETRY_SECONDS, left)):
                    return None

    def _land_loop(self) -> None:
        assert self._lander is not None
        while not self._stop.is_set():
            try:
                if self._lander.land_all().landed:
                    self._wake.set()  # new files may be queued for validation
            except Exception:
                log.exception("landing S3 uploads failed; retrying")
            self._stop.wait(self.settings.landing_seconds)

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
