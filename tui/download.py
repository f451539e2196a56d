"""The in-app MNIST download: a worker with progress on the notice line, and cancel."""

from __future__ import annotations

import time

from textual import work
from textual.message import Message

from engine.errors import NNPlayError


class DownloadProgress(Message):
    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done, self.total = done, total


class DownloadDone(Message):
    def __init__(self, where: str = "", error: str = "") -> None:
        super().__init__()
        self.where, self.error = where, error


class DownloadActions:
    """Mixed into the App for runs that can fetch their data (``run.download_data``)."""

    _cancel_download = False

    def action_download(self) -> None:
        self._cancel_download = False
        self.say("downloading MNIST: progress here; palette → Cancel download stops it")
        self.download_worker()

    def action_cancel_download(self) -> None:
        self._cancel_download = True

    @work(thread=True, exclusive=True, group="download")
    def download_worker(self) -> None:
        last = [0.0]

        def progress(done, total):
            now = time.monotonic()
            if now - last[0] > 0.1 or (total and done >= total):
                last[0] = now
                self.post_message(DownloadProgress(done, total))
            return not self._cancel_download

        try:
            where = self.scenario.download_data(progress)
        except NNPlayError as exc:
            self.post_message(DownloadDone(error=str(exc)))
        else:
            self.post_message(DownloadDone(where))

    def on_download_progress(self, message: DownloadProgress) -> None:
        total = f"/{message.total / 1e6:.1f}" if message.total else ""
        self.say(f"downloading MNIST: {message.done / 1e6:.1f}{total} MB")

    def on_download_done(self, message: DownloadDone) -> None:
        if message.error:
            self.say(f"download: {message.error}", "error")
            return
        self.set_value("data", "full")
        self.say(f"MNIST saved in {message.where}; now training on it")
