"""The optimizer race: analytic surfaces, racers that are engine.optimizers unchanged, divergence, views, the app."""

import numpy as np
import pytest

from conftest import make_app
from engine.optimizers import NAMES as OPTIMIZERS
from engine.optimizers import get_optimizer
from engine.surfaces import HIMMELBLAU_MINIMA, NAMES, SURFACES, bowl, get_surface
from scenarios.optimize import OptimizeRun
from scenarios.preset import load_preset, open_run, save_run
from scenarios.settings import SettingError

SIZE = (120, 40)


def all_surfaces():
    return [get_surface(n) for n in NAMES] + [bowl(1.0), bowl(1000.0)]


# -- surfaces ----------------------------------------------------------------------------

@pytest.mark.parametrize("surface", all_surfaces(), ids=lambda s: f"{s.name}-{s.formula}")
def test_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(0)
    xmin, xmax, ymin, ymax = surface.extent
    pts = np.column_stack([rng.uniform(xmin, xmax, 40), rng.uniform(ymin, ymax, 40)])
    pts = np.vstack([pts, [surface.start], surface.minima])
    h = 1e-6
    for x, y in pts:
        gx, gy = surface.grad(x, y)
        nx = (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h)
        ny = (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)
        scale = 1.0 + abs(nx) + abs(ny)
        assert abs(gx - nx) <= 1e-6 * scale and abs(gy - ny) <= 1e-6 * scale, (x, y, gx, nx, gy, ny)


def test_gradients_broadcast_over_arrays():
    s = get_surface("rosenbrock")
    x, y = np.linspace(-1, 1, 5)[None, :], np.linspace(0, 2, 3)[:, None]
    gx, gy = s.grad(x, y)
    assert gx.shape == gy.shape == s.value(x, y).shape == (3, 5)
    assert gx[1, 2] == pytest.approx(s.grad(0.0, 1.0)[0])


@pytest.mark.parametrize("surface", all_surfaces(), ids=lambda s: f"{s.name}-{s.formula}")
def test_minima_are_minima(surface):
    for mx, my in surface.minima:
        assert surface.value(mx, my) == pytest.approx(surface.min_value, abs=1e-9)
        assert np.hypot(*surface.grad(mx, my)) < 1e-4
        for dx, dy in ((1e-2, 0), (-1e-2, 0), (0, 1e-2), (0, -1e-2)):
            assert surface.value(mx + dx, my + dy) > surface.min_value
    grid = surface.grid(201, 201)
    assert grid.min() >= surface.min_value - 1e-12
    xmin, xmax, ymin, ymax = surface.extent
    assert xmin <= surface.start[0] <= xmax and ymin <= surface.start[1] <= ymax


def test_known_minima_and_the_saddle():
    assert get_surface("rosenbrock").minima == ((1.0, 1.0),)
    assert get_surface("beale").value(3.0, 0.5) == 0.0
    assert len(HIMMELBLAU_MINIMA) == 4
    s = get_surface("saddle")
    assert s.grad(0.0, 0.0) == (0.0, 0.0) and s.value(0.0, 0.0) == 1.0  # flat, but no minimum
    assert s.value(0.0, 0.1) < 1.0 < s.value(0.1, 0.0)


def test_bowl_condition_number_is_the_curvature_ratio():
    for k in (1.0, 10.0, 500.0):
        s = bowl(k)
        h = 1e-3
        hess = np.empty((2, 2))
        for i, (dx, dy) in enumerate(((h, 0.0), (0.0, h))):
            hess[i] = (np.array(s.grad(dx, dy)) - np.array(s.grad(-dx, -dy))) / (2 * h)
        eig = np.linalg.eigvalsh(hess)
        assert eig.max() / eig.min() == pytest.approx(k, rel=1e-6)
    with pytest.raises(ValueError):
        bowl(0.5)
    with pytest.raises(ValueError, match="unknown surface"):
        get_surface("everest")
    assert set(NAMES) == set(SURFACES) | {"bowl"}


# -- racers --------------------------------------------------------------------------------

def by_hand(run: OptimizeRun, name: str, steps: int) -> np.ndarray:
    """Step engine.optimizers directly from the start point: what the racer must have done."""
    v = run.values
    opt = {
        "sgd": lambda: get_optimizer("sgd", v["lr"]),
        "momentum": lambda: get_optimizer("momentum", v["lr"], momentum=v["momentum"]),
        "nesterov": lambda: get_optimizer("nesterov", v["lr"], momentum=v["momentum"]),
        "adam": lambda: get_optimizer("adam", v["adaptive_lr"], beta1=v["beta1"], beta2=v["beta2"]),
        "rmsprop": lambda: get_optimizer("rmsprop", v["adaptive_lr"]),
        "adagrad": lambda: get_optimizer("adagrad", v["adaptive_lr"]),
        "adadelta": lambda: get_optimizer("adadelta", 1.0),
    }[name]()
    p = np.array(run.surface.start, np.float64)
    path = [p.copy()]
    for _ in range(steps):
        g = np.array(run.surface.grad(*p), np.float64)
        opt.step([(p, g)])
        path.append(p.copy())
    return np.array(path)


@pytest.mark.parametrize("surface", NAMES)
def test_each_racer_is_its_optimizer_stepped_by_hand(surface):
    run = OptimizeRun({"surface": surface})
    assert run.step(40) == 40
    race = run.view("race")
    assert [r.name for r in race.racers] == list(OPTIMIZERS)
    for r in race.racers:
        if r.diverged:
            continue
        np.testing.assert_allclose(r.path, by_hand(run, r.name, 40), rtol=1e-12, atol=1e-12)
        assert r.steps == 40
        assert r.loss == pytest.approx(run.surface.value(*r.path[-1]))


def test_racer_rules_and_rates():
    run = OptimizeRun({"lr": 0.03, "adaptive_lr": 0.01, "momentum": 0.8, "beta1": 0.5, "beta2": 0.99})
    opts = {n: r.optimizer for n, r in run.racers.items()}
    assert opts["sgd"].lr == 0.03 and opts["sgd"].momentum == 0.0
    assert opts["momentum"].momentum == 0.8 and not opts["momentum"].nesterov
    assert opts["nesterov"].momentum == 0.8 and opts["nesterov"].nesterov
    assert (opts["adam"].lr, opts["adam"].beta1, opts["adam"].beta2) == (0.01, 0.5, 0.99)
    assert opts["rmsprop"].lr == opts["adagrad"].lr == 0.01
    assert opts["adadelta"].lr == 1.0


def test_momentum_beats_sgd_down_the_narrow_valley():
    run = OptimizeRun({"surface": "bowl", "condition": 100.0, "lr": 0.1})
    run.step(200)
    losses = {r.name: r.loss for r in run.view("race").racers}
    assert losses["momentum"] < 1e-3 * losses["sgd"]
    assert losses["nesterov"] < 1e-3 * losses["sgd"]


def test_one_racer_diverging_leaves_the_others_racing():
    run = OptimizeRun({"lr": 3.0})  # far beyond SGD's 2/λ = 1/3 on the bowl: the SGD family diverges
    run.step(200)
    racers = {r.name: r for r in run.view("race").racers}
    for n in ("sgd", "momentum", "nesterov"):
        assert racers[n].diverged and racers[n].steps < 200
        assert np.all(np.isfinite(racers[n].path))  # it stops at its last finite point
    for n in ("adam", "rmsprop", "adagrad", "adadelta"):
        assert not racers[n].diverged and racers[n].steps == 200
    assert not run.diverged and run.trainer.steps == 200
    assert "sgd" in run.status().data_note and run.status().state == "paused"
    assert np.isfinite(run.status().train_loss)


def test_every_racer_diverging_diverges_the_run():
    run = OptimizeRun({"lr": 3.0, "racers": "sgd,momentum"})
    done = run.step(500)
    assert run.diverged and done < 500 and run.step(5) == 0
    assert run.status().state == "diverged" and "lower lr" in run.status().message
    run.action("reset")
    assert not run.diverged and run.trainer.steps == 0


def test_live_rate_change_keeps_paths_and_state():
    run = OptimizeRun({"lr": 0.01, "adaptive_lr": 0.01})
    run.step(20)
    before = {n: (r.optimizer, len(r.path), r.steps) for n, r in run.racers.items()}
    adam_m = run.racers["adam"].optimizer.state[0]["m"].copy()
    run.set("lr", 0.03)
    run.set("adaptive_lr", 0.1)
    run.set("beta1", 0.8)
    run.set("momentum", 0.95)
    for n, r in run.racers.items():
        assert r.optimizer is before[n][0] and len(r.path) == before[n][1] and r.steps == 20
    np.testing.assert_array_equal(run.racers["adam"].optimizer.state[0]["m"], adam_m)
    assert run.racers["sgd"].optimizer.lr == 0.03 and run.racers["adam"].optimizer.lr == 0.1
    assert run.racers["adam"].optimizer.beta1 == 0.8 and run.racers["momentum"].optimizer.momentum == 0.95
    assert run.trainer.steps == 20
    run.step(5)
    assert run.racers["sgd"].steps == 25


def test_momentum_from_zero_and_back_keeps_the_position():
    run = OptimizeRun({"momentum": 0.0})
    run.step(10)
    pos = run.racers["momentum"].pos.copy()
    run.set("momentum", 0.9)  # a velocity to start from: zero, as a momentum-0 rule had none
    np.testing.assert_array_equal(run.racers["momentum"].pos, pos)
    assert run.step(10) == 10 and run.racers["momentum"].steps == 20


def test_surface_change_restarts_with_rates_that_suit_it():
    run = OptimizeRun()
    run.step(10)
    msg = run.nudge("surface", 1)
    assert run.values["surface"] == "rosenbrock" and "a new race" in msg
    assert run.values["lr"] == get_surface("rosenbrock").lr
    assert run.trainer.steps == 0 and all(len(r.path) == 1 for r in run.racers.values())
    run.set("condition", 200.0)  # only the bowl uses it, but it is still a new race
    assert run.surface.name == "rosenbrock"


def test_toggling_racers():
    run = OptimizeRun()
    run.step(10)
    run.toggle_racer("adam")
    assert "adam" not in run.racers and "adam" not in run.values["racers"]
    run.step(5)
    run.toggle_racer("adam")  # back in: afresh from the start point
    assert run.racers["adam"].steps == 0 and run.racers["sgd"].steps == 15
    assert list(run.racers) == list(OPTIMIZERS)
    only = OptimizeRun({"racers": "sgd"})
    assert "only racer" in only.toggle_racer("sgd") and list(only.racers) == ["sgd"]
    with pytest.raises(SettingError):
        OptimizeRun({"racers": "sgd,lbfgs"})


def test_start_point_moves_and_clamps():
    run = OptimizeRun({"surface": "rosenbrock"})
    run.step(10)
    run.set_start(0.5, 0.5)
    assert run.start == (0.5, 0.5) and run.trainer.steps == 0
    assert all(tuple(r.path[0]) == (0.5, 0.5) for r in run.racers.values())
    run.move_start("right")
    assert run.start == pytest.approx((0.5 + 4 / 20, 0.5))
    run.set_start(100.0, -100.0)
    assert run.start == (2.0, -1.0)
    assert "finite" in run.set_start(float("nan"), 0.0)
    run.action("regenerate")
    xmin, xmax, ymin, ymax = run.surface.extent
    assert xmin <= run.start[0] <= xmax and ymin <= run.start[1] <= ymax


def test_views():
    run = OptimizeRun({"surface": "himmelblau"})
    run.step(30)
    race = run.view("race")
    assert race.field.values.shape == (121, 161) and race.field.extent == run.surface.extent
    lo, hi = race.field.vrange
    assert lo < hi and np.all(race.field.values >= lo - 1e-5) and np.all(race.field.values <= hi + 1e-5)
    assert race.start == run.surface.start and len(race.minima) == 4
    assert all(r.path.shape == (31, 2) for r in race.racers)
    assert [r.key for r in race.racers] == ["1", "2", "3", "4", "5", "6", "7"]
    loss = run.view("race_loss")
    assert loss.keys == tuple(OPTIMIZERS) and len(loss.history["step"]) == 31
    assert loss.history["sgd"][-1] == pytest.approx(race.racers[0].loss)
    assert run.metrics()["train_loss"] == min(r.loss for r in race.racers)


def test_preset_keeps_start_and_race(tmp_path):
    import scenarios

    run = OptimizeRun({"surface": "saddle"})
    run.set_start(-1.0, 0.2)
    run.step(25)
    path = tmp_path / "race.toml"
    assert save_run(run, path) is not None
    again = open_run(OptimizeRun, load_preset(path, scenarios.schemas()))
    assert again.start == (-1.0, 0.2) and again.trainer.steps == 25
    for a, b in zip(run.view("race").racers, again.view("race").racers):
        np.testing.assert_allclose(a.path, b.path)
        assert a.steps == b.steps and a.loss == pytest.approx(b.loss)
    with pytest.raises(SettingError, match="no network"):
        run.save_model(str(tmp_path / "m.npz"))


def test_shipped_preset_races_momentum_against_sgd():
    from pathlib import Path

    import scenarios

    p = load_preset(Path(scenarios.__file__).parent / "presets" / "optimize-valley.toml", scenarios.schemas())
    run = open_run(OptimizeRun, p)
    assert set(run.racers) == {"sgd", "momentum"}
    run.step(300)
    assert run.racers["momentum"].loss < 1e-3 * run.racers["sgd"].loss


def test_race_view_draws_paths_legend_and_bands():
    from textual.geometry import Size

    from tui import colors
    from tui.widgets.race import RaceView, band_levels

    bands = band_levels(np.arange(21), 21)
    assert bands[0] == 20 and bands[-1] < 10  # low values take the blue end
    run = OptimizeRun({"lr": 3.0})
    run.step(60)
    w = RaceView()
    w.update_view(run.view("race"), run.status())
    for ascii_mode in (False, True):
        pal = colors.configure(colors.ColorMode.TRUECOLOR, ascii=ascii_mode)
        strips = w.build(80, 30, pal, w.rich_style)
        text = "\n".join("".join(seg.text for seg in s) for s in strips)
        assert "sgd diverged" in text and "adam" in text and "@60" in text
        if not ascii_mode:
            assert "✕" in text and "●" in text
        else:
            assert "X" in text and "A" in text
    assert set(colors.RACERS) == set(OPTIMIZERS)
    assert len({h for h, _, _ in colors.RACERS.values()}) == len(OPTIMIZERS)  # each racer its own colour...
    assert len({a for _, a, _ in colors.RACERS.values()}) == len(OPTIMIZERS)  # ...in 16 colours too
    assert len({le for _, _, le in colors.RACERS.values()}) == len(OPTIMIZERS)  # ...and its own ASCII letter
    w._size = Size(80, 30)  # noqa: SLF001 -- clicks map through the last frame's size
    assert w.map_rows < 30


def _glyph_colours(strips, keep) -> dict[str, set]:
    """Colour of each drawn glyph ``keep`` accepts, as {glyph or 'braille': {colours}} (uncoloured text left out)."""
    out: dict[str, set] = {}
    for strip in strips:
        for seg in strip:
            color = seg.style.color if seg.style else None
            for ch in seg.text:
                if color is not None and keep(ch):
                    out.setdefault("braille" if 0x2801 <= ord(ch) <= 0x28FF else ch, set()).add(color)
    return out


@pytest.mark.parametrize("mode", ["truecolor", "256", "16"])
@pytest.mark.parametrize("ascii_mode", [False, True])
def test_loss_lines_take_the_colour_of_each_racers_path(mode, ascii_mode):
    """The loss pane's line of a racer has the colour (and, in ASCII, the letter) of its path on the map."""
    from tui import colors
    from tui.widgets.race import RaceLossPane, RaceView, legend_entries

    pal = colors.configure(colors.ColorMode(mode), ascii=ascii_mode)
    run = OptimizeRun(seed=0)
    run.step(40)
    assert not any(r.diverged for r in run.racers.values())
    race, loss = RaceView(), RaceLossPane()
    race.update_view(run.view("race"), run.status())
    loss.update_view(run.view("race_loss"), run.status())
    on_map = race.build(100, 40, pal, race.rich_style)
    plotted = loss.build(60, 24, pal, loss.rich_style)
    want = {n: pal.racer_color(n) for n in OPTIMIZERS}
    assert len(set(want.values())) == len(OPTIMIZERS)  # seven colours, at this depth too
    if ascii_mode:  # each racer's letter: its trail on the map, its marker in the plot; the same colour
        letters = {colors.racer_letter(n): want[n] for n in OPTIMIZERS}
        map_letters = _glyph_colours(on_map, lambda ch: ch in letters)
        plot_letters = _glyph_colours(plotted, lambda ch: ch in letters)
        assert map_letters == plot_letters == {k: {c} for k, c in letters.items()}
    else:  # Braille: the paths (and discs: the racers' places) on the map, the lines in the plot
        drawn = _glyph_colours(on_map, lambda ch: ch == "●" or 0x2801 <= ord(ch) <= 0x28FF)
        assert set().union(*drawn.values()) == set(want.values())
        assert _glyph_colours(plotted, lambda ch: True)["braille"] == set(want.values())
    legend = {text.split()[0]: style.color for _, _, style, text in legend_entries(run.view("race"), pal)}
    assert legend == want


# -- the app ---------------------------------------------------------------------------------

async def test_app_opens_the_race_and_keys_work():
    app = make_app("optimize")
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one("#pane-race") is not None
        await pilot.press("s", "s", "s")
        assert app.scenario.trainer.steps == 3
        await pilot.press("4")
        assert "adam" not in app.scenario.racers
        await pilot.press("4")
        assert "adam" in app.scenario.racers
        start = app.scenario._start()
        await pilot.press("right")
        assert app.scenario.start[0] > start[0] and app.scenario.trainer.steps == 0
        await pilot.press("plus")
        assert app.scenario.racers["sgd"].optimizer.lr == 0.3
        await pilot.press("n")
        assert app.scenario.values["surface"] == "rosenbrock"
        assert "rosenbrock" in app.snap.view("race").field.title


async def test_click_on_the_map_sets_the_start():
    app = make_app("optimize")
    async with app.run_test(size=SIZE) as pilot:
        race = app.query_one("#pane-race")
        await pilot.click(race, offset=(race.size.width // 2, race.size.height // 3))
        await pilot.pause()
        assert app.scenario.start is not None
        x, y = app.scenario.start
        xmin, xmax, ymin, ymax = app.scenario.surface.extent
        assert abs(x - (xmin + xmax) / 2) < (xmax - xmin) / 10 and y > (ymin + ymax) / 2


def test_race_view_fits_any_size_and_palette():
    from tui import colors
    from tui.widgets.race import RaceView

    run = OptimizeRun({"lr": 3.0})
    run.step(50)
    w = RaceView()
    w.update_view(run.view("race"), run.status())
    for mode in (colors.ColorMode.TRUECOLOR, colors.ColorMode.STANDARD, colors.ColorMode.NONE):
        for ascii_mode in (False, True):
            pal = colors.configure(mode, ascii=ascii_mode)
            for size in ((1, 1), (5, 3), (20, 7), (30, 9), (200, 60)):
                strips = w.build(*size, pal, w.rich_style)
                assert len(strips) == size[1] and all(s.cell_length == size[0] for s in strips)
            text = "".join(seg.text for s in w.build(80, 30, pal, w.rich_style) for seg in s)
            braille = any(0x2800 < ord(c) <= 0x28FF for c in text)
            assert braille == (not pal.ramp)  # paths: Braille lines in colour, letters otherwise
    w.update_view(None, run.status())
    assert "no race" in "".join(seg.text for s in w.build(30, 9, pal, w.rich_style) for seg in s)
