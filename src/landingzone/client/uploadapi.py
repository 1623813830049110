"""The Upload API (SPEC §5): UploadData, then GetResults until the submission is done."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landingzone.client.errors import LandingzoneClientError
from landingzone.client.http import Session, poll

DONE = ("completedsuccessfully", "failed")
FIRST_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Submission:
    token: str
    status: str  # pending, processing, completedsuccessfully or failed
    feedback: list[dict[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status in DONE


def _text(data: str | Path) -> str:
    return data.read_text(encoding="utf-8") if isinstance(data, Path) else data


class UploadApi:
    def __init__(
        self,
        session: Session,
        client_id: str,
        api_key: str | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._session = session
        self._client_id = client_id
        self._api_key = api_key
        self._sleep = sleep

    def _key(self) -> str:
        if not self._api_key:
            raise LandingzoneClientError(
                "the Upload API needs the client's API key: pass api_key= to Client"
            )
        return self._api_key

    def upload_data(
        self,
        name: str,
        data: str | Path,
        events: str | Path | None = None,
        *,
        overwrite: bool = False,
        time_zone: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Submission:
        """Submit Data (and EventData) CSV, text or a file; (``wait``) until it is done."""
        body: dict[str, Any] = {
            "Name": name,
            "Data": _text(data),
            "Key": self._key(),
            "Username": self._client_id,
            "Overwrite": overwrite,
        }
        if events is not None:
            body["EventData"] = _text(events)
        if time_zone is not None:
            body["TimeZone"] = time_zone
        token = str(self._session.request("POST", "/UploadData", json=body).json())
        return self.wait(token, timeout) if wait else Submission(token, "pending")

    def results(self, token: str, data_key: str) -> Any:
        """``status``, ``feedback`` or ``tableofresultids`` of a submission, as JSON."""
        params = {"token": token, "dataKey": data_key, "key": self._key()}
        return self._session.request("GET", "/GetResults", params=params).json()

    def wait(self, token: str, timeout: float | None = None) -> Submission:
        status = poll(
            lambda: str(self.results(token, "status")), lambda status: status in DONE,
            first=FIRST_POLL_SECONDS, cap=MAX_POLL_SECONDS, timeout=timeout, sleep=self._sleep,
        )  # fmt: skip
        if status not in DONE:
            return Submission(token, status)
        feedback = self.results(token, "feedback") if status == "failed" else []
        return Submission(token, status, list(feedback))
