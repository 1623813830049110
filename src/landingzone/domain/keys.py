"""Object key layouts: the logical names objects are stored and signed under.

Keys are names, not paths: local storage keeps bytes under generated ids.
"""

from __future__ import annotations

from dataclasses import dataclass

PUSH_PREFIX = "log-connector-data"
# The file types seed 002 names; anything else is a 400.
PUSH_TYPES: tuple[str, ...] = ("users", "contracts", "other")


@dataclass(frozen=True)
class PushKey:
    customer: str
    app_id: str
    type: str | None
    filename: str

    def render(self) -> str:
        parts = [PUSH_PREFIX, self.customer, self.app_id]
        if self.type:
            parts.append(self.type)
        parts.append(self.filename)
        return "/".join(parts)


def parse_push_key(key: str) -> PushKey | None:
    """The inverse of ``PushKey.render``; filenames never contain '/', so it is unambiguous."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == PUSH_PREFIX:
        return PushKey(parts[1], parts[2], None, parts[3])
    if len(parts) == 5 and parts[0] == PUSH_PREFIX:
        return PushKey(parts[1], parts[2], parts[3], parts[4])
    return None


FILES_PREFIX = "analytics-uploads"


@dataclass(frozen=True)
class FilesKey:
    customer: str
    file_id: str
    filename: str

    def render(self) -> str:
        return f"{FILES_PREFIX}/{self.customer}/{self.file_id}/{self.filename}"


def parse_files_key(key: str) -> FilesKey | None:
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == FILES_PREFIX:
        return FilesKey(parts[1], parts[2], parts[3])
    return None
