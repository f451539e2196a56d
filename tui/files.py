"""What the app writes and reads: models, presets, screenshots. Every failure is one line; nothing is half-written."""

from __future__ import annotations

import time
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.errors import NNPlayError
from scenarios.preset import save_run

from .screens import PathPrompt

SCREENSHOT_DIR = "nnplay-screenshots"


def unused_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem-2.suffix``, ``-3``...: never an existing file."""
    p = folder / f"{stem}{suffix}"
    n = 2
    while p.exists():
        p = folder / f"{stem}-{n}{suffix}"
        n += 1
    return p


class FileActions:
    """Mixed into the App: the save / load keys and their path prompts."""

    def action_screenshot(self, path: str | None = None) -> str | None:
        """An SVG of the screen; without a path, a new file in ./nnplay-screenshots/ (never overwriting one)."""
        try:
            if path is None:
                folder = Path(SCREENSHOT_DIR)
                folder.mkdir(exist_ok=True)
                p = unused_path(folder, f"{self.scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}", ".svg")
            else:
                p = Path(path)
            atomic_write_text(p, self.export_screenshot())
        except OSError as exc:
            self.say(f"cannot save screenshot {path or SCREENSHOT_DIR}: {exc.strerror or exc}", "error")
            return None
        self.say(f"saved screenshot {p}")
        return str(p)

    def action_save_model(self) -> None:
        self._ask("Save the model's weights to (.npz):", f"nnplay-{self.scenario.name}.npz",
                  lambda path: self.scenario.save_model(path), "saved model to {path}")

    def action_load_model(self) -> None:
        self._ask("Load weights from (.npz):", f"nnplay-{self.scenario.name}.npz",
                  lambda path: self.scenario.load_model(path), "loaded weights from {path}")

    def save_preset(self, path: str) -> str:
        state = save_run(self.scenario, path)
        extra = f" (weights and history in {state})" if state else ""
        return f"saved preset to {path}{extra}: reopen with nnplay --preset {path}"

    def action_save_preset(self) -> None:
        self._ask("Save this setup as a TOML preset (trained weights go beside it):", f"nnplay-{self.scenario.name}.toml",
                  self.save_preset, None)

    def _ask(self, title: str, default: str, fn, ok: str | None) -> None:
        def done(path):
            if path:
                self.file_op(lambda: fn(path), ok.format(path=path) if ok else None)

        self.push_screen(PathPrompt(title, default), done)

    def file_op(self, fn, ok: str | None) -> None:
        try:
            with self.ui_lock():
                said = fn()
        except OSError as exc:
            self.say(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip(), "error")
            return
        except NNPlayError as exc:
            self.say(str(exc), "error")
            return
        self.say(ok or said or "done")
        self.refresh_snapshot()
