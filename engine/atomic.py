"""Atomic writes: a crash or a full disk never leaves half a file where the user's was.

A file that cannot be written is an :class:`~engine.errors.OutputError` naming
it in one line (``cannot write out/x.npz: no such directory out``), never an
``OSError`` about a hidden temp file. :func:`check_writable` asks the same
question up front, so a long run can refuse a bad output path before it starts.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _why(p: Path, exc: OSError) -> str:
    """Why a file cannot be created at ``p``, in words about ``p`` (not about a temp name)."""
    parent = p.parent
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        if parent.is_dir():  # there, but refuses new files (e.g. /proc)
            return f"cannot create files in {parent} ({exc.strerror or exc})"
        for d in (parent, *parent.parents):  # the first missing folder, or a file where one should be
            if d.exists() or d == d.parent:
                if not d.is_dir():
                    return f"{d} is not a directory"
                break
        return f"no such directory {parent}"
    return exc.strerror or str(exc)


def _refuse_directory(p: Path) -> None:
    if p.is_dir():
        raise OutputError(f"cannot write {p}: it is a directory")


def _mkstemp(p: Path) -> tuple[int, str]:
    _refuse_directory(p)
    try:
        return tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {p}: {_why(p, exc)}") from None


def check_writable(path) -> None:
    """Raise :class:`OutputError` unless :func:`atomic_file` could write ``path`` now (creates nothing)."""
    p = Path(path)
    fd, tmp = _mkstemp(p)
    os.close(fd)
    os.unlink(tmp)


def make_parents(path) -> None:
    """Create the folders ``path`` goes in (as a tape's ``Screenshot shots/x.svg`` may ask), or OutputError."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = f"{p.parent} is not a directory" if isinstance(exc, FileExistsError) else _why(p.parent, exc)
        raise OutputError(f"cannot write {p}: {why}") from None


@contextmanager
def atomic_file(path, mode: str = "wb", encoding: str | None = None):
    """Yield a temp file beside ``path``; when the block succeeds it replaces ``path``.

    The result gets the permissions a plain ``open`` would give (mkstemp's are 0600).
    An ``OSError`` on the way (no such folder, no permission, disk full) becomes
    an :class:`OutputError` naming ``path``; the old file, if any, is untouched.
    """
    p = Path(path)
    fd, tmp = _mkstemp(p)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {p}: {exc.strerror or exc}") from None
        raise


def atomic_write_text(path, text: str) -> None:
    with atomic_file(path, "w", encoding="utf-8") as f:
        f.write(text)
