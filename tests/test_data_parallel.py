"""engine.data_parallel: a training batch split in halves (a worker process or thread) gives the batch's gradients."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from engine import builders, data_parallel
from engine.layers import Dense, Dropout, ReLU
from engine.losses import get_loss
from engine.model import Sequential


def _grads(model, x, y, threads):
    loss = get_loss("softmax_ce")
    with threadpool_limits(threads):
        value = loss.forward(model.forward(x, True), y)
        model.backward(loss.backward())
    return value, model.flat_grads.copy()


def test_split_batch_gives_the_whole_batch_gradient_float64():
    rng = np.random.default_rng(0)
    x, y = rng.random((37, 1, 28, 28)), rng.integers(0, 10, 37)  # odd: halves of 19 and 18
    one = builders.cnn((3, 4), dense=(8,), seed=0, dtype=np.float64)
    two = builders.cnn((3, 4), dense=(8,), seed=0, dtype=np.float64)
    v1, g1 = _grads(one, x, y, 1)
    v2, g2 = _grads(two, x, y, 2)
    assert one._halves is None and two._halves is not None  # the second really was split
    assert abs(v1 - v2) < 1e-12
    np.testing.assert_allclose(g2, g1, rtol=1e-10, atol=1e-13)
    # Again after an update: the copies see the new weights (shared arrays), and the gradients are not accumulated.
    for m in (one, two):
        m.flat_params -= 0.1 * m.flat_grads
    np.testing.assert_allclose(_grads(two, x, y, 2)[1], _grads(one, x, y, 1)[1], rtol=1e-10, atol=1e-13)


def test_split_only_when_it_can_help_and_stays_exact():
    model = builders.cnn((2,), seed=0)
    with threadpool_limits(2):
        assert data_parallel.blas_threads() == 2
        assert data_parallel.eligible(model, 2 * data_parallel.MIN_HALF)
        assert not data_parallel.eligible(model, 2 * data_parallel.MIN_HALF - 1)  # too small to pay
        rng = np.random.default_rng(0)
        drop = Sequential([Dense(4, 4, rng=rng), Dropout(0.5, rng=rng), ReLU(), Dense(4, 2, rng=rng)])
        assert not data_parallel.eligible(drop, 64)  # one mask generator: halves would race for it
        model.input_grad = True
        assert not data_parallel.eligible(model, 64)
    with threadpool_limits(1):
        model.input_grad = False
        assert data_parallel.blas_threads() == 1
        assert not data_parallel.eligible(model, 64)


def test_split_restores_blas_threads():
    rng = np.random.default_rng(1)
    model = builders.cnn((2,), seed=0)
    with threadpool_limits(2):
        _grads(model, rng.random((40, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 40), 2)
        assert model._halves is not None
        assert data_parallel.blas_threads() == 2


def test_process_and_thread_halves_give_the_same_numbers(monkeypatch):
    """The worker process runs the same arithmetic as the worker thread: equal to the last bit."""
    rng = np.random.default_rng(2)
    x, y = rng.random((40, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 40)
    proc = builders.cnn((3, 4), dense=(8,), seed=0)
    _, g_proc = _grads(proc, x, y, 2)
    assert isinstance(proc._halves, data_parallel.ProcessParallel)
    monkeypatch.setenv("NNPLAY_HALVES", "thread")
    thread = builders.cnn((3, 4), dense=(8,), seed=0)
    _, g_thread = _grads(thread, x, y, 2)
    assert type(thread._halves) is data_parallel.DataParallel
    np.testing.assert_array_equal(g_proc, g_thread)
    proc._halves.close()


def test_a_dead_worker_process_is_one_error_then_a_new_worker():
    rng = np.random.default_rng(3)
    x, y = rng.random((40, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 40)
    model = builders.cnn((2,), seed=0)
    _, before = _grads(model, x, y, 2)
    first = model._halves
    first.process.kill()
    first.process.wait()
    with pytest.raises(data_parallel.HalfWorkerError, match="stopped"):
        _grads(model, x, y, 2)
    _, after = _grads(model, x, y, 2)  # a new worker, the same gradients
    assert model._halves is not first and model._halves.process.poll() is None
    np.testing.assert_array_equal(after, before)
    model._halves.close()


def test_a_script_without_a_main_guard_is_not_run_again(tmp_path):
    """multiprocessing's spawn would import the caller's script in the worker; ours starts a bare interpreter."""
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})\n"
        "from threadpoolctl import threadpool_limits\n"
        "from engine import builders\n"
        "print('script ran', flush=True)\n"
        "m = builders.cnn((2,), seed=0)\n"
        "with threadpool_limits(2):\n"
        "    m.forward(np.zeros((40, 1, 28, 28), np.float32), True)\n"
        "print(type(m._halves).__name__, flush=True)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "NNPLAY_HALVES"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["script ran", "ProcessParallel"]


def test_dropping_the_model_ends_its_worker_process():
    rng = np.random.default_rng(4)
    model = builders.cnn((2,), seed=0)
    _grads(model, rng.random((40, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 40), 2)
    worker = model._halves.process
    assert worker.poll() is None
    del model  # no reference cycle holds it: the worker is told to stop right here
    assert worker.wait(timeout=5) == 0


@pytest.mark.parametrize("halves", ["process", "thread"])
def test_infer_scores_a_big_batch_on_the_halves_as_forward_does(monkeypatch, halves):
    if halves == "thread":
        monkeypatch.setenv("NNPLAY_HALVES", "thread")
    rng = np.random.default_rng(5)
    x = rng.random((301, 1, 28, 28))
    model = builders.cnn((3, 4), dense=(8,), seed=0, dtype=np.float64)
    whole = model.forward(x)
    with threadpool_limits(2):
        split = model.infer(x)
        assert model._halves is not None  # it really ran as halves
        small = model.infer(x[:20])  # too small to split: the plain forward
    np.testing.assert_allclose(split, whole, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(small, whole[:20], rtol=1e-12, atol=1e-14)
    # Training after an evaluation on the halves still gives the whole batch's gradient.
    y = rng.integers(0, 10, 301)
    ref = builders.cnn((3, 4), dense=(8,), seed=0, dtype=np.float64)
    np.testing.assert_allclose(_grads(model, x, y, 2)[1], _grads(ref, x, y, 1)[1], rtol=1e-10, atol=1e-13)
