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


def test_bce_logits_is_stable_for_huge_float32_logits():
    z = np.array([[1e4], [-1e4], [1e4], [-1e4], [0.0], [50.0]], dtype=np.float32)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    loss = get_loss("bce_logits")
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # exp(-1e4) may underflow to 0: exact
        value = float(loss.forward(z, t))
        grad = loss.backward()
    # confidently wrong rows cost |z|, confidently right ones ~0, z = 0 costs log 2
    assert np.isclose(value, (1e4 + 1e4 + np.log(2) + 50) / 6, rtol=1e-6)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad[:, 0], np.array([1, -1, 0, 0, -0.5, 1]) / 6, atol=1e-7)


def test_bce_logits_gradient_in_the_saturated_regime():
    """float64 finite differences where a sigmoid is flat: a wrong logit still gets ~+-1/n."""
    z = np.array([[30.0], [-30.0], [30.0], [-30.0]])
    t = np.array([0.0, 1.0, 1.0, 0.0])
    loss = get_loss("bce_logits")
    check_loss_grad(loss, z, t)
    loss.forward(z, t)
    assert_close(loss.backward()[:, 0], np.array([1.0, -1.0, 0.0, 0.0]) / 4, "saturated", atol=1e-12)


def test_sigmoid_then_bce_stops_learning_where_bce_logits_does_not():
    """Why the scenarios use bce_logits: in float32 a sigmoid of +-20 is exactly 1 or 0,
    clipped BCE then charges the same for z = 20 as for z = 40 and the gradient
    reaching the logits is exactly zero, however wrong the output."""
    from engine.layers import Sigmoid

    t = np.array([0.0, 1.0], dtype=np.float32)  # both outputs confidently wrong
    bce, fused = get_loss("bce"), get_loss("bce_logits")
    clipped = []
    for scale in (20.0, 40.0):
        z = np.array([[scale], [-scale]], dtype=np.float32)
        sigmoid = Sigmoid()
        p = sigmoid.forward(z)
        assert p[0, 0] == 1.0 and p[1, 0] == 0.0  # saturated to exactly 1 and 0
        clipped.append(float(bce.forward(p, t)))
        assert not np.any(sigmoid.backward(bce.backward()))  # d loss / d z == 0
        assert np.isclose(float(fused.forward(z, t)), scale, rtol=1e-6)  # the true loss
        np.testing.assert_allclose(fused.backward()[:, 0], [0.5, -0.5])  # +-1/n
    assert clipped[0] == clipped[1] < 17  # -log(eps) whatever z: the clip, not the logit


def test_forward_returns_a_float64_scalar():
    """On the CPU a Python float, as before; the GPU path (a 0-d float64 array) rounds the same way."""
    from engine.losses import _device_mean

    out32, t32 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    for name, target in (("mse", t32), ("softmax_ce", np.array([0, 2, 1, 1])), ("bce", rng.uniform(0, 1, (4, 3))),
                         ("bce_logits", rng.integers(0, 2, (4, 3)))):
        out = np.abs(out32) / 4 if name == "bce" else out32
        value = get_loss(name).forward(out, target)
        assert type(value) is float and np.isfinite(value), name
    for total in np.float32(rng.standard_normal(200) * 100):
        for n, scale in ((10, 0.5), (37, -1.0), (64, 1.0)):
            device = _device_mean(np.asarray(total), n, scale)
            assert device.shape == () and device.dtype == np.float64 and float(device) == scale * float(total) / n


def test_softmax_rows_sum_to_one():
    s = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]]))
    assert np.allclose(s.sum(axis=1), 1) and np.allclose(s[1], [0.5, 0.5, 0])


def test_names():
    assert set(LOSSES) == {"mse", "softmax_ce", "bce", "bce_logits"}
    for name in LOSSES:
        assert get_loss(name).name == name
    with pytest.raises(ValueError):
        get_loss("hinge")
