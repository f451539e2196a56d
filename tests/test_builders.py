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


def test_the_scenarios_build_through_it():
    """classify, gates, regress and mnist get their networks here: same seed, same weights."""
    same_model(builders.mlp(2, (8, 8), 1, ("tanh", "relu"), "tanh", init="playground", seed=3),
               network.build_mlp(2, (8, 8), 1, "tanh,relu", "tanh", "playground", 3))
    run = mnist_scenario.MnistRun({"data": "subset", "hidden": (64, 32)}, seed=2)
    same_model(run.model, builders.mlp(784, (64, 32), 10, "relu", init="he", out_init="glorot", seed=2))
    run.set("model", "cnn")
    same_model(run.model, builders.cnn((8, 16), (), seed=2))


def test_per_layer_activations_repeat_the_last():
    kinds = [type(layer).__name__ for layer in builders.mlp(2, (3, 3, 3), 1, ("tanh", "relu")).layers]
    assert kinds == ["Dense", "Tanh", "Dense", "ReLU", "Dense", "ReLU", "Dense"]
    a, b = builders.mlp(4, (5,), 2, seed=1), builders.mlp(4, (5,), 2, seed=2)
    assert not np.array_equal(a.get_weights()[0], b.get_weights()[0])


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
