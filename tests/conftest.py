import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The canonical MNIST files: $NNPLAY_MNIST_TEST_DIR, else <repo>/../shared/data/mnist; skip if absent."""
    path = Path(os.environ.get("NNPLAY_MNIST_TEST_DIR") or REPO.parent / "shared" / "data" / "mnist")
    if not path.is_dir():
        pytest.skip(f"MNIST test files not found in {path} (set NNPLAY_MNIST_TEST_DIR)")
    return path
