"""engine.fusion: a conv and its 2x2 pool as one window-major training step, against the two layers."""

import numpy as np
import pytest
from gradcheck import check_layer

from engine import builders, im2col
from engine.fusion import ConvPool, fuse
from engine.layers import Conv2D, MaxPool2D, ReLU

F64 = np.float64


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("c,h,w,k,pad", [(1, 8, 6, 5, 2), (2, 7, 9, 3, 0), (1, 6, 6, 3, 1), (3, 5, 8, 2, 1)])
def test_window_major_columns_are_the_columns_reordered_and_col2im_is_their_adjoint(c, h, w, k, pad):
    x = rand(c, h, w, 3)
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    ho2, wo2 = ho - ho % 2, wo - wo % 2  # planes cover the even part
    standard = im2col.im2col(x, k, k, 1, pad, ho, wo, out=np.zeros((c, k, k, ho, wo, 3)))
    q = np.zeros(im2col.phases_shape(c, h, w, 3, pad))
    planes = im2col.im2col_planes(x, k, k, pad, out=np.zeros((c, k, k, 2, 2, ho2 // 2, wo2 // 2, 3)), q=q)
    reordered = standard[:, :, :, :ho2, :wo2].reshape(c, k, k, ho2 // 2, 2, wo2 // 2, 2, 3).transpose(0, 1, 2, 4, 6, 3, 5, 7)
    assert np.array_equal(planes, reordered)
    d = rand(*planes.shape, seed=1)
    back = im2col.col2im_planes(d, pad, np.empty_like(q), out=np.empty_like(x))
    assert np.isclose(np.sum(planes * d), np.sum(x * back))  # <A x, d> == <x, A^T d>


def test_fused_step_gradients_float64():
    check_layer(ConvPool(Conv2D(1, 3, 5, padding=2, rng=1, dtype=F64), MaxPool2D(2)), rand(2, 1, 8, 6))


@pytest.mark.parametrize("shape,planes", [((3, 1, 8, 6), True), ((3, 1, 7, 6), False), ((3, 2, 8, 8), False)])
def test_fused_step_matches_the_two_layers(shape, planes):
    """Same outputs (bit for bit) and gradients; odd sizes and row-product convs fall back to the two layers."""
    rng = np.random.default_rng(0)
    conv = Conv2D(shape[1], 4, 3, padding=1, rng=rng, dtype=F64)
    ref_conv, pool, ref_pool = Conv2D(shape[1], 4, 3, padding=1, rng=0, dtype=F64), MaxPool2D(2), MaxPool2D(2)
    ref_conv.params = {k: v.copy() for k, v in conv.params.items()}
    ref_conv.grads = {k: np.zeros_like(v) for k, v in conv.params.items()}
    step = ConvPool(conv, pool)
    x = rand(*shape)
    x[:, :, :3, :3] = 0.0  # flat: ties
    for _ in range(2):  # buffers are reused: the second round must not see the first's
        y = step.forward(x, train=True)
        assert step._planes is planes
        y_ref = ref_pool.forward(ref_conv.forward(x, train=True), True)
        assert np.array_equal(y, y_ref)
        g = rand(*y.shape, seed=2)
        dx, dx_ref = step.backward(g.copy()), ref_conv.backward(ref_pool.backward(g.copy()))
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-13, atol=1e-15)
        for k in conv.grads:
            np.testing.assert_allclose(conv.grads[k], ref_conv.grads[k], rtol=1e-13, atol=1e-15)
        x = rand(*shape, seed=3)


def test_fuse_pairs_a_conv_with_a_2x2_pool_only():
    conv, pool, relu = Conv2D(1, 2, 3, padding=1, rng=0), MaxPool2D(2), ReLU()
    steps = fuse([conv, pool, relu, Conv2D(2, 2, 3, rng=0), MaxPool2D(3, 2)])
    assert isinstance(steps[0], ConvPool) and steps[0].conv is conv and steps[0].pool is pool
    assert [type(s) for s in steps[1:]] == [ReLU, Conv2D, MaxPool2D]


def test_a_trained_model_evaluates_with_each_layers_own_output():
    model = builders.cnn((2, 3), seed=0)
    assert isinstance(model._train_layers[0], ConvPool)
    x = rand(4, 1, 28, 28).astype(np.float32)
    model.forward(x, train=True)
    model.backward(np.ones((4, 10), np.float32))
    model.forward(x)
    assert model.layers[0].out.shape == (4, 2, 28, 28) and model.layers[2].out.shape == (4, 2, 14, 14)
