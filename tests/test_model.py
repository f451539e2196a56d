"""Sequential: end-to-end gradients, flat parameter buffer, summary, model files."""

import os
import zipfile

import numpy as np
import pytest
from gradcheck import assert_close, numeric_grad

from engine.errors import ModelFileError
from engine.fusion import ConvPool
from engine.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sigmoid, Tanh
from engine.losses import get_loss
from engine.model import Sequential
from engine.optimizers import SGD

F64 = np.float64


def small_cnn(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([
        Conv2D(1, 3, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2D(2),
        Conv2D(3, 4, 3, stride=1, rng=rng, dtype=dtype), Tanh(),
        Flatten(), Dense(16, 5, rng=rng, dtype=dtype), Sigmoid(), Dropout(0.2, rng=rng), Dense(5, 3, rng=rng, dtype=dtype),
    ])


def test_end_to_end_gradients():
    model = small_cnn(F64)
    model.input_grad = True
    rng = np.random.default_rng(1)
    x, labels = rng.standard_normal((3, 1, 8, 8)), np.array([0, 2, 1])
    loss = get_loss("softmax_ce")

    def f():
        return loss.forward(model.forward(x), labels)

    f()
    dx = model.backward(loss.backward())
    grads = model.flat_grads.copy()
    assert_close(grads, numeric_grad(f, model.flat_params), "model d/dparams")
    assert_close(dx, numeric_grad(f, x), "model d/dx")


@pytest.mark.parametrize("pool", [(2, None), (3, 2)])
@pytest.mark.parametrize("flat", [False, True])
def test_training_pools_before_relu_with_the_same_values_and_gradients(pool, flat):
    """Training runs ReLU-then-MaxPool as MaxPool-then-ReLU (engine.model.train_order), and a conv with the
    2x2 pool after it as one window-major step (engine.fusion): the same outputs and the same gradients as
    the written order (to the last bits: the kernel gradient sums its columns in another order), also with
    a flat zero patch (ties, windows with no positive value), and gradients that match finite differences
    (without the patch: ties have none)."""
    rng = np.random.default_rng(2)
    features = 3 * 3 * 3 if pool[0] == 2 else 3 * 2 * 2
    model = Sequential([Conv2D(1, 3, 3, padding=1, rng=rng, dtype=F64), ReLU(), MaxPool2D(*pool), ReLU(),
                        Flatten(), Dense(features, 2, rng=rng, dtype=F64)])
    steps = [type(step) for step in model._train_layers[:3]]
    assert steps == ([ConvPool, ReLU, ReLU] if pool[0] == 2 else [Conv2D, MaxPool2D, ReLU])
    model.input_grad = True
    x = rng.standard_normal((3, 1, 6, 6))
    if flat:
        x[:, :, :3, :3] = 0.0  # the conv gives equal values there
    labels = np.array([0, 1, 1])
    loss = get_loss("softmax_ce")
    value = loss.forward(model.forward(x, train=True), labels)
    dx = model.backward(loss.backward())
    grads = model.flat_grads.copy()
    assert value == loss.forward(model.forward(x), labels)
    assert model.layers[1].out.shape == (3, 3, 6, 6)  # evaluation keeps each layer's own output
    written_dx = model.backward(loss.backward())  # the written order's backward, after that evaluation
    np.testing.assert_allclose(grads, model.flat_grads, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(dx, written_dx, rtol=1e-13, atol=1e-16)
    if not flat:
        def f():
            return loss.forward(model.forward(x), labels)

        assert_close(grads, numeric_grad(f, model.flat_params), "train-order d/dparams")
        assert_close(dx, numeric_grad(f, x), "train-order d/dx")


def test_parameters_are_views_of_one_flat_buffer_weights_first():
    model = Sequential([Dense(2, 3, rng=0), Tanh(), Dense(3, 1, rng=1)])
    params = model.parameters()
    assert [(i, name) for i, name, _, _ in params] == [(0, "W"), (0, "b"), (2, "W"), (2, "b")]
    assert model.n_params() == 6 + 3 + 3 + 1 and model.n_decay == 9
    for _, _, p, g in params:
        assert np.shares_memory(p, model.flat_params) and np.shares_memory(g, model.flat_grads)
    before = model.flat_params.copy()
    model.forward(np.ones((4, 2)))
    model.backward(np.ones((4, 1)))
    SGD(0.1).step(model)
    assert np.allclose(model.flat_params, before - 0.1 * model.flat_grads)
    assert not np.array_equal(model.layers[0].params["W"], before[:6].reshape(2, 3))


def test_first_layer_skips_input_gradient():
    model = Sequential([Flatten(), Dense(4, 2, rng=0)])
    model.forward(np.ones((2, 2, 2)))
    assert model.backward(np.ones((2, 2))) is None
    assert not model.layers[1].input_grad and model.flat_grads.any()


def test_activations_and_summary():
    model = small_cnn()
    out = model.forward(np.zeros((2, 1, 8, 8), np.float32))
    assert out.shape == (2, 3) and len(model.activations) == len(model.layers)
    assert model.activations[0].shape == (2, 3, 8, 8) and model.activations[-1] is out
    rows = model.summary((1, 8, 8))
    assert rows[0] == ("Conv2D", (3, 8, 8), 30) and rows[2] == ("MaxPool2D", (3, 4, 4), 0)
    assert rows[5] == ("Flatten", (16,), 0) and rows[-1] == ("Dense", (3,), 18)
    table = model.summary_table((1, 8, 8))
    assert "conv 3x3x3 pad1" in table and "maxpool 2" in table and "dense 16->5" in table
    assert table.splitlines()[-1].split() == ["total", f"{model.n_params():,}"]
    with pytest.raises(ValueError):
        model.summary((1, 10, 10))  # Flatten gives 36 where Dense expects 16


def test_get_and_set_weights():
    a, b = small_cnn(seed=0), small_cnn(seed=1)
    x = np.random.default_rng(2).standard_normal((2, 1, 8, 8)).astype(np.float32)
    assert not np.allclose(a.forward(x), b.forward(x))
    b.set_weights(a.get_weights())
    assert np.array_equal(a.forward(x), b.forward(x))
    with pytest.raises(ValueError):
        b.set_weights(a.get_weights()[:-1])


def test_save_load_round_trip(tmp_path):
    model = small_cnn(seed=3)
    path = tmp_path / "net.npz"
    model.save(path, meta={"scenario": "mnist", "lr": 0.01})
    assert os.listdir(tmp_path) == ["net.npz"]  # no temp file left behind
    with np.load(path, allow_pickle=False) as data:
        assert "__spec__" in data.files
    again = Sequential.load(path)
    assert again.specs() == model.specs() and again.meta == {"scenario": "mnist", "lr": 0.01}
    x = np.random.default_rng(4).standard_normal((3, 1, 8, 8)).astype(np.float32)
    assert np.array_equal(again.forward(x), model.forward(x))
    other = small_cnn(seed=9)
    other.load_weights(path)
    assert np.array_equal(other.forward(x), model.forward(x))


def test_save_is_atomic_over_an_existing_file(tmp_path):
    path = tmp_path / "net.npz"
    small_cnn(seed=1).save(path)
    model = small_cnn(seed=2)
    model.save(path)
    assert np.array_equal(Sequential.load(path).flat_params, model.flat_params)
    assert os.listdir(tmp_path) == ["net.npz"]


def expect_model_error(path):
    with pytest.raises(ModelFileError) as info:
        Sequential.load(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_corrupt_files_raise_model_file_error(tmp_path):
    good = tmp_path / "good.npz"
    small_cnn().save(good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    expect_model_error(truncated)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    expect_model_error(garbage)
    expect_model_error(tmp_path / "missing.npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))  # an npz, but not a model
    expect_model_error(plain)


def test_mismatched_weights_raise_model_file_error(tmp_path):
    path = tmp_path / "net.npz"
    Sequential([Dense(2, 3, rng=0), Dense(3, 1, rng=0)]).save(path)
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    bad = tmp_path / "bad.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["0.W"] = np.zeros((5, 5), np.float32)
    np.savez(bad, **arrays)
    assert "layer 0 W" in expect_model_error(bad)
    del arrays["0.W"]
    np.savez(bad, **arrays)
    expect_model_error(bad)
    assert "0.W.npy" in members
    with pytest.raises(ModelFileError):
        Sequential([Dense(2, 4, rng=0), Dense(4, 1, rng=0)]).load_weights(path)


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "net.npz"
    Sequential([Dense(2, 1, rng=0)]).save(path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["0.b"] = np.array([object()], dtype=object)
    np.savez(path, **arrays)
    expect_model_error(path)


def test_a_file_that_is_no_model_says_so_without_numpys_pickle_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# nnplay\n")
    np.save(tmp_path / "array.npy", np.zeros(3))
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    (tmp_path / "empty.npz").write_bytes(b"")
    for name in ("README.md", "array.npy", "plain.npz", "empty.npz"):
        for load in (Sequential.load, Sequential([Dense(2, 1, rng=0)]).load_weights):
            with pytest.raises(ModelFileError) as err:
                load(name)
            assert str(err.value) == f"{name} is not an nnplay model (.npz written by nnplay)"


def test_a_newer_format_is_named(tmp_path):
    import json

    path = tmp_path / "net.npz"
    Sequential([Dense(2, 1, rng=0)]).save(path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(str(arrays["__spec__"]))
    arrays["__spec__"] = np.array(json.dumps({**header, "format": "nnplay-model-9"}))
    np.savez(path, **arrays)
    assert "format nnplay-model-9" in expect_model_error(path)


def classify_net(*hidden, act=Tanh, init="glorot"):
    sizes, layers = (2, *hidden, 1), []
    for a, b in zip(sizes, sizes[1:]):
        layers += [Dense(a, b, init=init, rng=0), act()]
    return Sequential(layers[:-1])


@pytest.mark.parametrize("saved,ours,why", [
    (classify_net(4, 8), classify_net(4, 2), "layer 2 (Dense): file has 4×8 weights, this network has 4×2"),
    (classify_net(4, act=Tanh), classify_net(4, act=ReLU), "layer 1: file has Tanh, this network has ReLU"),
    (classify_net(4, 4), classify_net(4),
     "layer 2 (Dense): file has 4×4 weights, this network has 4×1"),
    (Sequential([Dense(2, 2, rng=0), Tanh(), Dense(2, 2, rng=0)]), Sequential([Dense(2, 2, rng=0), Tanh()]),
     "the file has more layers: the file has 3, this network has 2 (layer 2: Dense)"),
    (Sequential([Conv2D(1, 2, 3, padding=1, rng=0)]), Sequential([Conv2D(1, 2, 3, rng=0)]),
     "layer 0 (Conv2D): file has padding=1, this network has padding=0"),
])
def test_a_different_network_names_the_first_layer_that_differs(saved, ours, why, tmp_path):
    path = tmp_path / "net.npz"
    saved.save(path)
    with pytest.raises(ModelFileError) as err:
        ours.load_weights(path)
    assert str(err.value) == f"model file {path} holds a different architecture: {why}"


def test_weights_load_whatever_init_drew_them(tmp_path):
    path = tmp_path / "net.npz"
    saved = classify_net(4, init="he")
    saved.save(path)
    ours = classify_net(4, init="glorot")
    ours.load_weights(path)
    assert np.array_equal(ours.flat_params, saved.flat_params)
