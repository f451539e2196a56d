"""Where an unexpected error goes: one line on screen, the whole trace in a log file.

The log lives in the user's state directory (``~/.local/state/nnplay/nnplay.log``
on Linux; ``$NNPLAY_LOG`` overrides it), so the notice can name a path the user
can open and attach to a bug report.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from platformdirs import user_state_dir


def log_path() -> Path:
    return Path(os.environ.get("NNPLAY_LOG") or Path(user_state_dir("nnplay")) / "nnplay.log")


def record(exc: BaseException, where: str) -> str:
    """Append ``exc``'s trace to the log; return the one line to show (it names the log, if written)."""
    summary = f"{where}: {type(exc).__name__}: {exc}".replace("\n", " ")
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {where}\n")
            f.write("".join(traceback.format_exception(exc)))
        return f"{summary} (paused; details in {path})"
    except OSError:
        return f"{summary} (paused; the log {path} could not be written)"
