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


@pytest.fixture(autouse=True)
def _fixed_palette():
    """Draw in truecolor Unicode whatever the terminal running the tests says, then restore."""
    from tui import colors

    before = colors.current()
    colors.configure(colors.ColorMode.TRUECOLOR, ascii=False)
    yield
    colors.configure(before.mode, ascii=before.ascii)


def make_app(scenario="classify", values=None, seed=0, **kw):
    """An app that trains only when a test steps it (deterministic frames)."""
    import scenarios
    from tui.app import NNPlayApp

    return NNPlayApp(scenarios.get(scenario), values, seed, autoplay=False, threaded=False, **kw)


STATES = REPO / "screenshots" / "states"


def state_app(name, ascii=False, **kw):
    """An app reopened from a committed state (tools/make_states.py): the same picture on every CPU."""
    import scenarios
    from scenarios.preset import load_preset, open_run
    from tui.app import NNPlayApp

    preset = load_preset(STATES / f"{name}.toml", scenarios.schemas())
    run = open_run(scenarios.get(preset.scenario), preset)
    return NNPlayApp(run=run, ascii=ascii, autoplay=False, threaded=False, **kw)
