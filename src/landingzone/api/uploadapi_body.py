"""The UploadData JSON body (SPEC §5, seed 004), parsed at the edge by a pydantic model.

A bad body is a 422 whose message names the first wrong field and how to fix it,
in the order an uploader fixes them: the required Key, Name and Data first. The
route reads the bytes itself and parses them after its scope check, whatever the
Content-Type (seed 004's clients do not all send ``application/json``).
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from landingzone.domain.uploadapi import UploadDataRequest
from landingzone.errors import Unprocessable

NAME_LIMIT = 256
NOT_JSON = "The body is not valid JSON: send a UTF-8 JSON object with Name, Data and Key."
NOT_OBJECT = "The body must be a JSON object with Name, Data and Key."


def bad_field(message: str) -> PydanticCustomError:
    """One field of the body is wrong; ``message`` says how to fix it (the 422's words)."""
    return PydanticCustomError("upload_data", message)


def _text(body: dict[str, Any], field: str, *, required: bool) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise bad_field(f'{field} is required: add "{field}" to the JSON body.')
        return None
    if not isinstance(value, str):
        raise bad_field(f"{field} must be a JSON string, not {type(value).__name__}.")
    return value


def _overwrite(value: Any) -> bool:
    """JSON booleans, or "true"/"false" in any case (the seed's example sends "false")."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise bad_field(
        f'Overwrite must be true or false (a JSON boolean or the string "true"/"false"), '
        f"not {json.dumps(value)[:40]}."
    )


def _time_zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return ZoneInfo(value.strip()).key
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_field(
            f"TimeZone '{value[:64]}' is not an IANA time zone name: send a name such as "
            "'Europe/Paris' or 'America/New_York', or leave it out to use your account's zone."
        ) from None


def _checked_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The fields in the model's names, checked one by one in the order the answers name them."""
    key = _text(body, "Key", required=True)
    name = _text(body, "Name", required=True)
    data = _text(body, "Data", required=True)
    assert name is not None
    if not name.strip():
        raise bad_field("Name must not be empty: it identifies the submission.")
    if len(name) > NAME_LIMIT:
        raise bad_field(f"Name is longer than {NAME_LIMIT} characters.")
    return {
        "name": name,
        "data": data,
        "event_data": _text(body, "EventData", required=False),
        "username": _text(body, "Username", required=False),
        "key": key,
        "overwrite": _overwrite(body.get("Overwrite")),
        "time_zone": _time_zone(_text(body, "TimeZone", required=False)),
    }


class UploadDataBody(BaseModel):
    """The body's fields; others are ignored. Overwrite arrives as a boolean and TimeZone
    as the zone's canonical name."""

    model_config = ConfigDict(frozen=True, strict=True)

    name: str
    data: str
    event_data: str | None
    username: str | None
    key: str
    overwrite: bool
    time_zone: str | None

    @model_validator(mode="before")
    @classmethod
    def _seed_fields(cls, body: Any) -> Any:
        if not isinstance(body, dict):
            raise bad_field(NOT_OBJECT)
        return _checked_fields(body)

    @classmethod
    def parse(cls, raw: bytes) -> UploadDataBody:
        """The body of ``raw``; Unprocessable (422) says which field is wrong and how."""
        try:
            # json.loads, as before the model: UTF-8, or UTF-16/32 with their BOM.
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise Unprocessable(NOT_JSON) from None
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            raise Unprocessable(exc.errors()[0]["msg"]) from None

    def request(self) -> UploadDataRequest:
        return UploadDataRequest(
            name=self.name,
            data=self.data,
            event_data=self.event_data,
            username=self.username,
            key=self.key,
            overwrite=self.overwrite,
            time_zone=self.time_zone,
        )
