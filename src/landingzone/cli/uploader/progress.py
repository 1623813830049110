"""What `landingzone files upload` shows while it works, on standard error.

On a terminal: a progress bar while the bytes go up, then a spinner with the
file's status until the verdict. Elsewhere (a pipe, a CI log): one line per
step and per status change, no control characters. Either way the file id is
printed as soon as the server gives it, and again if Ctrl-C stops the command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from landingzone.client import FileStatus
from landingzone.client.files import StatusCallback
from landingzone.client.push import Progress as ProgressCallback

# What each status means to someone waiting for it.
MEANING = {
    "Pending": "queued for validation",
    "Processing": "being validated",
    "Completed": "validated",
    "Failed": "failed",
}


class UploadWatcher:
    """The upload's story on standard error; ``quiet`` (--json) keeps only plain lines."""

    def __init__(self, path: Path, *, quiet: bool) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.live = self.console.is_terminal and not quiet
        self.file_id: str | None = None
        self.stage = "starting"  # starting, sending (once the id is known), uploaded, waiting
        self.status: str | None = None

    def say(self, text: str) -> None:
        self.console.print(escape(text))

    def created(self, file_id: str) -> None:
        self.file_id = file_id
        self.stage = "sending"  # from here until the PUT's answer, nothing is stored
        self.say(f"file {file_id}: uploading {self.path.name} ({self.size:,} bytes)")

    @contextmanager
    def sending(self) -> Iterator[ProgressCallback | None]:
        if not self.live:
            yield None
            self.stage = "uploaded"
            self.say(f"file {self.file_id}: uploaded")
            return
        columns = (
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
        )  # fmt: skip
        name = escape(self.path.name)
        with Progress(*columns, console=self.console) as bar:
            # The SDK reads the file once for its Content-MD5 before the first byte goes.
            task = bar.add_task(f"{name} (checksum)", total=self.size)

            def update(_: str, sent: int, size: int) -> None:
                bar.update(task, completed=sent, description=name)

            yield update
            self.stage = "uploaded"
            bar.update(task, completed=self.size)

    @contextmanager
    def waiting(self, first: FileStatus) -> Iterator[StatusCallback]:
        self.stage = "waiting"
        self.status = first.status
        if not self.live:
            self.say(f"file {first.id}: {first.status} ({MEANING.get(first.status, '')})")

            def changed(status: FileStatus) -> None:
                if status.status != self.status:
                    self.status = status.status
                    self.say(f"file {status.id}: {status.status}")

            yield changed
            return
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=True) as spinner:
            task = spinner.add_task(self._describe(first))

            def update(status: FileStatus) -> None:
                self.status = status.status
                spinner.update(task, description=self._describe(status))

            yield update

    @staticmethod
    def _describe(status: FileStatus) -> str:
        meaning = MEANING.get(status.status, "")
        return escape(f"{status.id}  {status.status}" + (f": {meaning}" if meaning else ""))

    def interrupted(self) -> None:
        """Ctrl-C: say where the file stands and how to follow it."""
        if self.file_id is None:
            self.say("interrupted: nothing was uploaded.")
        elif self.stage == "sending":
            self.say(
                f"interrupted: the upload of file {self.file_id} stopped and nothing was "
                "stored; run the command again to upload the file."
            )
        else:
            state = f" and {self.status}" if self.status else ""
            self.say(
                f"interrupted: file {self.file_id} is uploaded{state}; the server carries on. "
                f"Follow it with: landingzone files status {self.file_id}"
            )
