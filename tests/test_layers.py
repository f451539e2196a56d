"""Layers: gradients against finite differences (float64), pooling ties, memory layouts."""

import math

import numpy as np
import pytest
from gradcheck import assert_close, check_layer

from engine import init
from engine.layers import (
    ACTIVATIONS, ELU, GELU, Conv2D, Dense, Dropout, Flatten, GELUTanh, LeakyReLU, Linear, MaxPool2D, ReLU, Sigmoid,
    SiLU, Sine, Softplus, Tanh, activation, from_spec,
)

F64 = np.float64


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def chwn_view(x):
    """The same NCHW values held in batch-innermost memory, as Conv2D hands them out."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def test_dense_gradients():
    check_layer(Dense(4, 3, rng=1, dtype=F64), rand(5, 4))


def test_dense_forward_is_affine():
    layer = Dense(3, 2, rng=2, dtype=F64)
    x = rand(4, 3)
    expected = x @ layer.params["W"] + layer.params["b"]
    assert np.allclose(layer.forward(x), expected)
    assert layer.out is not None and layer.out.shape == (4, 2)


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), (2, 0), (3, 2)])
def test_conv_gradients(stride, padding):
    layer = Conv2D(2, 3, 3, stride=stride, padding=padding, rng=3, dtype=F64)
    check_layer(layer, rand(2, 2, 6, 5, seed=stride + padding))


def test_conv_rectangular_kernel_gradients():
    check_layer(Conv2D(1, 2, (2, 3), padding=1, rng=4, dtype=F64), rand(3, 1, 4, 5))  # full columns
    check_layer(Conv2D(2, 2, (2, 3), padding=1, rng=4, dtype=F64), rand(3, 2, 4, 5))  # row products
    # A kernel taller than the padded image: its outer rows see only padding, and are skipped
    check_layer(Conv2D(2, 2, (5, 3), padding=2, rng=4, dtype=F64), rand(2, 2, 2, 4))


def test_conv_both_paths_and_wide_padding_gradients():
    layer = Conv2D(2, 3, 3, padding=3, rng=7, dtype=F64)  # padding >= kernel: full columns
    assert not layer._rows and Conv2D(2, 3, 3, padding=2)._rows and not Conv2D(1, 3, 3, padding=1)._rows
    check_layer(layer, rand(2, 2, 4, 4))
    check_layer(Conv2D(3, 2, 5, padding=2, rng=8, dtype=F64), chwn_view(rand(2, 3, 6, 7)))


@pytest.mark.parametrize("in_ch,stride", [(1, 1), (3, 1), (3, 2)])
def test_conv_repeated_steps_match_direct_loops(in_ch, stride):
    """Buffers are reused between steps: padding stays zero after a backward wrote into the columns."""
    layer = Conv2D(in_ch, 4, 5, stride=stride, padding=2, rng=9, dtype=F64)
    for seed in range(3):
        x = rand(3, in_ch, 9, 8, seed=seed)
        expected = naive_conv(x, layer.params["W"], layer.params["b"], stride, 2)
        y = layer.forward(x, train=True)
        assert np.allclose(y, expected)
        layer.backward(np.ones_like(y))


def test_conv_kernel_gradient_over_several_blocks_matches_a_direct_sum(monkeypatch):
    """A one-channel conv sums its kernel gradient over blocks of columns where BLAS has a small-matrix
    GEMM (engine.blas): forced here, so a batch spans several blocks on any CPU."""
    from engine import blas

    monkeypatch.setattr(blas, "_limit", 27 * 1000)  # K=9 rows, O=3 channels: blocks of 1,000 of the 5,400 columns
    layer = Conv2D(1, 3, 3, padding=1, rng=4, dtype=F64)
    x = rand(6, 1, 30, 30, seed=1)
    g = rand(6, 3, 30, 30, seed=2)
    layer.forward(x, train=True)
    layer.backward(g.copy())
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((3, 1, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[:, 0, i, j] = np.einsum("nohw,nhw->o", g, xp[:, 0, i : i + 30, j : j + 30])
    assert 6 * 30 * 30 > 1000
    assert_close(layer.grads["W"], expected, "kernel gradient")


def naive_conv(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


@pytest.mark.parametrize("stride,padding", [(1, 2), (2, 1)])
def test_conv_matches_direct_loops_in_any_layout(stride, padding):
    layer = Conv2D(3, 4, 5, stride=stride, padding=padding, rng=5, dtype=F64)
    x = rand(3, 3, 9, 8)
    expected = naive_conv(x, layer.params["W"], layer.params["b"], stride, padding)
    assert np.allclose(layer.forward(x), expected)
    assert np.allclose(layer.forward(chwn_view(x)), expected)
    assert layer.output_shape((3, 9, 8)) == expected.shape[1:]


def test_conv_unpadded_input_in_chwn_memory_gradients():
    check_layer(Conv2D(2, 2, 3, rng=6, dtype=F64), chwn_view(rand(2, 2, 5, 5)))


@pytest.mark.parametrize("in_ch", [1, 2])
def test_conv_backward_needs_its_forward(in_ch):
    layer = Conv2D(in_ch, 1, 3, padding=1, rng=0, dtype=F64)
    y = layer.forward(rand(1, in_ch, 4, 4))
    layer.backward(np.ones_like(y))
    with pytest.raises(RuntimeError):
        layer.backward(np.ones_like(y))


@pytest.mark.parametrize("size,stride", [(2, None), (3, 2), (2, 1), (3, 3)])
def test_maxpool_gradients(size, stride):
    x = rand(2, 3, 7, 6)  # distinct values: no ties; 7x6 leaves a cropped row/column for size 2 and 3
    check_layer(MaxPool2D(size, stride), x)
    check_layer(MaxPool2D(size, stride), chwn_view(x))


def test_maxpool_forward_values():
    x = rand(2, 2, 6, 6)
    out = MaxPool2D(2).forward(x)
    assert np.array_equal(out, x.reshape(2, 2, 3, 2, 3, 2).max(axis=(3, 5)))


def test_maxpool_keeps_the_input_layout_and_compact_masks():
    x = chwn_view(rand(3, 2, 4, 4))
    layer = MaxPool2D(2)
    out = layer.forward(x)
    assert np.argmin(out.strides) == 0  # batch still innermost
    assert all(w.dtype == np.bool_ and w.strides == tuple(s // 8 for s in out.strides) for w in layer.wins[1:])
    dx = layer.backward(np.ones_like(out))
    assert dx.strides == x.strides and dx.sum() == out.size


def test_maxpool_ties_route_to_exactly_one_element():
    layer = MaxPool2D(2)
    x = np.zeros((1, 1, 4, 4))  # flat background: every window is a four-way tie
    x[0, 0, 2:, 2:] = [[1.0, 3.0], [3.0, 3.0]]  # a three-way tie, first maximum at (2, 3)
    layer.forward(x)
    g = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    dx = layer.backward(g.copy())
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 0, 0], expected[0, 0, 0, 2], expected[0, 0, 2, 0] = 1.0, 2.0, 3.0
    expected[0, 0, 2, 3] = 4.0
    assert np.array_equal(dx, expected)


def test_maxpool_ties_in_overlapping_windows():
    layer = MaxPool2D(2, stride=1)
    layer.forward(np.ones((1, 1, 3, 3)))
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    # each window sends its gradient to its own top-left element only
    assert np.array_equal(dx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_flatten_gradients_and_layout():
    check_layer(Flatten(), rand(2, 3, 2, 2))
    layer = Flatten()
    x = chwn_view(rand(2, 3, 2, 2))
    assert np.array_equal(layer.forward(x), np.ascontiguousarray(x).reshape(2, -1))
    dx = layer.backward(np.ones((2, 12)))
    assert dx.shape == x.shape and dx.strides == x.strides  # back in the input's memory layout


SMOOTH = ["tanh", "sigmoid", "linear", "elu", "softplus", "silu", "gelu", "gelu_tanh", "sine"]


@pytest.mark.parametrize("name", ["relu", "leaky_relu", *SMOOTH])
def test_activation_gradients(name):
    x = rand(4, 5) * 2.5
    x[np.abs(x) < 0.05] = 0.5  # keep away from the ReLUs' kink
    check_layer(activation(name), x)


@pytest.mark.parametrize("name", ["elu", "softplus", "silu", "gelu", "gelu_tanh"])
def test_activation_gradients_far_out(name):
    """Where exp/erfc saturate or underflow: the analytic derivative must still match."""
    check_layer(activation(name), np.array([[-40.0, -12.0, -5.5, 5.5, 12.0, 40.0]]))


def test_gelu_gradient_at_zero_and_across_it():
    check_layer(GELU(), np.array([[0.0, 1e-3, -1e-3, 0.7071, -0.7071]]))


def std_normal_cdf(x):
    return 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2))  # erfc: accurate in the negative tail too


def test_new_activations_match_float64_formulas():
    x = np.concatenate([np.linspace(-9, 9, 721), [-30.0, -1e-4, 0.0, 1e-4, 30.0]])[None, :]
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(ELU().forward(x), np.where(x > 0, x, np.exp(x) - 1), rtol=1e-12, atol=1e-15)
        elu_half = np.where(x > 0, x, 0.5 * (np.exp(x) - 1))
        np.testing.assert_allclose(ELU(0.5).forward(x), elu_half, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(Softplus().forward(x), np.log1p(np.exp(x)), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(SiLU().forward(x), x / (1 + np.exp(-x)), rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(LeakyReLU().forward(x), np.where(x > 0, x, 0.01 * x))
    np.testing.assert_array_equal(activation("leaky_relu").forward(-x), np.where(-x > 0, -x, -0.01 * x))
    np.testing.assert_allclose(Sine().forward(x), np.sin(x), rtol=1e-15)
    tanh_form = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(GELUTanh().forward(x), tanh_form, rtol=1e-12, atol=1e-300)
    exact = x * std_normal_cdf(x)
    gelu = GELU().forward(x)
    # Phi's relative error is that of the erfc fit, < 1.2e-7: tiny in the negative tail, <= 6e-8 |x| above 0
    neg = x < 0
    assert np.all(np.abs(gelu - exact)[neg] <= 1.2e-7 * np.abs(exact[neg]))
    assert np.all(np.abs(gelu - exact)[~neg] <= 6e-8 * x[~neg] + 1e-300)
    assert np.abs(gelu - exact).max() > 0  # (an approximation: the check above is not vacuous)
    # the tanh form is a different function, within 5e-4 of the exact one
    assert 1e-4 < np.abs(tanh_form - exact).max() < 5e-4


# (value, derivative) at x = -1e4; at +1e4 all but sine are the identity
FAR_LEFT = {"elu": (-1.0, 0.0), "softplus": (0.0, 0.0), "silu": (0.0, 0.0), "gelu": (0.0, 0.0),
            "gelu_tanh": (0.0, 0.0), "leaky_relu": (-100.0, 0.01)}


@pytest.mark.parametrize("name", [*FAR_LEFT, "sine"])
def test_new_activations_stay_finite_and_float32_for_huge_inputs(name):
    x = np.array([[-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]], dtype=np.float32)
    layer = activation(name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = layer.forward(x)
        g = layer.backward(np.ones_like(x))
    assert y.dtype == g.dtype == np.float32 and np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    if name in FAR_LEFT:
        assert (y[0, -1], g[0, -1]) == (1e4, 1.0)
        assert (y[0, 0], g[0, 0]) == tuple(np.float32(FAR_LEFT[name]))


def test_activation_names():
    assert set(ACTIVATIONS) == {"relu", "tanh", "sigmoid", "linear", "step", "elu", "softplus", "silu", "gelu",
                                "gelu_tanh", "leaky_relu", "sine"}
    assert isinstance(activation("GELU_TANH"), GELUTanh) and activation("elu").alpha == 1.0
    assert activation("leaky_relu").slope == 0.01


def test_models_with_every_activation_save_and_load(tmp_path):
    from engine.model import Sequential

    rng = np.random.default_rng(0)
    extra = [ELU(0.5), LeakyReLU(0.2)]  # non-default settings must survive too
    for act in [activation(name) for name in ACTIVATIONS] + extra:
        model = Sequential([Dense(3, 4, rng=rng, dtype=F64), act, Dense(4, 2, rng=rng, dtype=F64)])
        path = tmp_path / f"{act.name}.npz"
        model.save(path)
        again = Sequential.load(path)
        assert again.specs() == model.specs() and type(again.layers[1]) is type(act)
        x = rand(5, 3) * 3
        np.testing.assert_array_equal(again.forward(x), model.forward(x))


def test_activation_values():
    x = np.array([[-800.0, -1.0, 0.0, 2.0, 800.0]])
    assert np.array_equal(ReLU().forward(x), np.maximum(x, 0))
    assert np.allclose(Tanh().forward(x), np.tanh(x))
    with np.errstate(over="ignore"):
        assert np.allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    assert np.all(np.isfinite(Sigmoid().forward(x)))
    assert Linear().forward(x) is x
    with pytest.raises(ValueError):
        activation("swish")


def test_dropout_gradients_with_fixed_mask():
    layer = Dropout(0.4)

    def reseed():
        layer.rng = np.random.default_rng(7)  # the same mask on every forward

    check_layer(layer, rand(6, 5), before_forward=reseed)


def test_dropout_masks_scale_and_eval_identity():
    layer = Dropout(0.25, rng=1)
    x = np.ones((400, 50))
    y = layer.forward(x, train=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    assert np.allclose(y[kept], 1 / 0.75)
    assert layer.forward(x, train=False) is x
    first = Dropout(0.5, rng=3).forward(x, train=True)
    assert np.array_equal(first, Dropout(0.5, rng=3).forward(x, train=True))  # seeded


def test_float32_by_default():
    x = rand(2, 1, 6, 6).astype(np.float32)
    for layer in (Conv2D(1, 2, 3, rng=0), MaxPool2D(2), Flatten(), Dense(8, 2, rng=0), Tanh()):
        x = layer.forward(x)
        assert x.dtype == np.float32


def test_inits():
    w, b = init.make("playground", (200, 300), 200, 300, rng=0, n_bias=300)
    assert w.min() >= -0.5 and w.max() <= 0.5 and np.all(b == np.float32(0.1)) and w.dtype == np.float32
    w, b = init.make("glorot", (200, 300), 200, 300, rng=0, n_bias=300)
    assert np.abs(w).max() <= np.sqrt(6 / 500) and abs(w.std() - np.sqrt(2 / 500)) < 0.002 and not b.any()
    w, _ = init.make("he", (400, 300), 400, 300, rng=0, n_bias=300)
    assert abs(w.std() - np.sqrt(2 / 400)) < 0.002
    assert np.array_equal(Dense(3, 3, rng=5).params["W"], Dense(3, 3, rng=5).params["W"])
    with pytest.raises(ValueError):
        init.make("zeros", (2, 2), 2, 2, rng=0, n_bias=2)


def test_specs_rebuild_layers():
    for layer in (Dense(3, 4, init="he"), Conv2D(2, 5, (3, 1), stride=2, padding=1), MaxPool2D(3, 2),
                  Flatten(), Dropout(0.3), ReLU(), Tanh(), Sigmoid(), Linear(), ELU(0.3), LeakyReLU(0.1),
                  Softplus(), SiLU(), GELU(), GELUTanh(), Sine()):
        again = from_spec(layer.spec())
        assert type(again) is type(layer) and again.spec() == layer.spec()
        assert {k: v.shape for k, v in again.params.items()} == {k: v.shape for k, v in layer.params.items()}


def test_output_shapes():
    assert Conv2D(1, 8, 5, padding=2).output_shape((1, 28, 28)) == (8, 28, 28)
    assert Conv2D(3, 4, 3, stride=2).output_shape((3, 9, 9)) == (4, 4, 4)
    assert MaxPool2D(2).output_shape((8, 7, 7)) == (8, 3, 3)
    assert Flatten().output_shape((16, 7, 7)) == (784,)
    with pytest.raises(ValueError):
        Dense(4, 2).output_shape((5,))


def test_assert_close_can_fail():
    with pytest.raises(AssertionError):
        assert_close(np.ones(3), np.ones(3) * 1.001, "self-test")


def test_step_is_a_threshold_and_trains_by_the_perceptron_rule():
    """Step + squared error + SGD must reproduce w += lr * mean((t - y) * x) exactly."""
    from engine.layers import Dense, Step
    from engine.losses import get_loss
    from engine.model import Sequential
    from engine.optimizers import SGD

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 2))
    t = (x[:, :1] + x[:, 1:] > 0).astype(np.float64)
    dense = Dense(2, 1, dtype=np.float64, rng=rng)
    model = Sequential([dense, Step()])
    w, b = dense.params["W"].copy(), dense.params["b"].copy()
    y = model.forward(x, True)
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(y, (x @ w + b > 0).astype(float))
    loss = get_loss("mse")
    loss.forward(y, t)
    model.backward(loss.backward())
    SGD(0.5).step(model)
    err = t - y
    np.testing.assert_allclose(dense.params["W"], w + 0.5 * (x * err).mean(axis=0)[:, None])
    np.testing.assert_allclose(dense.params["b"].reshape(-1), b.reshape(-1) + 0.5 * err.mean())


@pytest.mark.parametrize("in_ch", [1, 3])
def test_conv_evaluates_big_batches_in_chunks(in_ch, monkeypatch):
    layer = Conv2D(in_ch, 4, 5, padding=2, rng=10, dtype=F64)
    monkeypatch.setattr(Conv2D, "EVAL_CHUNK", 3)
    x = rand(8, in_ch, 7, 6)  # 3 chunks of 3, 3 and 2
    expected = naive_conv(x, layer.params["W"], layer.params["b"], 1, 2)
    assert np.allclose(layer.forward(x), expected) and np.allclose(layer.forward(chwn_view(x)), expected)
    y = layer.forward(x, train=True)  # training: one product over the whole batch, and a backward
    assert np.allclose(y, expected) and layer.backward(np.ones_like(y)).shape == x.shape
    layer.forward(x)
    with pytest.raises(RuntimeError):  # an evaluation forward leaves nothing to differentiate
        layer.backward(np.ones_like(y))
