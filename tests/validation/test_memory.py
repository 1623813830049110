"""Arrow's allocator for validation (validation/memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.validator import Validator

SHOW_POOL = (
    "import pyarrow as pa\n"
    "from landingzone.domain.datasets import shipped_datasets\n"
    "from landingzone.validation.validator import Validator\n"
    "Validator(shipped_datasets()[0])\n"
    "print(pa.default_memory_pool().backend_name)\n"
)


def pool_in_child(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run(
        [sys.executable, "-c", SHOW_POOL], env={**environment, **env},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_a_validator_makes_jemalloc_the_arrow_pool() -> None:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow build has no jemalloc")
    Validator(shipped_datasets()[0])
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        pytest.skip("the operator's ARROW_DEFAULT_MEMORY_POOL wins")
    assert pa.default_memory_pool().backend_name == "jemalloc"
    assert pool_in_child() == "jemalloc"


def test_the_operators_choice_of_pool_wins() -> None:
    assert pool_in_child(ARROW_DEFAULT_MEMORY_POOL="system") == "system"
