"""Which MNIST the mnist scenario trains on (data=auto|full|subset), read once per process."""

from __future__ import annotations

import os

from engine.datasets import mnist
from engine.errors import DataError

_loaded: dict[tuple, mnist.MnistData] = {}


def load_data(mode: str) -> mnist.MnistData:
    """MNIST for ``data=mode``, cached per process (the full set takes ~0.3 s to read)."""
    key = (mode, os.environ.get(mnist.ENV_DIR, ""), str(mnist.cache_dir()))
    if key not in _loaded:
        if mode == "subset":
            _loaded[key] = mnist.load_subset()
        elif mode == "full":
            try:
                _loaded[key] = mnist.load(download=False)
            except DataError as exc:
                raise DataError(f"data=full: {exc}") from None
        else:
            _loaded[key] = mnist.load_or_subset(download=False)
    return _loaded[key]


def data_note(data: mnist.MnistData, mode: str) -> str:
    counts = f"{len(data.train_labels):,} train / {len(data.test_labels):,} test"
    if data.source == "full":
        return f"full MNIST ({counts})"
    if mode == "subset":
        return f"bundled subset ({counts}), chosen with data=subset"
    note = f"bundled subset ({counts}): set {mnist.ENV_DIR} for the full 60,000"
    if os.environ.get(mnist.ENV_DIR):  # the user pointed somewhere and it did not work: say why
        note += f" ({data.note.removeprefix('using the bundled MNIST subset: ')})"
    return note


def forget() -> None:
    """After a download what data=auto finds has changed."""
    _loaded.clear()
