"""The embedded default: one file per key under a directory.

* ``put`` writes a temporary file beside the target and ``os.replace``-s it in, so a
  reader sees the old or the new value, never half of one.
* ``put_if_absent`` of an empty value (an index entry) is one ``O_CREAT | O_EXCL`` create; of
  anything else it writes the temporary file completely, then hard-links it to the target: ``link(2)`` fails with EEXIST when the key exists, so exactly one of many
  racing writers wins, and nobody can read the winner's value before it is whole
  (an ``O_EXCL`` create would expose an empty file between open and write). Where the
  file system has no hard links we fall back to ``O_CREAT | O_EXCL``.
"""

from __future__ import annotations

import errno
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ..retention import RetentionRule, Sweep
from .base import LIST_PAGE, Records, Store, StoreError, check_key

_TMP_PREFIX = ".tmp-"
T = TypeVar("T")


class FileStore(Store):
    local_reads = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.url = f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except IsADirectoryError:
            return None
        except OSError as exc:
            raise StoreError(f"file store read failed for {key!r}: {exc.strerror}") from exc

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = self._write_temp(path, data)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError(f"file store write failed for {key!r}: {exc.strerror}") from exc

    def put_if_absent(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        if not data:  # nothing a reader could see half-written: one exclusive create (index entries)
            try:
                return _in_dir(path, lambda: _create_exclusive(path, data))
            except OSError as exc:
                raise StoreError(f"file store create failed for {key!r}: {exc.strerror}") from exc
        tmp = self._write_temp(path, data)  # no exists() first: a refusal is rare, a stat is not free
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise StoreError(f"file store create failed for {key!r}: {exc.strerror}") from exc
            return _create_exclusive(path, data)
        finally:
            _unlink_quietly(tmp)

    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        """Walks only the directories that can hold keys after ``start_after``, in key order, and
        stops at ``limit``: a page costs what it returns, not the size of the tree under ``prefix``."""
        return list(itertools.islice(self._ordered(prefix, after=start_after), limit))

    def newest(self, prefix: str, limit: int, before: str = "") -> Records:
        """The same walk backwards: the newest ``limit`` records without listing the older ones."""
        if limit <= 0:
            return []
        found = ((key, self.get(key)) for key in self._ordered(prefix, before=before, reverse=True))
        return list(itertools.islice(((k, v) for k, v in found if v is not None), limit))

    def _ordered(
        self, prefix: str, *, after: str = "", before: str = "", reverse: bool = False
    ) -> Iterator[str]:
        directory, _, _ = prefix.rpartition("/")
        base = self.root / directory if directory else self.root
        yield from self._walk(base, f"{directory}/" if directory else "", prefix, after, before, reverse)

    def _walk(
        self, directory: Path, rel: str, prefix: str, after: str, before: str, reverse: bool
    ) -> Iterator[str]:
        try:
            with os.scandir(directory) as scan:
                entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in scan]
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StoreError(f"file store list failed: {exc.strerror}") from exc
        # A directory sorts as "name/": every key under it shares that prefix, so this is key order.
        entries.sort(key=lambda e: (e[0] + "/" if e[1] else e[0]).encode(), reverse=reverse)
        for name, is_dir in entries:
            if name.startswith(_TMP_PREFIX):
                continue
            key = rel + name
            if is_dir:
                sub = key + "/"
                if not (sub.startswith(prefix) or prefix.startswith(sub)):
                    continue
                if after and after > sub and not after.startswith(sub):
                    continue  # every key under it is at or before ``after``
                if before and before <= sub:
                    continue  # every key under it is at or after ``before``
                yield from self._walk(directory / name, sub, prefix, after, before, reverse)
            elif key.startswith(prefix) and key > after and (not before or key < before):
                yield key

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"file store delete failed for {key!r}: {exc.strerror}") from exc

    def temp_files(self) -> Iterator[Path]:
        """Temporary files a writer killed between write and rename left behind (for housekeeping)."""
        for dirpath, _, filenames in os.walk(self.root):
            for name in filenames:
                if name.startswith(_TMP_PREFIX):
                    yield Path(dirpath) / name

    def _write_temp(self, path: Path, data: bytes) -> str:
        try:
            fd, tmp = _in_dir(path, lambda: tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return tmp
        except OSError as exc:
            raise StoreError(f"file store write failed for {path.name!r}: {exc.strerror}") from exc


def _in_dir(path: Path, make: Callable[[], T]) -> T:
    """``make()`` a file in ``path``'s directory, creating the directory only when it is missing
    (the common case, an existing one, costs no mkdir/stat calls)."""
    try:
        return make()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return make()


def _create_exclusive(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _sweep_temp_files(sweep: Sweep, cursor: dict[str, Any], rule: RetentionRule) -> bool:
    """Temporary files a killed writer left behind (only the file store has any)."""
    if not isinstance(sweep.store, FileStore):
        return True
    cutoff = sweep.now - rule.kept_seconds(sweep.settings)
    for path in sweep.store.temp_files():
        sweep.ops += 1
        try:
            if path.stat().st_mtime < cutoff:
                os.unlink(path)
                sweep.deleted += 1
        except FileNotFoundError:
            pass
        if sweep.spent:
            return False
    return True


RETENTION = [RetentionRule("tmp", "", _sweep_temp_files, "retention_tmp_hours")]
