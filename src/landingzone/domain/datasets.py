"""Operator use-cases for dataset types, and the examples shipped with landingzone."""

from __future__ import annotations

from importlib import resources

from landingzone.domain.models import DatasetTypeVersion
from landingzone.domain.ports import DatasetCatalog
from landingzone.errors import InvalidInput, NotFound
from landingzone.validation.schema import DatasetType, DatasetTypeError, parse_dataset_type

SHIPPED_PACKAGE = "landingzone.datasets"


def shipped_datasets() -> list[DatasetType]:
    files = resources.files(SHIPPED_PACKAGE)
    return [
        parse_dataset_type(entry.read_text(encoding="utf-8"))
        for entry in sorted(files.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


class DatasetService:
    def __init__(self, catalog: DatasetCatalog) -> None:
        self._catalog = catalog

    def add(self, document: str | bytes) -> DatasetTypeVersion:
        try:
            dataset = parse_dataset_type(document)
        except DatasetTypeError as exc:
            raise InvalidInput(f"Invalid dataset type: {exc}") from None
        return self._catalog.add(dataset)

    def show(self, name: str) -> DatasetTypeVersion:
        found = self._catalog.latest(name)
        if found is None:
            raise NotFound(f"No dataset type named '{name}'; see 'landingzone admin dataset list'.")
        return found

    def list_latest(self) -> list[DatasetTypeVersion]:
        return self._catalog.list_latest()

    def install_shipped(self) -> list[str]:
        """Add the shipped examples whose names are not in the catalog yet."""
        present = self._catalog.names()
        added = []
        for dataset in shipped_datasets():
            if dataset.name not in present:
                self._catalog.add(dataset)
                added.append(dataset.name)
        return added
