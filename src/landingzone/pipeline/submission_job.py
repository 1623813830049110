"""Running one claimed Upload API submission and committing its outcome, fenced.

Light on purpose: the validation worker process imports this at start, and
the processing (``submission.py``, with pyarrow, DuckDB and numpy) only when a
submission arrives, so an idle worker stays small.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from landingzone.domain.models import Submission, SubmissionOutcome, SubmissionStatus
from landingzone.domain.ports import DatasetCatalog, SubmissionQueue, SubmissionStore
from landingzone.pipeline.job import retryable

log = logging.getLogger(__name__)


@dataclass
class SubmissionJob:
    submissions: SubmissionQueue
    datasets: DatasetCatalog
    store: SubmissionStore
    error_cap: int

    def run(self, submission: Submission) -> bool:
        """Process a claimed submission; True if this attempt's result was committed."""
        from landingzone.pipeline.submission import (
            IncompatibleDatasetType,
            StoredObjectCorrupted,
            SubmissionProcessor,
        )

        processor = SubmissionProcessor(self.datasets, self.store, self.error_cap)
        try:
            outcome = processor.process(submission)
        except IncompatibleDatasetType as exc:
            outcome = SubmissionOutcome(SubmissionStatus.FAILED, None, None, str(exc), 0, 0, 1)
        except StoredObjectCorrupted as exc:
            # An operator problem, never the customer's data error: no feedback rows.
            log.error("submission %s: %s (storage id %s)", submission.token, exc, exc.storage_id)
            outcome = SubmissionOutcome(SubmissionStatus.FAILED, None, None, str(exc), 0, 0, 1)
        except Exception as exc:
            if retryable(exc):
                raise  # the lease expires and the reconciler retries it
            # Processing it again would fail the same way: fail it now, saying why.
            log.error(
                "submission %s attempt %d: processing failed; failing it without retrying",
                submission.token, submission.attempt, exc_info=exc,
            )  # fmt: skip
            cause = (str(exc).strip().splitlines() or [""])[0][:300]
            reason = (
                f"landingzone could not process this submission ({type(exc).__name__}: "
                f"{cause}); retrying would not help. Report it to the operator with the token."
            )
            outcome = SubmissionOutcome(SubmissionStatus.FAILED, None, None, reason, 0, 0, 1)
        committed = self.submissions.complete(submission, outcome)
        if not committed:
            log.warning(
                "submission %s attempt %d lost its claim; result discarded",
                submission.token, submission.attempt,
            )  # fmt: skip
            for storage_id in (outcome.feedback_storage_id, outcome.results_storage_id):
                if storage_id:
                    self.store.delete(storage_id)
        return committed
