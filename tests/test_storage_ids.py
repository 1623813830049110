"""Storage ids and the shard layout (storage/ids.py), shared by the local and S3 stores."""

from __future__ import annotations

import pytest

from landingzone.storage.ids import (
    checked_upload_id,
    is_storage_id,
    new_storage_id,
    shard_path,
)


def test_a_new_storage_id_is_valid_and_sharded_by_its_first_four_characters() -> None:
    storage_id = new_storage_id()
    assert is_storage_id(storage_id)
    assert shard_path(storage_id) == f"{storage_id[:2]}/{storage_id[2:4]}/{storage_id}"
    assert new_storage_id() != storage_id


@pytest.mark.parametrize("bad", ["../../etc/passwd", "g" * 32, "0" * 31, "0" * 33, "A" * 32, ""])
def test_anything_else_never_becomes_a_path(bad: str) -> None:
    assert not is_storage_id(bad)
    with pytest.raises(ValueError, match="invalid storage id"):
        shard_path(bad)


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65, "a b"])
def test_upload_ids_are_checked(bad: str) -> None:
    assert checked_upload_id("Ab_-9" * 12) == "Ab_-9" * 12
    with pytest.raises(ValueError, match="invalid upload id"):
        checked_upload_id(bad)
