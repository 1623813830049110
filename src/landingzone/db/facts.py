"""Installation facts kept in the database (``server_facts``)."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from landingzone.db.tables import server_facts


class FactRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, name: str) -> str | None:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(server_facts.c.value).where(server_facts.c.name == name)
            ).scalar()
        return None if value is None else str(value)

    def setdefault(self, name: str, value: str) -> str:
        """Store ``value`` unless the fact exists; return the stored value."""
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(server_facts).values(name=name, value=value))
        except IntegrityError:
            pass
        stored = self.get(name)
        assert stored is not None
        return stored
