"""Trainer: learning, epochs and shuffling, evaluation, accuracy rules, divergence, reproducibility."""

import math

import numpy as np
import pytest

from engine import backend
from engine.layers import Conv2D, Dense, Flatten, Linear, MaxPool2D, ReLU, Tanh, activation
from engine.losses import get_loss
from engine.model import Sequential
from engine.optimizers import SGD, Adam
from engine.trainer import HISTORY_KEYS, Trainer


def xor_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, np.where(x[:, 0] * x[:, 1] > 0, 1.0, -1.0).astype(np.float32)


def playground_net(seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip([2, 8, 8, 1], [8, 8, 1]):
        layers += [Dense(a, b, init="playground", rng=rng), activation("tanh")]
    return Sequential(layers)


def make_trainer(seed=0, lr=0.05, **kw):
    x, y = xor_data()
    return Trainer(playground_net(seed), get_loss("mse"), SGD(lr), x[:150], y[:150], x[150:], y[150:],
                   batch_size=10, seed=seed, **kw)


def test_learns_xor_and_records_history():
    tr = make_trainer()
    first = tr.evaluate()
    for _ in range(4):
        tr.run_epochs(25)
        tr.evaluate()
    assert tr.state == "ok" and tr.steps == 100 * 15
    assert tr.metrics["train_loss"] < first["train_loss"] / 3 and tr.metrics["test_acc"] >= 0.9
    assert tr.history.keys() == HISTORY_KEYS and len(tr.history) == 5
    assert list(tr.history["step"]) == [0, 375, 750, 1125, 1500] and tr.history.last("epoch") == 100.0
    assert math.isfinite(tr.last_loss)


def test_epochs_reshuffle_and_visit_every_example():
    seen = []

    def prepare(xb):
        seen.append(xb[:, 0].copy())
        return backend.asarray(xb)

    x = np.arange(23, dtype=np.float32)[:, None].repeat(2, axis=1)
    y = np.zeros(23, np.float32)
    tr = Trainer(Sequential([Dense(2, 1, rng=0)]), get_loss("mse"), SGD(0.0), x, y, batch_size=5,
                 task="regression", prepare=prepare, seed=3)
    tr.step(5)
    assert tr.examples_seen == 23 and tr.epoch == 1.0 and [len(b) for b in seen] == [5, 5, 5, 5, 3]
    first = np.concatenate(seen)
    tr.run_epochs(1)
    second = np.concatenate(seen[5:])
    assert sorted(first) == sorted(second) == list(range(23))
    assert not np.array_equal(first, second)
    tr.step(2)
    tr.run_epochs(2)  # finishes the current epoch, then one more
    assert tr.epoch == 4.0


def test_same_seed_same_history_different_seed_differs():
    def history(seed):
        tr = make_trainer(seed=seed)
        for _ in range(3):
            tr.step(40)
            tr.evaluate()
        return tr.history.arrays(), tr.model.flat_params.copy()

    (h1, w1), (h2, w2), (h3, _) = history(1), history(1), history(2)
    assert all(np.array_equal(h1[k], h2[k], equal_nan=True) for k in HISTORY_KEYS) and np.array_equal(w1, w2)
    assert not np.array_equal(h1["train_loss"], h3["train_loss"])


def test_huge_lr_diverges_as_a_state():
    x, y = xor_data()
    rng = np.random.default_rng(0)
    model = Sequential([Dense(2, 8, rng=rng), Tanh(), Dense(8, 1, rng=rng), Linear()])  # unbounded output
    tr = Trainer(model, get_loss("mse"), SGD(1e6), x, y, batch_size=10)
    done = tr.step(500)
    assert tr.state == "diverged" and done < 500
    assert "at step" in tr.diverged_reason and ("NaN" in tr.diverged_reason or "infinite" in tr.diverged_reason)
    steps = tr.steps
    assert tr.step(10) == 0 and tr.steps == steps
    n_history = len(tr.history)
    tr.evaluate()  # still answers, but records nothing
    assert len(tr.history) == n_history


def tiny_regression(lr, l2=0.0, tanh=False):
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    model = Sequential([Dense(1, 1, rng=0)] + ([Tanh()] if tanh else []))
    return Trainer(model, get_loss("mse"), SGD(lr, l2=l2), x, 3 * x[:, 0] + 1, batch_size=8, task="regression")


def one_at_a_time(tr):
    while tr.step(1):
        pass
    return tr


@pytest.mark.parametrize("kw,first", [
    ({"lr": 2.2}, "loss became infinite"),  # just over the stable rate: the loss overflows first
    ({"lr": 1.0, "l2": 3.0, "tanh": True}, "weights became"),  # tanh keeps the loss finite as the weights overflow
])
def test_divergence_mid_chunk_is_reported_at_its_step(kw, first):
    chunked, single = tiny_regression(**kw), one_at_a_time(tiny_regression(**kw))
    done = chunked.step(1000)
    assert chunked.state == single.state == "diverged" and first in single.diverged_reason
    assert 100 < single.steps < 900  # mid-chunk
    assert done == chunked.steps == single.steps and chunked.diverged_reason == single.diverged_reason
    assert f"at step {single.steps}" in single.diverged_reason
    assert chunked.examples_seen == single.examples_seen and chunked.epoch == single.epoch
    assert math.isfinite(single.last_loss) and chunked.last_loss == single.last_loss  # the last finite loss
    assert chunked.step(5) == 0 and chunked.steps == single.steps


def test_one_host_read_per_chunk(monkeypatch):
    """Losses stay on the device: step(n) reads them back once per CHECK_EVERY steps, not once per step."""
    import engine.trainer as trainer_module

    tr, reads, real = tiny_regression(0.1), [], backend.to_host
    monkeypatch.setattr(trainer_module.backend, "to_host", lambda a: reads.append(np.shape(a)) or real(a))
    every = trainer_module.CHECK_EVERY
    assert tr.step(2 * every + 5) == tr.steps == 2 * every + 5 and tr.state == "ok"
    assert reads == [(2, every), (2, every), (2, 5)]  # losses and weight probes, per chunk
    assert math.isfinite(tr.last_loss) and tr.last_loss < 0.1


def test_weights_probe_sees_every_parameter_group_live():
    tr = make_trainer()
    a, b = np.ones(3, np.float32), np.ones((2, 2), np.float32)[:, :1]  # b: a non-contiguous view
    probe = tr._weights_probe([(a, a), (b, b)])
    assert probe() == 0
    b[1, 0] = np.inf
    assert np.isnan(probe())
    b[1, 0], a[0] = 1.0, np.nan
    assert np.isnan(probe())
    a[0] = -3e38  # huge but finite: nothing overflows
    assert probe() == 0


def test_non_finite_weights_are_divergence():
    tr = make_trainer()
    tr.step(3)
    tr.model.flat_params[0] = np.nan
    tr.evaluate()
    assert tr.state == "diverged" and "weights" in tr.diverged_reason


def test_lr_change_between_steps():
    tr = make_trainer(lr=0.05)
    tr.step(5)
    tr.optimizer.lr = 0.0
    before = tr.model.flat_params.copy()
    tr.step(5)
    assert np.array_equal(before, tr.model.flat_params)


def test_chunked_evaluation_matches_one_chunk():
    a, b = make_trainer(eval_batch=7), make_trainer(eval_batch=1000)
    ra, rb = a.evaluate(), b.evaluate()
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert np.isclose(ra[key], rb[key], rtol=1e-5)


def fixed_model(outputs):
    """A model whose output for input row i is outputs[i] (input = one-hot rows, weights = outputs)."""
    outputs = np.asarray(outputs, np.float32).reshape(len(outputs), -1)
    model = Sequential([Dense(len(outputs), outputs.shape[1], rng=0)])
    model.set_weights([outputs, np.zeros(outputs.shape[1], np.float32)])
    return model, np.eye(len(outputs), dtype=np.float32)


@pytest.mark.parametrize("outputs,targets,loss,rule,expected", [
    ([0.3, -0.2, 0.9, -0.8], [1, 1, 1, -1], "mse", "auto", 0.75),  # sign, auto-picked for ±1 targets
    ([0.3, 0.7, 0.9, 0.6], [0, 1, 1, 0], "bce", "auto", 0.75),  # threshold 0.5
    ([-0.3, 0.7, 2.0, -1.0], [0, 1, 0, 0], "bce_logits", "auto", 0.75),  # logits > 0
    ([0.3, 0.7, 0.9, 0.1], [0, 1, 1, 0], "mse", "threshold", 1.0),
    ([0.3, 0.7, 0.9, 0.1], [0, 1, 1, 0], "mse", "sign", 0.5),
    ([0.3, 0.7, 0.9, 0.1], [0, 1, 1, 0], "mse", "auto", 1.0),  # 0/1 targets: threshold
])
def test_accuracy_rules_single_output(outputs, targets, loss, rule, expected):
    model, x = fixed_model(outputs)
    tr = Trainer(model, get_loss(loss), SGD(0.1), x, np.array(targets, np.float32), accuracy=rule)
    assert tr.evaluate()["train_acc"] == expected


def test_accuracy_argmax_for_labels_and_one_hot():
    outputs = [[2, 1, 0], [0, 1, 3], [5, 0, 0], [0, 2, 1]]
    labels = np.array([0, 2, 1, 1])
    model, x = fixed_model(outputs)
    assert Trainer(model, get_loss("softmax_ce"), SGD(0.1), x, labels).evaluate()["train_acc"] == 0.75
    one_hot = np.eye(3, dtype=np.float32)[labels]
    assert Trainer(model, get_loss("softmax_ce"), SGD(0.1), x, one_hot).evaluate()["train_acc"] == 0.75
    custom = Trainer(model, get_loss("softmax_ce"), SGD(0.1), x, labels, accuracy=lambda out, y: 1)
    assert custom.evaluate()["train_acc"] == 0.25


def test_regression_records_nan_accuracy_and_no_test_set():
    x = np.linspace(-1, 1, 50, dtype=np.float32)[:, None]
    tr = Trainer(Sequential([Dense(1, 1, rng=0)]), get_loss("mse"), SGD(0.5), x, 3 * x[:, 0] + 1,
                 task="regression", batch_size=10)
    tr.run_epochs(40)
    record = tr.evaluate()
    assert math.isnan(record["train_acc"]) and math.isnan(record["test_loss"]) and record["train_loss"] < 1e-3


def test_small_cnn_learns_from_uint8_images_with_prepare():
    rng = np.random.default_rng(0)
    n = 120
    images = np.zeros((n, 1, 8, 8), np.uint8)
    labels = rng.integers(0, 2, n)
    for i, label in enumerate(labels):  # class 0: a bright top half; class 1: bright left half
        if label:
            images[i, 0, :, :4] = 200
        else:
            images[i, 0, :4, :] = 200
    images += rng.integers(0, 40, images.shape, dtype=np.uint8)
    model = Sequential([Conv2D(1, 4, 3, padding=1, rng=rng), ReLU(), MaxPool2D(2), Flatten(), Dense(64, 2, rng=rng)])
    prep = lambda xb: backend.asarray(xb) * np.float32(1 / 255)  # noqa: E731
    tr = Trainer(model, get_loss("softmax_ce"), Adam(0.01), images[:100], labels[:100], images[100:],
                 labels[100:], batch_size=16, prepare=prep, train_eval_size=40)
    tr.run_epochs(5)
    record = tr.evaluate()
    assert tr.state == "ok" and record["test_acc"] == 1.0 and record["train_acc"] == 1.0


def test_augment_sees_each_training_batch_before_prepare_and_never_an_evaluation_batch():
    x, y = xor_data(40)
    seen, prepared = [], []

    def augment(xb):
        seen.append(xb.copy())
        return xb * 0  # the model then trains on zeros: its outputs show the augmented batch was used

    def prep(xb):
        prepared.append(np.asarray(xb).copy())
        return backend.asarray(xb)

    model = Sequential([Dense(2, 1, rng=np.random.default_rng(0))])
    tr = Trainer(model, get_loss("mse"), SGD(0.1), x, y, x, y, batch_size=10, prepare=prep, augment=augment)
    tr.step(3)
    assert len(seen) == 3 and all(len(b) == 10 for b in seen)
    assert len(prepared) == 3 and all((p == 0).all() for p in prepared)  # prepare got the augmented batches
    tr.evaluate()
    assert len(seen) == 3  # evaluation batches are not augmented
    assert any((p != 0).any() for p in prepared[3:])


def test_bad_arguments():
    x, y = xor_data(10)
    with pytest.raises(ValueError):
        Trainer(playground_net(), get_loss("mse"), SGD(0.1), x, y[:5])
    with pytest.raises(ValueError):
        Trainer(playground_net(), get_loss("mse"), SGD(0.1), x, y, task="ranking")
    tr = Trainer(playground_net(), get_loss("mse"), SGD(0.1), x, y, accuracy="best-guess")
    with pytest.raises(ValueError):
        tr.evaluate()


def test_tanh_activation_layer_name():
    assert isinstance(activation("TANH"), Tanh)


def test_big_inputs_are_gathered_per_batch_with_the_same_result(monkeypatch):
    """The per-batch gather used for big data sets trains exactly like the shuffled copy."""
    import engine.trainer as tr
    from engine.layers import Dense
    from engine.losses import get_loss
    from engine.model import Sequential
    from engine.optimizers import SGD

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.normal(size=(50, 1)).astype(np.float32)

    def run():
        model = Sequential([Dense(3, 1, rng=np.random.default_rng(1))])
        t = tr.Trainer(model, get_loss("mse"), SGD(0.1), x, y, batch_size=8, seed=3, task="regression")
        t.step(20)
        return model.get_weights()

    copied = run()
    monkeypatch.setattr(tr, "SHUFFLED_COPY_BYTES", 0)
    gathered = run()
    for a, b in zip(copied, gathered):
        np.testing.assert_array_equal(a, b)
