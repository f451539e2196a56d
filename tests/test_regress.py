"""The regress scenario (curve and line modes) and its two panes."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from textual.app import App

from engine.datasets import curves
from engine.errors import DataError
from scenarios.regress import LINE_PANES, PATH_LEN, RegressRun, least_squares, line_loss
from scenarios.settings import SettingError
from scenarios.views import Snapshot, Status
from tui import colors
from tui.colors import ColorMode
from tui.widgets.curve import PANES, CurveView, LandscapeView


@pytest.fixture
def colour():
    """Truecolour, non-ASCII drawing for the duration of a test."""
    old = colors.current()
    colors.configure(mode=ColorMode.TRUECOLOR, ascii=False)
    yield
    colors.configure(mode=old.mode, ascii=old.ascii)


def line_run(**values) -> RegressRun:
    return RegressRun({"mode": "line", "dataset": "line", **values}, seed=0)


# -- settings --------------------------------------------------------------------------
def test_settings_validate_and_live_settings_keep_weights():
    with pytest.raises(SettingError, match="mode"):
        RegressRun({"mode": "plane"})
    with pytest.raises(SettingError, match="points"):
        RegressRun({"points": 1})
    run = RegressRun({}, seed=0)
    before = run.model.get_weights()
    for name, value in (("lr", 0.3), ("batch", 20), ("optimizer", "adam"), ("show_neurons", True), ("neuron_layer", 2)):
        run.set(name, value)
    assert run.trainer.optimizer.lr == 0.3 and run.trainer.batch_size == 20
    assert all(np.array_equal(a, b) for a, b in zip(before, run.model.get_weights()))
    x_before = run.x.copy()
    assert "new data" in run.set("dataset", "sine")
    assert not np.array_equal(x_before, run.x) and len(run.x) == 100
    assert "new weights" in run.set("layers", "4")
    assert [w.shape for w in run.model.get_weights()] == [(1, 4), (4,), (4, 1), (1,)]


def test_mode_picks_panes_and_model():
    run = RegressRun({}, seed=0)
    assert run.panes[0] == "curve" and "network" in run.panes
    run.set("mode", "line")
    assert run.panes == LINE_PANES
    assert [w.shape for w in run.model.get_weights()] == [(1, 1), (1,)]
    assert set(run.panes) - {"controls"} <= set(PANES) | {"loss", "network", "weights"}


# -- curve mode ----------------------------------------------------------------------------
def test_curve_mode_learns_xsinx():
    run = RegressRun({}, seed=0)  # xsinx, noise 0.1, layers 8,8 tanh, SGD lr 0.1, batch 10
    start = run.metrics()["train_loss"]
    assert run.step(2000) == 2000
    xs = np.linspace(-6, 6, 200)
    rmse = float(np.sqrt(np.mean((run.predict(xs) - curves.true_curve("xsinx", xs)) ** 2)))
    # measured with seed 0: loss 0.516 -> 0.042, RMSE to the noise-free curve 0.58 (its spread is ~2.5)
    assert start > 0.45 and run.metrics()["train_loss"] < 0.06
    assert rmse < 0.8


def test_curve_snapshot_contents():
    run = RegressRun({"show_neurons": True, "layers": "5,3", "neuron_layer": 6}, seed=0)
    run.step(20)
    snap = run.snapshot()
    c = snap.view("curve")
    assert c.x.shape == c.y.shape == (100,)
    assert c.fit_x.shape == c.fit_y.shape and np.all(np.isfinite(c.fit_y))
    assert len(c.neurons) == 3  # neuron_layer 6 is clamped to the last hidden layer
    lo, hi = c.ylim
    assert all(lo <= n.min() and n.max() <= hi for n in c.neurons)
    assert np.allclose(c.fit_y, run.predict(c.fit_x))
    assert snap.view("network").layer_sizes == (1, 5, 3, 1) and len(snap.view("weights").mats) == 3
    assert "landscape" not in snap.views and run.view("landscape") is None
    run.set("show_neurons", False)
    assert run.view("curve").neurons == ()
    run.set("layers", "")  # no hidden layer: a straight line, no neurons to draw
    run.set("show_neurons", True)
    assert run.view("curve").neurons == ()


def test_add_point_changes_data_and_keeps_training():
    run = RegressRun({}, seed=0)
    run.step(30)
    weights = run.model.get_weights()
    assert "101 points" in run.add_point(1.5, 9.0)
    assert run.x[-1] == 1.5 and run.y[-1] == 9.0 and run.trainer.n_train == 101
    assert run.trainer.steps == 30 and all(np.array_equal(a, b) for a, b in zip(weights, run.model.get_weights()))
    curve = run.view("curve")
    assert len(curve.x) == 101 and curve.ylim[1] > 9.0
    run.step(10)
    assert run.trainer.steps == 40
    run.add_point(float("nan"), 0.0)
    assert len(run.x) == 101


def test_csv_dataset(tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("x,y\n0,1\n1,3\n2,5\n3,7\n")
    run = RegressRun({"dataset": "csv", "csv": str(path), "mode": "line"}, seed=0)
    assert np.array_equal(run.x, [0, 1, 2, 3]) and np.array_equal(run.y, [1, 3, 5, 7])
    assert np.allclose(run.best, (2.0, 1.0))
    run.set("mode", "curve")
    run.step(5)
    assert run.view("curve").xlim[0] < 0 < 3 < run.view("curve").xlim[1]
    bad = tmp_path / "three.csv"
    bad.write_text("1,2,1\n3,4,0\n")
    with pytest.raises(DataError, match="two columns"):
        RegressRun({"dataset": "csv", "csv": str(bad)})
    with pytest.raises(SettingError, match="csv=PATH"):
        RegressRun({"dataset": "csv"})
    same = tmp_path / "same.csv"
    same.write_text("2,1\n2,3\n")  # no spread in x: least squares degenerates to the mean
    run = RegressRun({"dataset": "csv", "csv": str(same), "mode": "line"}, seed=0)
    assert run.best == (0.0, 2.0)
    run.step(5)
    run.snapshot()


# -- line mode -----------------------------------------------------------------------------
def test_line_mode_converges_to_least_squares():
    run = line_run(lr=0.1, batch=1000)  # full batch: plain gradient descent
    start = run.line_params()
    assert run.step(400) == 400
    m_ref, b_ref = np.polyfit(run.x.astype(np.float64), run.y.astype(np.float64), 1)
    m, b = run.line_params()
    assert abs(m - m_ref) < 1e-3 and abs(b - b_ref) < 1e-3
    assert abs(start[0] - m_ref) + abs(start[1] - b_ref) > 0.5  # it did walk somewhere
    path = run.view("landscape").path
    assert path.shape == (401, 2) and np.allclose(path[0], start) and np.allclose(path[-1], (m, b))


def test_line_mode_diverges_with_large_lr_as_a_state():
    run = line_run(lr=3.0, batch=1000)
    done = run.step(500)
    assert run.diverged and done < 500
    snap = run.snapshot()
    assert snap.status.state == "diverged" and "learning rate" in snap.status.message
    land = snap.view("landscape")
    m_lo, m_hi, _, _ = land.field.extent
    current = land.current
    assert current is None or not m_lo <= current[0] <= m_hi  # far off the map
    # each step overshoots further: the distance from the minimum grows along the path
    path = land.path
    dist = np.abs(path[:, 0] - run.best[0])
    assert np.all(np.diff(dist[1:10]) > 0)
    assert run.step(5) == 0


def test_minibatches_make_a_noisy_path_and_the_path_is_bounded():
    full, mini = line_run(lr=0.03, batch=1000), line_run(lr=0.03, batch=5)
    full.step(50)
    mini.step(50)
    assert not np.allclose(full.line_params(), mini.line_params())
    mini.step(PATH_LEN + 100)
    assert len(mini.view("landscape").path) == PATH_LEN


def test_landscape_minimum_is_the_least_squares_solution():
    run = line_run(noise=0.3)
    land = run.view("landscape")
    m_ref, b_ref = np.polyfit(run.x.astype(np.float64), run.y.astype(np.float64), 1)
    assert np.allclose(land.minimum, (m_ref, b_ref), atol=1e-5)
    values = land.field.values
    m_lo, m_hi, b_lo, b_hi = land.field.extent
    i, j = np.unravel_index(np.argmin(values), values.shape)
    ms, bs = np.linspace(m_lo, m_hi, values.shape[1]), np.linspace(b_hi, b_lo, values.shape[0])
    assert abs(ms[j] - m_ref) <= (m_hi - m_lo) / (values.shape[1] - 1)
    assert abs(bs[i] - b_ref) <= (b_hi - b_lo) / (values.shape[0] - 1)
    # the closed form agrees with the loss the trainer measures, anywhere
    rng = np.random.default_rng(1)
    m, b = rng.normal(size=5), rng.normal(size=5)
    x, y = run.x.astype(np.float64), run.y.astype(np.float64)
    # and the field is oriented as documented (columns m, row 0 the largest b): same order as brute force
    rows, cols = rng.integers(0, values.shape[0], 8), rng.integers(0, values.shape[1], 8)
    brute_cells = [np.mean((ms[c] * x + bs[r] - y) ** 2) for r, c in zip(rows, cols)]
    assert np.array_equal(np.argsort(values[rows, cols]), np.argsort(brute_cells))
    brute = [0.5 * np.mean((mi * x + bi - y) ** 2) for mi, bi in zip(m, b)]
    assert np.allclose(line_loss(x, y, m, b), brute)
    assert np.allclose(least_squares(x, y), (m_ref, b_ref))
    # adding a point moves the minimum
    run.add_point(0.0, 30.0)
    assert run.view("landscape").minimum[1] > b_ref + 0.1


# -- widgets -------------------------------------------------------------------------------
class PaneApp(App):
    def __init__(self, *widgets):
        super().__init__()
        self.widgets = widgets
        self.added: list[tuple[float, float]] = []

    def compose(self):
        yield from self.widgets

    def on_curve_view_point_added(self, message: CurveView.PointAdded) -> None:
        self.added.append((message.x, message.y))


def text_of(widget) -> list[str]:
    return [strip.text for strip in widget.strips()]


def test_panes_render_snapshots_at_any_size(colour):
    snaps = [RegressRun({"show_neurons": True}, seed=0).snapshot(), line_run(lr=0.1).snapshot(),
             Snapshot(Status("regress"))]
    diverged = line_run(lr=10.0)
    diverged.step(100)
    snaps.append(diverged.snapshot())

    async def go():
        curve, land = CurveView(), LandscapeView()
        curve.pane_name, land.pane_name = "curve", "landscape"
        app = PaneApp(curve, land)
        async with app.run_test(size=(60, 30)) as pilot:
            for snap in snaps:
                for w in (curve, land):
                    w.update_view(snap.view(w.pane_name), snap.status)
                    for size in ((1, 1), (2, 3), (7, 2), (60, 15)):
                        w.build(*size, colors.current(), w.rich_style)
                await pilot.pause()
                assert len(text_of(curve)) == 15 and len(text_of(land)) == 15
        return curve, land

    asyncio.run(go())


def test_curve_view_draws_points_and_reports_clicks(colour):
    run = line_run(lr=0.1)

    async def go():
        curve = CurveView()
        app = PaneApp(curve)
        async with app.run_test(size=(60, 20)) as pilot:
            curve.update_view(run.view("curve"), run.status())
            await pilot.pause()
            rows = text_of(curve)
            assert sum(r.count("•") for r in rows) > 20
            assert any(any(0x2800 < ord(ch) <= 0x28FF for ch in r) for r in rows)  # the Braille fit
            await pilot.click(CurveView, offset=(30, 5))
            await pilot.pause()
            (x0, x1), (y0, y1) = run.view("curve").xlim, run.view("curve").ylim
            assert app.added == [pytest.approx((x0 + 30.5 / 60 * (x1 - x0), y1 - 5.5 / 19 * (y1 - y0)))]
            colors.configure(ascii=True)
            curve.invalidate()
            assert all(ord(ch) < 128 for r in text_of(curve) for ch in r)
            assert sum(r.count("o") for r in text_of(curve)) > 20

    asyncio.run(go())


def test_landscape_marks_path_current_and_minimum_where_expected(colour):
    run = line_run(lr=0.01, batch=1000)
    run.step(60)
    land_data = run.view("landscape")
    m_lo, m_hi, b_lo, b_hi = land_data.field.extent
    w, h = 60, 20

    def cell(m, b):  # half blocks: two pixel rows per cell
        return int((m - m_lo) / (m_hi - m_lo) * w), int((b_hi - b) / (b_hi - b_lo) * 2 * h) // 2

    async def go():
        land = LandscapeView()
        app = PaneApp(land)
        async with app.run_test(size=(w, h)) as pilot:
            land.update_view(land_data, run.status())
            await pilot.pause()
            rows = text_of(land)
            cur, start, best = cell(*land_data.current), cell(*land_data.path[0]), cell(*land_data.minimum)
            assert len({cur, start, best}) == 3  # 60 small steps: still on its way
            assert rows[cur[1]][cur[0]] == LandscapeView.CURRENT
            assert rows[start[1]][start[0]] == LandscapeView.PATH
            assert rows[best[1]][best[0]] == LandscapeView.MINIMUM
            assert sum(r.count(LandscapeView.CURRENT) for r in rows) == 1

    asyncio.run(go())


def test_per_layer_activations_in_curve_mode():
    run = RegressRun({"layers": "8,8,8", "activation": "gelu_tanh,softplus"}, seed=0)
    assert [type(layer).__name__ for layer in run.model.layers][1::2] == ["GELUTanh", "Softplus", "Softplus"]
    assert run.view_network().activations == ("gelu_tanh", "softplus", "softplus", "out")
    run.step(100)
    assert np.isfinite(run.metrics()["train_loss"])
    run.set("activation", "sine")
    assert [type(layer).__name__ for layer in run.model.layers][1::2] == ["Sine"] * 3
    with pytest.raises(SettingError):
        run.set("activation", "relu,bogus")
    assert run.values["activation"] == "sine"


def test_line_mode_ignores_the_activation():
    run = RegressRun({"mode": "line", "activation": "elu,relu"}, seed=0)
    assert [type(layer).__name__ for layer in run.model.layers] == ["Dense"]


# -- hand mode: bumps from pairs of sigmoids (scenarios/bumps.py) ---------------------------
from scenarios.bumps import MAX_BUMPS, Bump, BumpScale  # noqa: E402
from scenarios.preset import load_preset, open_run, save_run  # noqa: E402

HAND = "-4:2:-3,4:3:-3,-2:1.5:1,1.5:2:2"  # the regress-hand preset's bumps


def hand_run(**values) -> RegressRun:
    return RegressRun({"mode": "hand", "bumps": HAND, **values}, seed=0)


def hand_loss(run: RegressRun, bumps) -> float:
    """The trainer's loss computed here in float64 from the bumps alone: 0.5·mean(((Σ bumps − y) / std)²)."""
    x = run.x.astype(np.float64)
    fit = np.sum(run.scale.hand_curve(bumps, run.values["steepness"], x), axis=0)
    return float(0.5 * np.mean(((fit - run.y) / run.y_std) ** 2))


def test_bumps_to_weights_and_back():
    scale = BumpScale(x_center=1.0, x_half=4.0, y_mean=0.5, y_std=2.0)
    bumps = (Bump(-1.5, 2.0, 3.0), Bump(2.0, 0.5, -1.25), Bump(4.0, 1.0, 0.0))
    w = scale.to_weights(bumps, 40.0)
    assert [a.shape for a in w] == [(1, 6), (6,), (6, 1), (1,)]
    back = scale.to_bumps(w)
    np.testing.assert_allclose(np.array(back), np.array(bumps), atol=1e-5)
    pos, height, steep = scale.steps(w)
    np.testing.assert_allclose(pos, [-2.5, -0.5, 1.75, 2.25, 3.5, 4.5], atol=1e-5)
    np.testing.assert_allclose(height, [3, -3, -1.25, 1.25, 0, 0], atol=1e-6)
    assert np.all(steep == 40.0)
    assert np.isnan(scale.steps([np.zeros((1, 2)), np.ones(2), np.ones((2, 1))])[0]).all()  # no step without a weight


def test_the_hand_network_is_the_sum_of_its_bumps():
    run = hand_run()
    assert [w.shape for w in run.model.get_weights()] == [(1, 8), (8,), (8, 1), (1,)]
    xs = np.linspace(-6, 6, 97)
    expected = np.sum(run.scale.hand_curve(run.values["bumps"], 40.0, xs), axis=0)
    np.testing.assert_allclose(run.predict(xs), expected, atol=1e-4)
    c = run.view("curve")
    assert len(c.bumps.now) == 4 and c.bumps.hand == () and c.bumps.selected == 0
    np.testing.assert_allclose(np.sum(c.bumps.now, axis=0), c.fit_y, atol=1e-4)  # output bias 0 in data units
    np.testing.assert_allclose(c.target_y, curves.true_curve("xsinx", c.fit_x), atol=1e-6)
    assert "bump 1/4" in c.title and run.view("network").activations == ("sigmoid", "out")
    # the status line's loss is the trainer's, and it is the bumps' own
    assert run.status().train_loss == pytest.approx(hand_loss(run, run.values["bumps"]), rel=1e-4)


def test_bump_keys_move_the_bump_by_exactly_their_step():
    run = hand_run()
    assert (run.x_step, run.y_step) == (0.5, 0.5)  # xsinx: x over -6..6, y over about 7.5
    start = run.values["bumps"]
    assert "bump 2/4" in run.select_bump(1) and run.selected_bump == 1
    msg = run.move_bump(1)
    assert run.values["bumps"][1] == (4.5, 3.0, -3.0) and "at 4.5" in msg and "loss" in msg
    run.raise_bump(1)
    run.raise_bump(1)
    assert run.values["bumps"][1] == (4.5, 3.0, -2.0)
    run.widen_bump(-1)
    assert run.values["bumps"][1] == (4.5, 2.5, -2.0)
    assert run.values["bumps"][0] == start[0] and run.values["bumps"][2:] == start[2:]  # only the selected one
    np.testing.assert_allclose(run.scale.to_bumps(run.model.get_weights())[1], (4.5, 2.5, -2.0), atol=1e-5)
    for _ in range(5):  # 2.5 -> 0.5 in four, then refused
        run.widen_bump(-1)
    assert run.values["bumps"][1].width == 0.5 and "narrowest" in run.notice  # one step is the least
    run.select_bump(-1)
    run.select_bump(-1)
    assert run.selected_bump == 3  # wraps
    for _ in range(16):  # 1.5 -> -6 in fifteen, then refused
        run.move_bump(-1)
    assert run.values["bumps"][3].center == -6.0 and "left edge" in run.notice


def test_bump_keys_in_the_app(colour):
    from conftest import make_app

    async def go():
        app = make_app("regress", {"mode": "hand", "bumps": HAND})
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("right_square_bracket", "right", "right", "up", "x", "k")
            run = app.scenario
            assert run.values["bumps"][1] == (5.0, 3.5, -2.5)
            assert len(run.values["bumps"]) == 5 and run.selected_bump == 4
            await pilot.press("K", "left_square_bracket")
            assert len(run.values["bumps"]) == 4 and run.selected_bump == 2
            assert app.snap.status.train_loss == pytest.approx(hand_loss(run, run.values["bumps"]), rel=1e-4)
    asyncio.run(go())


def test_loss_falls_as_bumps_come_closer_to_the_curve():
    """Bumps placed on the target, finer and finer: a bump per interval, its height the curve's mean there
    (nested intervals, so each refinement can only fit better)."""
    run = RegressRun({"mode": "hand", "noise": 0.0}, seed=0)
    losses = []
    for n in (1, 3, 6):  # x·sin x is even: halves would add nothing over one bump
        edges = np.linspace(-6, 6, n + 1)
        centers = (edges[:-1] + edges[1:]) / 2
        heights = [curves.true_curve("xsinx", np.linspace(a, b, 201)).mean() for a, b in zip(edges, edges[1:])]
        run.set("bumps", tuple(Bump(float(c), 12 / n, float(h)) for c, h in zip(centers, heights)))
        losses.append(run.status().train_loss)
    assert all(a > b for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.1 < losses[0]  # measured: 0.51, 0.31, 0.060


def test_add_bump_goes_where_the_sum_misses_most_and_lowers_the_loss():
    run = RegressRun({"mode": "hand"}, seed=0)  # one bump at 0: the troughs at ±4.9 are missed most
    before = run.status().train_loss
    msg = run.add_bump()
    new = run.values["bumps"][-1]
    assert abs(abs(new.center) - 4.9) <= 0.6 and new.height < -3 and run.selected_bump == 1
    assert run.status().train_loss < before and msg.startswith("added bump 2/2")
    for _ in range(MAX_BUMPS):
        run.add_bump()
    assert len(run.values["bumps"]) == MAX_BUMPS and "at most" in run.notice
    while len(run.values["bumps"]) > 1:
        run.remove_bump()
    assert "at least one" in run.remove_bump()


def test_training_starts_from_the_hand_weights():
    run = hand_run(optimizer="sgd", lr=0.1)
    hand = run.scale.to_weights(run.values["bumps"], 40.0)
    assert all(np.array_equal(a, b) for a, b in zip(run.model.get_weights(), hand))
    start_loss = run.status().train_loss
    run.step(1)
    moved = [a - b for a, b in zip(run.model.get_weights(), hand)]
    assert any(np.any(d) for d in moved) and max(float(np.abs(d).max()) for d in moved) < 1.0  # one small step
    run.step(499)
    assert run.trainer.history["train_loss"][0] == pytest.approx(start_loss)  # the curve starts at the hand loss
    assert run.status().train_loss < 0.5 * start_loss  # measured: 0.300 -> 0.143
    c = run.view("curve")
    assert len(c.bumps.hand) == 4 and "faint" in c.title  # the hand bumps stay on screen, faint
    assert "trained: steps at" in run.select_bump(1)
    run.raise_bump(1)  # editing a bump goes back to the hand network, edited, at step 0
    assert run.trainer.steps == 0 and "back to your bumps" in run.notice
    run.step(5)
    assert "back to your hand-placed bumps" in run.action("reset") and run.trainer.steps == 0
    assert all(np.array_equal(a, b) for a, b in zip(run.model.get_weights(),
                                                     run.scale.to_weights(run.values["bumps"], 40.0)))


def test_a_preset_reopens_the_bumps(tmp_path):
    run = hand_run()
    run.select_bump(2)
    run.move_bump(1)
    run.add_bump()
    save_run(run, tmp_path / "hand.toml")
    again = open_run(RegressRun, load_preset(tmp_path / "hand.toml", {"regress": RegressRun.schema}))
    assert again.values["bumps"] == run.values["bumps"] and again.hand
    assert all(np.array_equal(a, b) for a, b in zip(again.model.get_weights(), run.model.get_weights()))
    run.step(30)  # trained: the state beside it brings the trained weights back; the bumps stay the hand ones
    save_run(run, tmp_path / "trained.toml")
    trained = open_run(RegressRun, load_preset(tmp_path / "trained.toml", {"regress": RegressRun.schema}))
    assert trained.trainer.steps == 30 and trained.values["bumps"] == run.values["bumps"]
    assert all(np.array_equal(a, b) for a, b in zip(trained.model.get_weights(), run.model.get_weights()))
    assert len(trained.view("curve").bumps.hand) == 5


def test_bumps_setting_parses_strings_and_toml_rows_and_refuses_bad_ones():
    s = RegressRun.schema["bumps"]
    assert s.parse("-1:2:3, 4:0.5:-1") == ((-1.0, 2.0, 3.0), (4.0, 0.5, -1.0))
    assert s.parse([[-1, 2, 3]]) == ((-1.0, 2.0, 3.0),) and s.parse(s.parse("0:1:1")) == ((0.0, 1.0, 1.0),)
    assert s.format(s.parse("-1:2:3,4:0.5:-1")) == "-1:2:3,4:0.5:-1"
    for bad in ("0:0:1", "1:2", "a:b:c", "", "0:1:nan", ",".join(["0:1:1"] * (MAX_BUMPS + 1)), [[0, 1, True]]):
        with pytest.raises(SettingError, match="bumps"):
            s.parse(bad)


def test_hand_settings_and_keys_leave_other_modes_alone():
    run = RegressRun({}, seed=0)
    run.step(20)
    weights = run.model.get_weights()
    assert "hand mode" in run.set("steepness", 80) and "hand mode" in run.set("bumps", "1:1:1")
    assert "hand-mode key" in run.move_bump(1) and "hand-mode key" in run.add_bump()
    assert run.trainer.steps == 20 and all(np.array_equal(a, b) for a, b in zip(weights, run.model.get_weights()))
    run.set("mode", "hand")
    assert run.values["bumps"] == ((1.0, 1.0, 1.0),) and run.model.get_weights()[0][0, 0] == 80
    assert "one layer of bump pairs" in run.add_layer()
    assert len(run.values["bumps"]) == 1 and run.more_neurons().startswith("added bump 2/2")  # } adds a pair


def test_hand_keys_in_bursts_at_any_size_and_in_ascii(tmp_path, monkeypatch):
    """Every hand key a dozen times (past every limit), between steps and resizes: nothing reaches the error log,
    and in --ascii mode the screen (notices with arrows included) stays ASCII."""
    import html
    import re

    from conftest import make_app

    monkeypatch.setenv("NNPLAY_LOG", str(tmp_path / "errors.log"))

    async def go():
        app = make_app("regress", {"mode": "hand", "bumps": HAND}, ascii=True)
        keys = ["right_square_bracket", "left_square_bracket", "left", "right", "up", "down", "x", "X", "k", "K",
                "e", "E", "right_curly_bracket", "left_curly_bracket", "greater_than_sign", "w", "d"]
        async with app.run_test(size=(120, 40)) as pilot:
            for n, key in enumerate(keys):
                for _ in range(12):
                    await pilot.press(key)
                app.advance(7)
                await pilot.resize_terminal(*((80, 24), (200, 60), (61, 18), (120, 40))[n % 4])
                await pilot.pause()
                text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")
                assert {c for c in text if ord(c) > 127} == set(), key
            assert app.is_running and 1 <= len(app.scenario.values["bumps"]) <= MAX_BUMPS
    asyncio.run(go())
    assert not (tmp_path / "errors.log").exists()


@pytest.mark.parametrize("mode, moot", [
    ("curve", {"bumps", "steepness"}),
    ("line", {"layers", "activation", "show_neurons", "neuron_layer", "bumps", "steepness"}),
    ("hand", {"layers", "activation", "show_neurons", "neuron_layer"}),
])
def test_each_mode_names_the_settings_it_ignores(mode, moot):
    run = RegressRun({"mode": mode}, seed=0)
    assert run.idle_settings() == moot
    assert moot <= set(run.values)  # real setting names, not typos


async def test_the_panel_draws_ignored_settings_dim():
    from conftest import make_app
    from tui.controls import ControlsPane

    app = make_app("regress", {"mode": "hand"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.refresh_snapshot()
        await pilot.pause()
        text = app.query_one(ControlsPane).render()
        styles = {}
        for span in text.spans:
            styles.setdefault(str(text)[span.start:span.end].strip(), set()).add(str(span.style))
        assert "dim" in styles["layers"] and "dim" in styles["activation"]
        assert "dim" not in styles["bumps"] and "dim" not in styles["steepness"]


async def test_hand_mode_opens_paused_and_a_bump_edit_pauses_training():
    """The bumps are the learner's: the app neither starts training on them nor trains a new placement away."""
    import scenarios
    from tui.app import NNPlayApp

    app = NNPlayApp(scenarios.get("regress"), {"mode": "hand"}, 0, autoplay=True, threaded=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.playing and app.scenario.trainer.steps == 0
        await pilot.press("space")
        assert app.playing
        app.advance(50)
        await pilot.press("right")  # the selected bump moves: back to the learner's bumps, paused
        await pilot.pause()
        assert not app.playing and app.scenario.trainer.steps == 0
        await pilot.press("space")
        assert app.playing


async def test_other_modes_still_start_training():
    import scenarios
    from tui.app import NNPlayApp

    app = NNPlayApp(scenarios.get("regress"), {"mode": "curve"}, 0, autoplay=True, threaded=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.playing
