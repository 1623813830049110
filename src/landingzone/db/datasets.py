"""The dataset type catalog: every version of every schema an operator added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from landingzone.db.audit import insert_audit
from landingzone.db.tables import dataset_types
from landingzone.domain.audit import AuditEntry
from landingzone.domain.models import DatasetTypeVersion
from landingzone.errors import AlreadyExists
from landingzone.timeutil import as_utc, utcnow
from landingzone.validation.schema import DatasetType, load_stored_dataset_type


def _version(row: Any) -> DatasetTypeVersion:
    return DatasetTypeVersion(
        id=row.id,
        version=row.version,
        dataset=load_stored_dataset_type(row.definition),
        created_at=as_utc(row.created_at),
    )


class DatasetRepository:
    RETRIES = 5

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, dataset: DatasetType, audit: AuditEntry | None = None) -> DatasetTypeVersion:
        """Store ``dataset`` as the next version of its name, and ``audit`` with it.

        AlreadyExists when the newest version is this very definition: adding it
        again would only make a version that differs in number.
        """
        definition = dataset.to_json()
        for _ in range(self.RETRIES):
            try:
                with self._engine.begin() as conn:
                    latest = conn.execute(
                        select(dataset_types.c.version, dataset_types.c.definition)
                        .where(dataset_types.c.name == dataset.name)
                        .order_by(dataset_types.c.version.desc())
                        .limit(1)
                    ).first()
                    if latest is not None and latest.definition == definition:
                        raise AlreadyExists(
                            f"Dataset type '{dataset.name}' version {latest.version} is already "
                            "this definition: change it to add a new version."
                        )
                    row = conn.execute(
                        insert(dataset_types)
                        .values(
                            name=dataset.name,
                            version=(latest.version if latest else 0) + 1,
                            definition=definition,
                            created_at=utcnow(),
                        )
                        .returning(*dataset_types.c)
                    ).one()
                    if audit is not None:
                        insert_audit(conn, audit)
                return _version(row)
            except IntegrityError:
                continue  # a concurrent add took the version number; take the next
        raise RuntimeError(f"could not add a version of dataset type {dataset.name!r}")

    def latest(self, name: str) -> DatasetTypeVersion | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(dataset_types)
                .where(dataset_types.c.name == name)
                .order_by(dataset_types.c.version.desc())
                .limit(1)
            ).first()
        return _version(row) if row else None

    def get(self, version_id: int) -> DatasetTypeVersion | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(dataset_types).where(dataset_types.c.id == version_id)
            ).first()
        return _version(row) if row else None

    def list_latest(self) -> list[DatasetTypeVersion]:
        newest = (
            select(dataset_types.c.name, func.max(dataset_types.c.version).label("version"))
            .group_by(dataset_types.c.name)
            .subquery()
        )
        query = (
            select(dataset_types)
            .join(
                newest,
                (dataset_types.c.name == newest.c.name)
                & (dataset_types.c.version == newest.c.version),
            )
            .order_by(dataset_types.c.name)
        )
        with self._engine.connect() as conn:
            return [_version(row) for row in conn.execute(query).all()]

    def versions(self, name: str) -> list[DatasetTypeVersion]:
        query = (
            select(dataset_types)
            .where(dataset_types.c.name == name)
            .order_by(dataset_types.c.version.desc())
        )
        with self._engine.connect() as conn:
            return [_version(row) for row in conn.execute(query).all()]

    def names(self) -> set[str]:
        with self._engine.connect() as conn:
            return {row.name for row in conn.execute(select(dataset_types.c.name).distinct())}
