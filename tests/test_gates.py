"""The perceptron scenario: linearly separable gates are learned, XOR needs a hidden layer."""

import pytest

from scenarios.gates import GatesRun


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
@pytest.mark.parametrize("act", ["sigmoid", "step"])
def test_single_neuron_learns_separable_gates(gate, act):
    run = GatesRun({"gate": gate, "activation": act}, seed=0)
    run.step(1000)
    assert run.metrics()["train_acc"] == 1.0
    assert run.view("truth").solved


def test_xor_fails_with_one_neuron_and_says_why():
    run = GatesRun({"gate": "XOR"}, seed=0)
    run.step(2000)
    snap = run.snapshot()
    assert run.metrics()["train_acc"] < 1.0 and not snap.view("truth").solved
    assert "not linearly separable" in snap.view("truth").why and "press h" in snap.status.message.lower()


def test_one_key_adds_the_hidden_layer_that_solves_xor():
    run = GatesRun({"gate": "XOR"}, seed=0)
    assert "new weights" in run.nudge("hidden", 1)
    assert run.values["hidden"] == 2
    run.step(3000)
    truth = run.view("truth")
    assert truth.solved and truth.why == ""


def test_truth_table_and_formula():
    run = GatesRun({"gate": "NAND"}, seed=0)
    run.step(500)
    truth = run.view("truth")
    assert [(a, b, t) for a, b, t, _ in truth.rows] == [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    assert truth.formula.startswith("σ(") and "x1" in truth.formula
    assert run.view("field").values.shape == (60, 60)
