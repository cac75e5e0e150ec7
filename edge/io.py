"""Atomic file writes (a reader never sees a half-written artifact) and output-location checks.

Files and directories edge creates get the permissions a plain ``open()``/``mkdir`` would
give them under the user's umask (``tempfile`` alone would leave them 0600/0700, so a web
server or a colleague could not read a shipped model).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from edge.errors import EdgeError

_UMASK: int | None = None


def current_umask() -> int:
    """The process umask (read once; os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def honour_umask(path: Path, directory: bool = False) -> None:
    """Give a temp-created file (0600) or directory (0700) the umask's usual permissions."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def make_temp_dir(parent: Path, prefix: str) -> Path:
    """A new hidden staging directory in ``parent`` with umask permissions."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    honour_umask(path, directory=True)
    return path


@contextmanager
def located(path: Path) -> Iterator[None]:
    """Name ``path`` in any OS error raised inside that does not name a file of its own.

    A full disk or a lost mount surfaces from ``write()`` or a library's save call with no file
    name; the user must still learn where it happened (one line naming the location).
    """
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    with located(path):
        _write_bytes_atomic(path, data)


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        honour_umask(Path(temp_name))
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays show up in metrics; keep JSON writing dependency-free otherwise.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file edge wrote; a missing or corrupt one is an EdgeError naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EdgeError(f"{path} is missing: {what}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EdgeError(f"{path} is corrupt ({type(error).__name__}): {what}") from None


_OS_ERROR_FIXES = {
    errno.EROFS: "the file system is read-only: choose a writable location",
    errno.EACCES: "permission denied: choose a location you can write to, or fix its permissions",
    errno.EPERM: "operation not permitted: choose a location you can write to",
    errno.ENOSPC: "no space left on the device: free some space or choose another disk",
    errno.EDQUOT: "disk quota exceeded: free some space or choose another disk",
    errno.ENOTDIR: "a path component is a file, not a directory: choose another location",
    errno.EISDIR: "it is a directory where a file was expected: choose another name",
    errno.EEXIST: "a file already exists there: choose another location",
    errno.ENOENT: "no such file or directory: check the path",
    errno.ENAMETOOLONG: "the file name is too long: choose a shorter path",
}


def os_error_message(error: OSError) -> str:
    """One line for an OS error: the file it concerns, and what to do about it."""
    where = error.filename if error.filename is not None else "(file system)"
    if isinstance(where, bytes):
        where = os.fsdecode(where)
    fix = _OS_ERROR_FIXES.get(error.errno or -1, error.strerror or str(error))
    return f"{where}: {fix}"


def check_output_dir(path: Path, what: str) -> Path:
    """Create ``path`` (a directory edge will write into) and prove it is writable, before slow work.

    Raises EdgeError (exit 2) naming the path: a file in the way, a missing parent that cannot be
    made, a read-only or full file system.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise EdgeError(f"{path} is a file, not a directory: choose another {what}")
    try:
        path.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".edge-write-check.", dir=path)
        try:
            os.write(handle, b"x" * 4096)  # a full disk fails here, not after an hour of training
            os.fsync(handle)
        finally:
            os.close(handle)
            os.unlink(probe)
    except OSError as error:
        raise EdgeError(f"cannot write the {what} {path}: {os_error_message(error)}") from None
    return path
