"""UTC timestamps that survive SQLite (which drops the zone) and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def iso_z(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the one timestamp format of every API and CLI output."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
