"""The classify scenario: settings map to data and models, it learns, structure edits work."""

import numpy as np
import pytest

from engine.errors import DataError
from scenarios.classify import ClassifyRun
from scenarios.settings import SettingError


def test_default_circle_learns_within_a_few_hundred_steps():
    run = ClassifyRun(seed=0)
    before = run.metrics()["train_loss"]
    run.step(2000)
    m = run.metrics()
    assert m["train_loss"] < before / 3
    assert m["test_acc"] >= 0.9


def test_xor_with_feature_cross_is_solved_quickly():
    run = ClassifyRun({"dataset": "xor", "features": "x1*x2", "layers": "2"}, seed=1)
    run.step(500)
    assert run.metrics()["test_acc"] >= 0.95


def test_learning_rate_change_is_live_and_keeps_weights():
    run = ClassifyRun(seed=0)
    run.step(10)
    w = [a.copy() for a in run.model.get_weights()]
    opt = run.trainer.optimizer
    notice = run.nudge("lr", 1)
    assert notice == "lr = 0.1"
    assert run.trainer.optimizer is opt and opt.lr == 0.1
    assert all(np.array_equal(a, b) for a, b in zip(w, run.model.get_weights()))
    assert run.trainer.steps == 10


def test_architecture_change_rebuilds_and_says_so():
    run = ClassifyRun(seed=0)
    run.step(10)
    notice = run.add_layer()
    assert "new weights" in notice and run.values["layers"] == (4, 2, 2)
    assert run.trainer.steps == 0
    assert len([l for l in run.model.layers if l.params]) == 4


def test_data_change_regenerates_points():
    run = ClassifyRun(seed=0)
    xy = run.xy.copy()
    assert "new data" in run.set("dataset", "spiral")
    assert not np.array_equal(xy, run.xy)
    run.set("noise", 0.3)
    assert run.values["noise"] == 0.3


def test_neuron_and_feature_edits_respect_limits():
    run = ClassifyRun({"layers": "1"}, seed=0)
    assert "1 to 16" in run.change_neurons(1, -1)
    run.toggle_feature(1)  # drop x2
    assert run.values["features"] == ("x1",)
    assert "at least one" in run.toggle_feature(0)
    run.toggle_feature(4)
    assert run.values["features"] == ("x1", "x1*x2")


def test_snapshot_has_everything_the_panes_draw():
    run = ClassifyRun({"layers": "3,2"}, seed=0)
    snap = run.snapshot()
    field, net = snap.view("field"), snap.view("network")
    assert field.values.shape == (100, 100)
    assert np.all(np.abs(field.values) <= 1)
    assert net.layer_sizes == (2, 3, 2, 1)
    assert [len(t) for t in net.thumbnails] == [2, 3, 2, 1]
    assert sum(len(p.xy) for p in field.points) == 500
    assert snap.view("confusion").matrix.sum() == 250
    run.select((1, 2))
    assert run.snapshot({"field"}).view("field").title == "layer 1 neuron 3"


def test_snapshot_builds_only_the_views_asked_for():
    run = ClassifyRun({"layers": "3,2"}, seed=0)
    snap = run.snapshot({"field", "loss"})
    assert set(snap.views) == {"field", "loss"}
    assert run.snapshot(()).views == {}
    assert snap.status.step == 0 and snap.status.scenario == "classify"


def test_multiclass_spiral_uses_softmax():
    run = ClassifyRun({"dataset": "spiral3", "layers": "8,8"}, seed=0)
    assert run.output_spec()[2] == "softmax_ce"
    run.step(200)
    assert run.snapshot({"confusion"}).view("confusion").matrix.shape == (3, 3)


def test_cross_entropy_loss_option():
    run = ClassifyRun({"dataset": "gauss", "loss": "ce"}, seed=0)
    run.step(300)
    assert run.metrics()["test_acc"] > 0.9


def test_diverging_run_becomes_a_state():
    run = ClassifyRun({"dataset": "plane", "activation": "relu", "layers": "8,8", "lr": 10}, seed=0)
    run.step(500)
    assert run.diverged
    status = run.snapshot().status
    assert status.state == "diverged" and "lower learning rate" in status.message


def test_csv_points(tmp_path):
    f = tmp_path / "pts.csv"
    rows = ["x1,x2,label"] + [f"{x},{y},{1 if x * y > 0 else -1}" for x, y in np.random.default_rng(0).uniform(-5, 5, (80, 2))]
    f.write_text("\n".join(rows))
    run = ClassifyRun({"dataset": "csv", "csv": str(f)}, seed=0)
    assert len(run.xy) == 80 and run.task == "classification"


def test_csv_needs_a_path_and_three_columns(tmp_path):
    with pytest.raises(SettingError, match="needs csv=PATH"):
        ClassifyRun({"dataset": "csv"})
    f = tmp_path / "two.csv"
    f.write_text("1,2\n3,4\n")
    with pytest.raises(DataError, match="three columns"):
        ClassifyRun({"dataset": "csv", "csv": str(f)})


def test_hidden_space_view_warps_the_grid_through_two_neurons():
    run = ClassifyRun({"dataset": "xor", "layers": "3,2"}, seed=0)
    run.step(300)
    sp = run.view("space")
    assert sp.title == "layer 1: neurons 1 × 2"
    assert len(sp.lines) == 26 and sp.points.shape == (250, 2)
    # the first grid line is the bottom edge of the plane; check it against a direct forward pass
    li, i, j = run.space_axes()
    from engine.datasets import features as feats
    from scenarios.network import neuron_outputs

    edge = sp.lines[0]
    xmin, xmax, ymin, _ = run.extent
    xy = np.column_stack([np.linspace(xmin, xmax, len(edge)), np.full(len(edge), ymin)]).astype(np.float32)
    direct = neuron_outputs(run.model, feats.apply(xy, run.values["features"]))[li][:, [i, j]]
    np.testing.assert_allclose(edge, direct, atol=1e-5)
    run.nudge("space_pair", 1)
    assert run.view("space").title == "layer 1: neurons 1 × 3"
    run.nudge("space_layer", 1)
    assert run.view("space").title.startswith("layer 2: neurons 1 × 2")  # 2 neurons: one pair
    run.set("layers", "")
    assert run.view("space") is None


def test_loss_setting_says_it_does_not_apply_to_three_classes():
    run = ClassifyRun({"dataset": "spiral3"}, seed=0)
    assert "always train with softmax cross-entropy" in run.set("loss", "ce")
    assert run.output_spec()[2] == "softmax_ce"


def _layer_classes(model):
    return [type(layer).__name__ for layer in model.layers]


def test_per_layer_activations_build_the_right_layers():
    run = ClassifyRun({"layers": "4,4,4", "activation": "Tanh, relu,sine"}, seed=0)
    assert run.values["activation"] == "tanh,relu,sine"
    assert _layer_classes(run.model) == ["Dense", "Tanh", "Dense", "ReLU", "Dense", "Sine", "Dense", "Tanh"]
    assert run.view_network().activations == ("tanh", "relu", "sine", "out")
    run.set("layers", "4,4,4,4")  # a list shorter than the layers repeats its last entry
    assert _layer_classes(run.model)[1::2] == ["Tanh", "ReLU", "Sine", "Sine", "Tanh"]
    run.set("activation", "relu")  # one name: every hidden layer
    assert _layer_classes(run.model)[1::2] == ["ReLU"] * 4 + ["Tanh"]


def test_activation_keys_cycle_one_activation_through_every_name():
    from scenarios.network import HIDDEN_ACTIVATIONS

    run = ClassifyRun(seed=0)
    seen = [run.values["activation"]]
    for _ in HIDDEN_ACTIVATIONS:
        run.nudge("activation", 1)
        seen.append(run.values["activation"])
    assert seen[:-1] == list(HIDDEN_ACTIVATIONS) and seen[-1] == "tanh"
    run.set("activation", "sine,relu")
    run.nudge("activation", 1)  # from a list: the one after its first entry, for every layer
    assert run.values["activation"] == "sigmoid"


@pytest.mark.parametrize("bad", ["swish", "tanh,swish", "", "tanh," * 9 + "tanh"])
def test_bad_activation_is_one_line(bad):
    with pytest.raises(SettingError) as err:
        ClassifyRun({"activation": bad}, seed=0)
    assert "activation" in str(err.value) and "gelu_tanh" in str(err.value) and "\n" not in str(err.value)


def test_preset_with_an_activation_list_round_trips(tmp_path):
    from scenarios.preset import load_preset, open_run, save_run

    schemas = {"classify": ClassifyRun.schema}
    run = ClassifyRun({"layers": "3,3", "activation": "elu,gelu"}, seed=4)
    save_run(run, tmp_path / "p.toml")
    assert 'activation = "elu,gelu"' in (tmp_path / "p.toml").read_text()
    again = open_run(ClassifyRun, load_preset(tmp_path / "p.toml", schemas))
    assert again.values["activation"] == "elu,gelu"
    assert _layer_classes(again.model)[1::2] == ["ELU", "GELU", "Tanh"]
    (tmp_path / "q.toml").write_text('scenario = "classify"\n[settings]\nactivation = ["silu", "leaky_relu"]\n')
    q = open_run(ClassifyRun, load_preset(tmp_path / "q.toml", schemas))
    assert q.values["activation"] == "silu,leaky_relu"
    (tmp_path / "r.toml").write_text('scenario = "classify"\n[settings]\nactivation = "relu"\n')  # old presets keep working
    assert open_run(ClassifyRun, load_preset(tmp_path / "r.toml", schemas)).values["activation"] == "relu"


NEW_ACTIVATIONS = ("elu", "softplus", "silu", "gelu", "gelu_tanh", "leaky_relu", "sine")


@pytest.mark.parametrize("act", NEW_ACTIVATIONS)
def test_every_new_activation_trains_circle_without_nan(act):
    run = ClassifyRun({"dataset": "circle", "activation": act}, seed=0)
    before = run.metrics()["train_loss"]
    assert run.step(200) == 200
    m = run.metrics()
    assert not run.diverged and all(np.isfinite(v) for v in m.values())
    assert m["train_loss"] < before
    assert all(np.isfinite(w).all() for w in run.model.get_weights())


def test_hidden_space_limits_follow_the_shown_layers_activation():
    run = ClassifyRun({"layers": "4,4", "activation": "relu,tanh"}, seed=0)
    run.step(50)
    assert run.view_space().lim != (-1.05, 1.05)  # layer 1 is relu: fitted to its outputs
    run.set("space_layer", 2)
    assert run.view_space().lim == (-1.05, 1.05)
    run.set("activation", "relu,sigmoid")
    run.set("space_layer", 2)
    assert run.view_space().lim == (-0.05, 1.05)
