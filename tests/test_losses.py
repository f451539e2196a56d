"""Losses: values against their formulas, gradients against finite differences."""

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from engine.losses import LOSSES, get_loss, softmax

rng = np.random.default_rng(0)


def check_loss_grad(loss, out, target):
    loss.forward(out, target)
    analytic = np.array(loss.backward(), copy=True)
    assert_close(analytic, numeric_grad(lambda: loss.forward(out, target), out), loss.name)


def test_mse_value_and_gradient():
    out, t = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    loss = get_loss("mse")
    value = loss.forward(out, t)
    assert isinstance(value, float)
    assert np.isclose(value, 0.5 * ((out - t) ** 2).sum() / 6)
    check_loss_grad(loss, out, t)


def test_mse_single_output_accepts_flat_targets():
    out, t = rng.standard_normal((5, 1)), rng.standard_normal(5)
    loss = get_loss("mse")
    assert np.isclose(loss.forward(out, t), 0.5 * np.mean((out[:, 0] - t) ** 2))
    check_loss_grad(loss, out, t)


def test_softmax_ce_labels_and_one_hot_agree():
    logits, labels = rng.standard_normal((7, 4)), rng.integers(0, 4, 7)
    one_hot = np.eye(4)[labels]
    loss = get_loss("softmax_ce")
    value = loss.forward(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.isclose(value, -np.log(p[np.arange(7), labels]).mean())
    g_labels = loss.backward().copy()
    assert np.isclose(loss.forward(logits, one_hot), value)
    assert np.allclose(loss.backward(), g_labels)
    check_loss_grad(loss, logits, labels)
    check_loss_grad(loss, logits, rng.dirichlet(np.ones(4), size=7))  # soft targets


def test_softmax_ce_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 999.0]], dtype=np.float32)
    loss = get_loss("softmax_ce")
    value = loss.forward(logits, np.array([0, 2]))
    assert np.isfinite(value) and np.isclose(value, 0.5 * (0 + np.log1p(np.e)), rtol=1e-5)
    assert np.all(np.isfinite(loss.backward()))


def test_bce_value_and_gradient():
    p, t = rng.uniform(0.05, 0.95, (6, 2)), rng.integers(0, 2, (6, 2)).astype(float)
    loss = get_loss("bce")
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / 6
    assert np.isclose(loss.forward(p, t), expected)
    check_loss_grad(loss, p, t)


def test_bce_clips_saturated_probabilities():
    loss = get_loss("bce")
    value = loss.forward(np.array([[0.0], [1.0]]), np.array([1.0, 0.0]))
    assert np.isfinite(value) and value > 10
    assert np.all(np.isfinite(loss.backward()))


def test_bce_logits_matches_bce_on_sigmoid():
    z, t = rng.standard_normal((8, 1)) * 3, rng.integers(0, 2, 8).astype(float)
    fused, plain = get_loss("bce_logits"), get_loss("bce")
    assert np.isclose(fused.forward(z, t), plain.forward(1 / (1 + np.exp(-z)), t))
    check_loss_grad(fused, z, t)
    big = np.array([[800.0], [-800.0]])
    assert np.isclose(fused.forward(big, np.array([0.0, 1.0])), 800.0)


def test_softmax_rows_sum_to_one():
    s = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]]))
    assert np.allclose(s.sum(axis=1), 1) and np.allclose(s[1], [0.5, 0.5, 0])


def test_names():
    assert set(LOSSES) == {"mse", "softmax_ce", "bce", "bce_logits"}
    for name in LOSSES:
        assert get_loss(name).name == name
    with pytest.raises(ValueError):
        get_loss("hinge")
