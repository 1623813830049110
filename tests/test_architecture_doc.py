"""docs/design/architecture.md stays true: the modules it names exist; every SPEC § has a row."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "design" / "architecture.md"
PACKAGE = ROOT / "src" / "landingzone"
# `api/push.py`, `validation/`, `settings.py`: paths inside src/landingzone.
MODULE_PATH = re.compile(r"`((?:[a-z_0-9]+/)*(?:[a-z_0-9]+\.py|[a-z_0-9]+/))`")
SPEC_ROW = re.compile(r"^\| §(\d+)\b", re.MULTILINE)
SPEC_SECTIONS = range(1, 14)


OUTSIDE_PACKAGE = ("src/", "tests/", "docs/", "bench/")


def named_paths() -> list[str]:
    found = MODULE_PATH.findall(DOC.read_text(encoding="utf-8"))
    return [path for path in found if not path.startswith(OUTSIDE_PACKAGE)]


def test_every_module_the_map_names_exists() -> None:
    paths = named_paths()
    assert len(paths) > 40, "the map should name the modules, not just the packages"
    missing = [path for path in paths if not (PACKAGE / path).exists()]
    assert missing == [], f"docs/design/architecture.md names modules that do not exist: {missing}"


def test_every_spec_section_has_a_row() -> None:
    rows = [int(number) for number in SPEC_ROW.findall(DOC.read_text(encoding="utf-8"))]
    assert sorted(set(rows)) == list(SPEC_SECTIONS), rows


def test_every_package_is_described() -> None:
    packages = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists())
    described = {path.split("/")[0] for path in named_paths()}
    assert [name for name in packages if name not in described] == []
