"""engine.data_parallel: a training batch split in halves over two threads gives the batch's gradients."""

import numpy as np
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
