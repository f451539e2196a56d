"""SVG snapshots of every pane and mode. Regenerate after a deliberate UI change:
`uv run pytest tests/test_snapshots.py --snapshot-update`, then look at the report/SVGs."""

import pytest

import scenarios
from conftest import make_app

SIZE = (120, 40)


def stepped(n):
    async def run_before(pilot):
        pilot.app.advance(n)
        await pilot.pause()
    return run_before


def test_classify_paused(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE)


def test_classify_trained(snap_compare):
    app = make_app(values={"dataset": "spiral", "layers": "8,8,6", "features": "x1,x2,sin(x1),sin(x2)", "show_test": True})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(1500))


def test_classify_discretized_with_selected_neuron(snap_compare):
    async def run_before(pilot):
        pilot.app.advance(400)
        pilot.app.scenario.select((1, 0))
        await pilot.press("k")
    assert snap_compare(make_app(values={"dataset": "xor"}), terminal_size=SIZE, run_before=run_before)


def test_classify_diverged(snap_compare):
    app = make_app(values={"dataset": "plane", "activation": "relu", "layers": "8,8", "lr": 10})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(500))


def test_classify_ascii(snap_compare):
    assert snap_compare(make_app(ascii=True), terminal_size=SIZE, run_before=stepped(300))


def test_small_terminal(snap_compare):
    assert snap_compare(make_app(), terminal_size=(50, 12))


def test_help_screen(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["question_mark"])


def test_weights_tab(snap_compare):
    async def run_before(pilot):
        pilot.app.advance(200)
        await pilot.press("p")  # the tabs start on the hidden-space view
    assert snap_compare(make_app(values={"layers": "8,8"}), terminal_size=SIZE, run_before=run_before)


def test_hidden_space_tab(snap_compare):
    app = make_app(values={"dataset": "xor", "layers": "4,2"})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(400))


def test_gates_and(snap_compare):
    assert snap_compare(make_app("gates"), terminal_size=SIZE, run_before=stepped(300))


def test_gates_xor_single_neuron_fails(snap_compare):
    assert snap_compare(make_app("gates", {"gate": "XOR"}), terminal_size=SIZE, run_before=stepped(300))


def test_regress_curve(snap_compare):
    app = make_app("regress", {"show_neurons": True})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(1500))


def test_regress_line_landscape(snap_compare):
    app = make_app("regress", {"mode": "line"})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(40))


@pytest.mark.skipif("mnist" not in scenarios.available(), reason="mnist scenario not built")
def test_mnist_mlp(snap_compare):
    app = make_app("mnist", {"data": "subset"})
    assert snap_compare(app, terminal_size=SIZE, run_before=stepped(150))
