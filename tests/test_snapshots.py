"""SVG snapshots of every pane and mode, drawn from fixed states (screenshots/states, made by
tools/make_states.py), never from training here: float32 training differs in its last bits between
BLAS kernels, so pictures of trained networks must not depend on the CPU that runs the tests.

Regenerate after a deliberate UI change: `uv run pytest tests/test_snapshots.py --snapshot-update`,
then look at the report/SVGs."""

import numpy as np
import pytest

from conftest import make_app, state_app

SIZE = (120, 40)
SIZES = {"small": (80, 24), "medium": (120, 40), "large": (200, 60)}


def test_classify_paused(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", ["classify-trained", "gates-xor", "regress-neurons", "regress-line", "mnist-mlp"])
def test_scenario_at_three_sizes(snap_compare, name, size):
    assert snap_compare(state_app(name), terminal_size=SIZES[size])


def test_classify_discretized_with_selected_neuron(snap_compare):
    async def run_before(pilot):
        pilot.app.scenario.select((1, 0))
        await pilot.press("k")
    assert snap_compare(state_app("classify-xor"), terminal_size=SIZE, run_before=run_before)


def test_classify_diverged(snap_compare):
    async def run_before(pilot):
        run = pilot.app.scenario
        run.model.set_weights([w * 1e20 for w in run.model.get_weights()])  # overflows at the first step
        pilot.app.advance(1)
        await pilot.pause()
    assert snap_compare(state_app("classify-circle"), terminal_size=SIZE, run_before=run_before)


def test_classify_ascii(snap_compare):
    assert snap_compare(state_app("classify-circle", ascii=True), terminal_size=SIZE)


def test_small_terminal(snap_compare):
    assert snap_compare(make_app(), terminal_size=(50, 12))


def test_help_screen(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["question_mark"])


def test_weights_tab(snap_compare):
    async def run_before(pilot):
        await pilot.press("p")  # the tabs start on the hidden-space view
    assert snap_compare(state_app("classify-layers-88"), terminal_size=SIZE, run_before=run_before)


def test_hidden_space_tab(snap_compare):
    assert snap_compare(state_app("classify-xor-42"), terminal_size=SIZE)


def test_gates_xor_single_neuron_fails(snap_compare):
    assert snap_compare(state_app("gates-xor-single"), terminal_size=SIZE)


def test_mnist_cnn(snap_compare):
    async def run_before(pilot):
        await pilot.press("p")
    assert snap_compare(state_app("mnist-cnn"), terminal_size=SIZE, run_before=run_before)


def test_a_state_reopens_what_was_saved():
    """The committed state draws what the saved run drew: weights, history and step come back."""
    import scenarios
    from conftest import STATES
    from scenarios.preset import load_preset

    app = state_app("classify-trained")
    run = app.scenario
    preset = load_preset(STATES / "classify-trained.toml", scenarios.schemas())
    assert run.trainer.steps == 1500 and len(run.trainer.history) > 10 and preset.state is not None
    assert np.all(np.abs(run.view("field").values) <= 1)


def test_time_travel_shows_the_past(snap_compare):
    async def run_before(pilot):
        await pilot.press("comma")  # a reopened state's film holds its first and its saved frame
    assert snap_compare(state_app("classify-trained"), terminal_size=SIZE, run_before=run_before)


def test_optimizer_race(snap_compare):
    assert snap_compare(state_app("optimize-rosenbrock"), terminal_size=SIZE)


def _hand_app():
    """The shipped hand-mode preset: hand-set bumps and no training, so a fixed state by itself."""
    import scenarios
    from conftest import REPO
    from scenarios.preset import load_preset, open_run
    from tui.app import NNPlayApp

    preset = load_preset(REPO / "scenarios" / "presets" / "regress-hand.toml", scenarios.schemas())
    return NNPlayApp(run=open_run(scenarios.get("regress"), preset), autoplay=False, threaded=False)


@pytest.mark.parametrize("size", ["small", "medium"])
def test_regress_hand_bumps(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("right_square_bracket", "right", "up")  # bump 2 selected, moved right and raised
    assert snap_compare(_hand_app(), terminal_size=SIZES[size], run_before=run_before)


def test_regress_hand_after_gradient_descent(snap_compare):
    async def run_before(pilot):
        await pilot.press("right_square_bracket")  # bump 2: where its two steps went
    assert snap_compare(state_app("regress-hand-trained"), terminal_size=SIZE, run_before=run_before)


def test_network_labels_each_layers_activation(snap_compare):
    """One activation per hidden layer (sine, relu, then tanh), at step 0: no training, fixed weights."""
    app = make_app("classify", {"dataset": "spiral", "layers": [6, 6, 4], "activation": "sine,relu,tanh"}, seed=3)
    assert snap_compare(app, terminal_size=SIZE)


def test_network_labels_activations_in_ascii_at_80x24(snap_compare):
    app = make_app("classify", {"layers": [4, 4], "activation": "gelu_tanh,leaky_relu"}, ascii=True)
    assert snap_compare(app, terminal_size=SIZES["small"])


def test_until_reached_pauses_with_its_notice(snap_compare):
    """The perceptron rule on AND, stopped by until=train_acc>=1 at the step it gets the table right.

    This trains here, and the picture still does not depend on the CPU: with the step activation the
    gradient is (t - y) * x / 4 with x, t, y in {0, 1}, so every sum and product in a step is exact, and
    the weights come out bit for bit the same under any BLAS kernel (checked under OpenBLAS's Prescott,
    Haswell and SkylakeX kernels).
    """
    from tui.controls import Notice

    async def run_before(pilot):
        app = pilot.app
        assert app.advance(1000) == 15
        await pilot.pause()
        assert app.query_one(Notice).text == "stopped: train_acc>=1 reached at step 15"
    app = make_app("gates", {"activation": "step", "until": "train_acc>=1"})
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
