"""Atomic writes: a crash, a kill or a full disk never leaves a half-written file or folder.

The data go to a temporary file (or staging folder) beside the destination, are flushed to disk,
and only then replace the destination with :func:`os.replace` (atomic on POSIX and Windows).

Temporaries are named ``.NAME.RANDOM.PID.steelseg-tmp`` (a folder being replaced is moved aside
as ``.NAME.RANDOM.PID.steelseg-old``): the suffix marks them as SteelSeg's own and the PID says
which process wrote them. A process killed mid-write leaves one behind; the next write into the
same folder (or :func:`remove_stale_temporaries`) removes the leftovers of processes that are no
longer running, restoring a replaced folder whose successor never arrived. Nothing else is touched.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

TEMP_SUFFIX = ".steelseg-tmp"
OLD_SUFFIX = ".steelseg-old"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{8}\.(?P<pid>\d+)(?P<kind>\.steelseg-tmp|\.steelseg-old)$")
COPY_CHUNK = 1 << 20
_cleaned: set[str] = set()


def _read_umask() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # at import, before any thread could create files
    os.umask(mask)
    return mask


_UMASK = _read_umask()
FILE_MODE = 0o666 & ~_UMASK
FOLDER_MODE = 0o777 & ~_UMASK


def temporary_name(path: Path, suffix: str = TEMP_SUFFIX) -> Path:
    """A fresh hidden name beside ``path`` marked as this process's temporary."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.{os.getpid()}{suffix}")


@contextlib.contextmanager
def _staged_file(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file opened for writing beside ``path``; on success it is synced and moved over
    ``path``, on any exception (or kill) ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_once(path.parent)
    tmp = temporary_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None:  # a failed write() names no file: name the one being written
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> Path:
    """Call ``write(file_object)`` on a temporary file, then move it over ``path``.

    If ``write`` raises (a full disk included), the temporary file is removed and ``path`` is left
    as it was. Returns the destination path.
    """
    path = Path(path)
    with _staged_file(path) as (handle, _):
        write(handle)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Atomically write ``data`` to ``path``."""
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write ``obj`` as indented UTF-8 JSON; NaN and infinities become ``null``, so the
    file is always standard JSON."""
    text = json.dumps(_finite_or_null(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Copy the file ``source`` to ``path`` atomically, keeping its modification time."""
    path = Path(path)
    with open(source, "rb") as reader, _staged_file(path) as (handle, tmp):
        shutil.copyfileobj(reader, handle, COPY_CHUNK)
        handle.flush()
        stat = os.fstat(reader.fileno())
        os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return path


def atomic_folder(path: str | os.PathLike, fill: Callable[[Path], Any]) -> Path:
    """Call ``fill(folder)`` on a fresh staging folder, then put it in place of ``path``.

    If ``fill`` raises, ``path`` is left as it was. An existing ``path`` (the caller has checked
    that it may be replaced) is moved aside only once the new folder is complete, and removed
    once the new one is in place. Folders get the normal permissions (``0777`` less the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    staging = temporary_name(path)
    staging.mkdir(FOLDER_MODE)
    try:
        fill(staging)
        _sync_tree(staging)
    except OSError as exc:  # named after the folder being written, not its staging name
        shutil.rmtree(staging, ignore_errors=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = None
    if path.exists() or path.is_symlink():
        previous = temporary_name(path, OLD_SUFFIX)
        os.replace(path, previous)
    os.replace(staging, path)
    if previous is not None:
        _remove(previous)
    return path


def clean_once(folder: Path) -> None:
    """:func:`remove_stale_temporaries` the first time this process writes into ``folder``."""
    key = str(folder.absolute())
    if key not in _cleaned:
        _cleaned.add(key)
        remove_stale_temporaries(folder)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the leftovers of interrupted SteelSeg writes in ``folder`` (only entries marked as
    SteelSeg temporaries whose process is gone). A folder moved aside to be replaced is put back
    when its replacement never arrived. Returns what was removed or restored."""
    folder = Path(folder)
    handled = []
    with contextlib.suppress(OSError):
        for entry in list(folder.iterdir()):
            match = _LEFTOVER.match(entry.name)
            if match is None or _process_alive(int(match["pid"])):
                continue
            target = folder / match["name"]
            if match["kind"] == OLD_SUFFIX and not (target.exists() or target.is_symlink()):
                os.replace(entry, target)
            else:
                _remove(entry)
            handled.append(entry)
    return handled


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _sync_tree(folder: Path) -> None:
    """Give the staging folder's files the normal permissions (a library may create them 0600) and
    flush the folder's entries to disk, so the folder put in place is complete and readable."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.chmod(path, FILE_MODE)
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _finite_or_null(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _finite_or_null(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_null(value) for value in obj]
    return obj
