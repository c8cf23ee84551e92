"""Atomic outputs: an interrupted job never leaves a file or folder that looks finished."""

import contextlib
import errno
import glob
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from .errors import XnerError


@contextlib.contextmanager
def atomic_output(path: str | Path, directory: bool = False):
    """Yield a temporary sibling path; move it onto `path` only if the block succeeds.

    A full disk, wherever the writer (json, h5py, safetensors) meets it, is an XnerError naming
    `path`; the partial temporary is removed as after any failure."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        _remove(tmp)
        if directory:
            tmp.mkdir()
        try:
            yield tmp
            _remove(path)
            os.replace(tmp, path)
        finally:
            _remove(tmp)
    except Exception as e:
        if not _no_space_left(e):
            raise
        raise XnerError(path, "no space left on the device while writing it (nothing was written)", "free space there, or write elsewhere, and rerun") from None


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _no_space_left(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is a full disk or quota. h5py and
    safetensors give it as text ("errno = 28", "os error 28") in exceptions of their own."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in NO_SPACE:
            return True
        text = str(error)
        if os.strerror(errno.ENOSPC) in text or os.strerror(errno.EDQUOT) in text:
            return True
        error = error.__cause__ or error.__context__
    return False


def hdf5_read_error(path, error: Exception, what: str, remake: str):
    """The XnerError for an HDF5 file h5py could not open: a file another process holds open for
    writing (HDF5 locks it) is not damaged, and deleting it would lose a good file."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, BlockingIOError) or "unable to lock file" in message:
        return XnerError(
            path, "is locked by another process (a job still writing it?)",
            "wait until that job ends; if none is running, HDF5_USE_FILE_LOCKING=FALSE reads it anyway",
        )
    return XnerError(path, f"not a readable {what} ({message})", remake)


def write_json(path: str | Path, data) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def remove_stale_temporaries(path: str | Path) -> None:
    """Remove what killed writers of `path` left behind (.name.tmp-PID of a process that is gone)."""
    path = Path(path)
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.tmp-*"):
        pid = tmp.name.rpartition("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            _remove(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _json_sha256(obj) -> str:
    # Canonical JSON (no spaces, real UTF-8) so the hash does not depend on how a file was laid out.
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def tokens_sha256(token_lists: Sequence[Sequence[str]]) -> str:
    """The hash of a corpus's tokens that word-probability files record (here, not in corpus.py, so
    that reading a soft-label file does not depend on the corpus reader)."""
    return _json_sha256([list(tokens) for tokens in token_lists])
