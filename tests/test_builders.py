"""engine.builders: the one place models are built; same layers and the same weights as the builders it replaces."""

import numpy as np
import pytest

from engine import builders
from engine.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Tanh
from scenarios import mnist as mnist_scenario
from scenarios import network


def same_model(a, b):
    assert a.specs() == b.specs()
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("args", [(2, (8, 8), 1, "tanh", "tanh", "playground", 3),
                                  (1, (), 1, "relu", None, "glorot", 0),
                                  (4, (5, 6, 7), 3, "sigmoid", None, "he", 1)])
def test_mlp_is_the_playground_builder(args):
    n_in, hidden, n_out, act, out_act, init, seed = args
    same_model(builders.mlp(n_in, hidden, n_out, act, out_act, init=init, seed=seed),
               network.build_mlp(n_in, hidden, n_out, act, out_act, init, seed))


def test_mlp_is_the_mnist_builder():
    same_model(builders.mlp(784, (64, 32), 10, "relu", init="he", out_init="glorot", seed=2),
               mnist_scenario.build_mlp((64, 32), 2))


@pytest.mark.parametrize("channels, dense", [((8, 16), ()), ((4,), (32,)), ((2, 3, 4), (8, 6))])
def test_cnn_is_the_mnist_builder(channels, dense):
    same_model(builders.cnn(channels, dense, seed=5), mnist_scenario.build_cnn(channels, 5, dense))


def test_cnn_layers_and_shapes():
    model = builders.cnn((8, 16), (256,), seed=0, pool_first=True)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Conv2D, MaxPool2D, ReLU, Conv2D, MaxPool2D, ReLU, Flatten, Dense, ReLU, Dense]
    assert model.summary((1, 28, 28))[-1][1] == (10,)
    assert model.layers[0].padding == 2 and model.layers[-3].n_in == 16 * 7 * 7


def test_dtype_and_output_activation():
    model = builders.mlp(3, (4,), 2, "tanh", "tanh", init="glorot", dtype=np.float64)
    assert model.dtype == np.float64 and isinstance(model.layers[-1], Tanh)
    assert builders.cnn((2,), dtype=np.float64).dtype == np.float64
