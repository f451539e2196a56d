"""Atomic writes: a crash or a full disk never leaves half a file where the user's was."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path, mode: str = "wb", encoding: str | None = None):
    """Yield a temp file beside ``path``; when the block succeeds it replaces ``path``.

    The result gets the permissions a plain ``open`` would give (mkstemp's are 0600).
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path, text: str) -> None:
    with atomic_file(path, "w", encoding="utf-8") as f:
        f.write(text)
