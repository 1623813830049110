"""Operator use-cases for dataset types, and the examples shipped with landingzone.

`landingzone admin dataset ...` and `/admin/v1/datasets` both call these: a type is
added from one JSON document (Table Schema + policy); every change is a new version,
recorded in the audit log as ``dataset.add`` in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from importlib import resources

from landingzone.domain.audit import CLI, Actor
from landingzone.domain.models import DatasetTypeVersion
from landingzone.domain.paging import Page, check_limit
from landingzone.domain.ports import DatasetCatalog
from landingzone.errors import AlreadyExists, InvalidCursor, InvalidDocument, NotFound
from landingzone.validation.schema import DatasetType, DatasetTypeError, parse_dataset_type

SHIPPED_PACKAGE = "landingzone.datasets"
ADD = "dataset.add"
CURSOR_KIND = "datasets"


def shipped_datasets() -> list[DatasetType]:
    files = resources.files(SHIPPED_PACKAGE)
    return [
        parse_dataset_type(entry.read_text(encoding="utf-8"))
        for entry in sorted(files.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


@dataclass(frozen=True)
class DatasetHistory:
    """A dataset type and every version of it, newest first (``versions[0]`` is current)."""

    versions: list[DatasetTypeVersion]

    @property
    def latest(self) -> DatasetTypeVersion:
        return self.versions[0]


class DatasetService:
    def __init__(self, catalog: DatasetCatalog) -> None:
        self._catalog = catalog

    def add(self, document: str | bytes, actor: Actor = CLI) -> DatasetTypeVersion:
        """Add the type ``document`` defines, or a new version of it when it changed.

        InvalidDocument names the field and the problem; AlreadyExists when the
        newest version is already this definition.
        """
        try:
            dataset = parse_dataset_type(document)
        except DatasetTypeError as exc:
            raise InvalidDocument(f"Invalid dataset type: {exc}") from None
        return self._catalog.add(dataset, actor.did(ADD, dataset.name, None))

    def show(self, name: str) -> DatasetTypeVersion:
        found = self._catalog.latest(name)
        if found is None:
            raise NotFound(_unknown(name))
        return found

    def history(self, name: str) -> DatasetHistory:
        versions = self._catalog.versions(name)
        if not versions:
            raise NotFound(_unknown(name))
        return DatasetHistory(versions)

    def list_latest(self) -> list[DatasetTypeVersion]:
        return self._catalog.list_latest()

    def list_page(self, limit: int, cursor: str | None = None) -> Page[DatasetTypeVersion]:
        """A page of the newest versions by name, after the type ``cursor`` names.

        Types are few (one per schema an operator wrote): they are read whole and
        ordered here, by code point, so the order is the same on every database.
        """
        check_limit(limit)
        after = name_after(cursor) if cursor else None
        ordered = sorted(self._catalog.list_latest(), key=lambda v: v.dataset.name)
        found = [v for v in ordered if after is None or v.dataset.name > after]
        more = len(found) > limit
        return Page(found[:limit], name_cursor(found[limit - 1].dataset.name) if more else None)

    def install_shipped(self) -> list[str]:
        """Add the shipped examples whose names are not in the catalog yet."""
        present = self._catalog.names()
        added = []
        for dataset in shipped_datasets():
            if dataset.name in present:
                continue
            try:
                self._catalog.add(dataset, CLI.did(ADD, dataset.name, None))
            except AlreadyExists:
                continue  # another process starting at the same time added it
            added.append(dataset.name)
        return added


def _unknown(name: str) -> str:
    return (
        f"No dataset type named '{name}'; see 'landingzone admin dataset list' "
        "(GET /admin/v1/datasets)."
    )


def name_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_KIND}:{name}".encode()).decode().rstrip("=")


def name_after(cursor: str) -> str:
    """The dataset type name ``cursor`` names; InvalidCursor unless list_page made it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None
    prefix, _, name = raw.partition(":")
    if prefix != CURSOR_KIND or not name:
        raise InvalidCursor()
    return name
