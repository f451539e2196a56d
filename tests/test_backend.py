"""The array-module switch. No GPU here, so the device path runs on a NumPy-backed stand-in for
CuPy: it proves the plumbing (code takes the `xp is not numpy` branches, moves data with
asarray/asnumpy, never mixes modules) and that results match the CPU, not CuPy itself."""

import sys
import types

import numpy as np
import pytest

from engine import backend
from engine.errors import BackendError


def fake_cupy(devices=1):
    mod = types.ModuleType("cupy")
    mod.__getattr__ = lambda name: getattr(np, name)  # every array function, from NumPy
    mod.asnumpy = lambda a: np.asarray(a)
    mod.random = types.SimpleNamespace(default_rng=np.random.default_rng)
    mod.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: devices))
    return mod


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy())
    assert backend.use("gpu") == "gpu"
    yield
    backend.use("cpu")


def test_cpu_is_the_default_and_env_selects(monkeypatch):
    monkeypatch.delenv("NNPLAY_DEVICE", raising=False)
    assert backend.use() == "cpu" and backend.xp is np
    monkeypatch.setenv("NNPLAY_DEVICE", "tpu")
    with pytest.raises(BackendError, match="unknown device 'tpu'"):
        backend.use()


def test_missing_cupy_or_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(BackendError, match="needs CuPy"):
        backend.use("gpu")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(devices=0))
    with pytest.raises(BackendError, match="no GPU"):
        backend.use("gpu")
    assert backend.xp is np  # a failed switch leaves the CPU in place


def _train(name, values, steps):
    import scenarios

    run = scenarios.get(name)(values, seed=0)
    run.step(steps)
    snap = run.snapshot()
    return run.metrics(), [np.asarray(w) for w in run.model.get_weights()], snap


@pytest.mark.parametrize("name,values,steps", [
    ("classify", {"dataset": "spiral", "layers": "6,4"}, 200),
    ("mnist", {"model": "cnn", "data": "subset", "channels": "4,8"}, 20),
])
def test_device_path_matches_the_cpu(gpu, name, values, steps):
    on_device = _train(name, values, steps)
    backend.use("cpu")
    on_cpu = _train(name, values, steps)
    assert on_device[0] == pytest.approx(on_cpu[0], rel=1e-5)
    for a, b in zip(on_device[1], on_cpu[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert on_device[2].status.device == "gpu" and on_cpu[2].status.device == "cpu"  # the status line says where it ran
