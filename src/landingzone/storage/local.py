"""Local-disk object store: the default backend, so production code.

Layout under the root: ``objects/ab/cd/<storage id>`` for committed bytes and
``staging/<upload id>.part`` for uploads in flight; both ids are generated and
checked by ``storage/ids.py`` before they become a path, so no request-supplied
text ever does. A staged file is held under an exclusive ``flock`` for as long
as its request runs: a second PUT of the same URL sees the lock (409), and a
killed process releases it, so startup cleanup can tell abandoned temp files
from live ones.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from landingzone.errors import StorageFull
from landingzone.storage.base import UploadInFlight
from landingzone.storage.durable import fsync_dir, make_dirs_durable
from landingzone.storage.ids import checked_upload_id, is_storage_id, new_storage_id, shard_path
from landingzone.storage.ranged import sliced

COPY_BLOCK = 1024 * 1024
# Start writeback of what has been written every this many bytes, so the final
# fsync finds little left to flush instead of a whole file's dirty pages.
WRITEBACK_EVERY = 8 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2


def _load_sync_file_range() -> Callable[[int], None] | None:
    """``sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)`` where libc has it (Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]

    def start_writeback(fd: int) -> None:
        function(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)  # advisory: a failure only costs speed

    return start_writeback


start_writeback = _load_sync_file_range()


def _raise_if_full(exc: OSError) -> None:
    if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        raise StorageFull("no space left on the object store") from exc


def _write_all(fd: int, block: bytes | memoryview) -> None:
    view = memoryview(block)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _still_linked(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class LocalStagedUpload:
    def __init__(self, store: LocalObjectStore, path: Path, fd: int) -> None:
        self._store = store
        self._path = path
        self._fd: int | None = fd
        self._unflushed = 0

    def write(self, block: bytes | memoryview) -> None:
        assert self._fd is not None, "write after commit or abort"
        try:
            _write_all(self._fd, block)
        except OSError as exc:
            _raise_if_full(exc)
            raise
        self._unflushed += len(block)
        if self._unflushed >= WRITEBACK_EVERY and start_writeback is not None:
            start_writeback(self._fd)
            self._unflushed = 0

    def commit(self) -> str:
        assert self._fd is not None, "commit after commit or abort"
        storage_id = new_storage_id()
        target = self._store.path_for(storage_id)
        try:
            os.fsync(self._fd)
            make_dirs_durable(target.parent, self._store.objects_dir)
            os.rename(self._path, target)
            fsync_dir(target.parent)
            fsync_dir(self._path.parent)
        except OSError as exc:
            self.abort()
            _raise_if_full(exc)
            raise
        self._close()
        return storage_id

    def abort(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # also releases the flock
            self._fd = None


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects_dir = root / "objects"
        self.staging_dir = root / "staging"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, storage_id: str) -> Path:
        return self.objects_dir / shard_path(storage_id)

    # ObjectStore

    def put(self, source: BinaryIO) -> str:
        staged = self._stage(f"put-{secrets.token_hex(8)}")
        try:
            while block := source.read(COPY_BLOCK):
                staged.write(block)
            return staged.commit()
        finally:
            staged.abort()

    def open(self, storage_id: str) -> BinaryIO:
        return self.path_for(storage_id).open("rb")

    def open_range(self, storage_id: str, start: int, length: int) -> BinaryIO:
        return sliced(self.open(storage_id), start, length)

    def local_path(self, storage_id: str) -> Path | None:
        return self.path_for(storage_id)

    def size(self, storage_id: str) -> int:
        return self.path_for(storage_id).stat().st_size

    def download(self, storage_id: str, target: Path) -> None:
        shutil.copyfile(self.path_for(storage_id), target)

    def delete(self, storage_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(storage_id).unlink()

    def ping(self) -> None:
        if not os.access(self.staging_dir, os.W_OK):
            raise OSError(f"{self.staging_dir} is not writable")

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free

    # StagingStore

    def begin_upload(self, upload_id: str) -> LocalStagedUpload:
        return self._stage(checked_upload_id(upload_id))

    def _stage(self, name: str) -> LocalStagedUpload:
        path = self.staging_dir / f"{name}.part"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            _raise_if_full(exc)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UploadInFlight(name) from None
        if not _still_linked(fd, path):
            # The previous holder unlinked the file between our open and our lock.
            os.close(fd)
            return self._stage(name)
        # The lock holder owns the file: whatever an earlier, dead attempt left is dropped.
        os.ftruncate(fd, 0)
        return LocalStagedUpload(self, path, fd)

    def cleanup_staging(self) -> int:
        removed = 0
        for path in self.staging_dir.glob("*.part"):
            try:
                fd = os.open(path, os.O_WRONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live request is writing it
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
            finally:
                os.close(fd)
        return removed

    def storage_ids(self) -> list[str]:
        """Every committed storage id (for orphan reconciliation)."""
        return [p.name for p in self.objects_dir.glob("*/*/*") if is_storage_id(p.name)]

    def storage_ids_older_than(self, seconds: float, now: float) -> list[str]:
        """Committed storage ids last modified more than ``seconds`` before ``now``."""
        old: list[str] = []
        for sid in self.storage_ids():
            with contextlib.suppress(FileNotFoundError):
                if now - self.path_for(sid).stat().st_mtime > seconds:
                    old.append(sid)
        return old
