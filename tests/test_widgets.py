"""Drawing widgets, rendered in a tiny headless App."""

import asyncio

import numpy as np
import pytest
from rich.color import Color
from textual.app import App

from scenarios.views import Field as Field2D, Network, Points
from tui import colors
from tui.colors import ColorMode
from tui.widgets import AccuracyPlot, DrawCanvas, FieldView, ImageGrid, ImageItem, LossPlot, NetworkDiagram, WeightsView
from tui.widgets.lossplot import downsample_indices
from tui.widgets.network import compute_layout


@pytest.fixture(autouse=True)
def _truecolor(monkeypatch):
    monkeypatch.setattr(colors, "_current", colors.Palette(ColorMode.TRUECOLOR))


class Host(App):
    """Hosts one widget filling the screen and records the messages it posts."""

    def __init__(self, widget):
        super().__init__()
        self.widget, self.messages = widget, []

    def compose(self):
        yield self.widget

    def on_network_diagram_neuron_selected(self, msg):
        self.messages.append((msg.layer, msg.neuron))

    def on_draw_canvas_changed(self, msg):
        self.messages.append(msg.image)


def run(widget, script, size=(40, 12)):
    """Mount ``widget`` in a Host of ``size`` and run ``await script(pilot, widget)``."""

    async def main():
        app = Host(widget)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, widget)
        return app

    return asyncio.run(main())


def lines(widget):
    return [widget.render_line(y) for y in range(widget.size.height)]


def cells(strip):
    """(char, style) per cell."""
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def halves_field(rows=8, cols=8):
    values = np.where(np.arange(cols) < cols // 2, -1.0, 1.0)[None, :].repeat(rows, 0)
    return Field2D(values, (-1.0, 1.0, -1.0, 1.0))


NEG = Color.parse(colors.NEGATIVE)
POS = Color.parse(colors.POSITIVE)


# -- FieldView -----------------------------------------------------------------------------------

def test_field_halves_colours_widths_and_runs():
    async def script(pilot, w):
        w.update_field(halves_field(), [])
        strips = lines(w)
        assert len(strips) == 12 and all(s.cell_length == 40 for s in strips)
        x0, y0, cols, rows = w.plane
        assert (cols, rows) == (22, 11) and x0 == 9  # square in pixels (22 x 22), centred; the last row: legend
        for s in strips[y0:y0 + rows]:
            inside = [seg for seg in s if seg.text.strip(" ")]
            assert len(inside) == 2  # one run per flat half
            assert inside[0].style.color == NEG and inside[0].style.bgcolor == NEG
            assert inside[1].style.color == POS and inside[1].style.bgcolor == POS
            assert inside[0].text == "▀" * 11
            assert cells(s)[0][0] == " " and cells(s)[-1][0] == " "  # nothing outside the square

    run(FieldView(), script)


@pytest.mark.parametrize("size", [(80, 24), (52, 20), (120, 40), (200, 60), (30, 40)])
def test_field_plane_is_square_in_pixels_and_inside_the_widget(size):
    async def script(pilot, w):
        w.update_field(halves_field(), [])
        lines(w)
        x0, y0, cols, rows = w.plane
        width, height = size
        assert cols == 2 * rows and rows > 0  # each cell is 1 x 2 half-block pixels: a square
        assert x0 >= 0 and y0 >= 0 and x0 + cols <= width and y0 + rows <= height - 1
        assert rows == min(height - 1, width // 2)  # the largest that fits
        assert abs(x0 - (width - cols - x0)) <= 1  # centred
        assert "-1" in lines(w)[y0 + rows].text and "+1" in lines(w)[y0 + rows].text  # the legend, right under it

    run(FieldView(), script, size=size)


def test_field_points_land_in_their_cell_with_a_halo_and_test_points_only_when_asked():
    flat = Field2D(np.zeros((10, 10)), (-1.0, 1.0, -1.0, 1.0))
    train = Points(np.array([[0.5, 0.5]]), np.array([1.0]))  # plane col 0.75*22 = 16, pixel row 0.25*22 = 5 -> row 2
    test = Points(np.array([[-0.5, -0.5]]), np.array([-1.0]), test=True)  # col 5, pixel row 16 -> cell row 8

    async def script(pilot, w):
        pal = colors.current()
        w.update_field(flat, [train, test])
        x0, y0, _, _ = w.plane
        under = pal.diverging.colors[pal.diverging.levels // 2]
        ch, style = cells(w.render_line(y0 + 2))[x0 + 16]
        assert ch == "●" and style.color == pal.point_levels[-1]
        light = style.bgcolor.get_truecolor()
        assert sum(light) > sum(under.get_truecolor())  # train: the cell pulled towards white
        assert cells(w.render_line(y0 + 8))[x0 + 5][0] == "▀"
        w.update_field(flat, [train, test], show_test=True)
        ch, style = cells(w.render_line(y0 + 8))[x0 + 5]
        assert ch == "○" and style.color == pal.point_levels[0]
        assert sum(style.bgcolor.get_truecolor()) < sum(under.get_truecolor()) / 2  # test: towards black
        assert "train" in w.render_line(11).text and "test" in w.render_line(11).text  # the legend says so

    run(FieldView(), script)


def test_field_class_ids_outside_vrange_get_class_colours():
    flat = Field2D(np.zeros((4, 4)), (0.0, 1.0, 0.0, 1.0), vrange=(0.0, 1.0))
    pts = Points(np.array([[0.1, 0.9], [0.9, 0.1]]), np.array([3, 7]))

    async def script(pilot, w):
        pal = colors.current()
        w.update_field(flat, [pts])
        found = {style.color for s in lines(w)[:-1] for ch, style in cells(s) if ch == "●"}  # not the legend
        assert found == {pal.classes[3], pal.classes[7]}

    run(FieldView(), script)


def test_field_discretize_gives_exactly_two_colours():
    gradient = Field2D(np.linspace(-1, 1, 64).reshape(8, 8), (-1.0, 1.0, -1.0, 1.0))

    async def script(pilot, w):
        w.update_field(gradient, [], discretize=True)
        x0, y0, cols, rows = w.plane
        plane = [cells(s)[x0:x0 + cols] for s in lines(w)[y0:y0 + rows]]
        colours = {c for row in plane for _, st in row for c in (st.color, st.bgcolor)}
        assert colours == {NEG, POS}
        w.update_field(gradient, [])
        assert len({st.color for s in lines(w) for _, st in cells(s)}) > 2

    run(FieldView(), script)


def test_field_three_classes_get_three_hues_and_a_legend():
    values = np.array([[-1.0, 0.0, 1.0]]).repeat(6, 0)  # class 0 sure, class 1 (value 0), class 2 sure
    field = Field2D(values, (-1.0, 1.0, -1.0, 1.0), classes=3)
    pts = Points(np.array([[-0.7, 0.0], [0.0, 0.0], [0.7, 0.0]]), np.array([-1.0, 0.0, 1.0]))

    async def script(pilot, w):
        pal = colors.current()
        for discretize in (False, True):
            w.update_field(field, [pts], discretize=discretize)
            x0, y0, cols, rows = w.plane
            row = cells(lines(w)[y0 + rows - 1])[x0:x0 + cols]
            heat = [st.color for ch, st in row if ch == "▀"]
            assert heat[0] == NEG and heat[-1] == POS
            middle = heat[len(heat) // 2]
            assert middle == pal.three.colors[pal.three.levels // 2] != pal.diverging.colors[pal.diverging.levels // 2]
        dots = [st.color for s in lines(w)[:-1] for ch, st in cells(s) if ch == "●"]
        assert dots == [pal.classes[0], pal.classes[2], pal.classes[1]]  # the middle class is green, not grey
        legend = lines(w)[-1].text
        assert "class 1" in legend and "class 2" in legend and "class 3" in legend

    run(FieldView(), script, size=(40, 16))


def test_field_title_placeholder_and_bad_data():
    async def script(pilot, w):
        text = "".join(s.text for s in lines(w))
        assert "no field yet" in text
        w.update_field(halves_field(), [], title="neuron 2.1")
        x0 = w.plane[0]
        assert w.render_line(0).text[x0:].startswith(" neuron 2.1 ")
        w.update_field(halves_field(), [], title="a very long title that cannot fit in the square")
        top = w.render_line(0).text[x0:x0 + w.plane[2]]
        assert top.startswith(" a very") and top.endswith("…")
        w.update_field(Field2D(np.full((5, 5), np.nan), (-1, 1, -1, 1)), [Points(np.full((3, 2), np.nan), np.ones(3))])
        assert all(s.cell_length == 40 for s in lines(w))
        w.update_field(Field2D(np.zeros((0, 0)), (-1, 1, -1, 1)), [])
        assert "no field yet" in "".join(s.text for s in lines(w))

    run(FieldView(), script)


# -- every widget: tiny / zero sizes, ASCII mode --------------------------------------------------

def _net(sizes=(2, 4, 3, 1), seed=0):
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=(a, b)) for a, b in zip(sizes, sizes[1:])]
    thumbs = [[rng.uniform(-1, 1, (10, 10)) for _ in range(n)] for n in sizes]
    names = [f"x{i + 1}" for i in range(sizes[0])]
    return Network(tuple(names), tuple(sizes), tuple(ws), tuple(np.zeros(b) for b in sizes[1:]),
                   tuple(map(tuple, thumbs)), ("tanh",) * (len(sizes) - 1))


def _fed(kind):
    """A widget of ``kind`` with data in it."""
    rng = np.random.default_rng(1)
    if kind == "field":
        w = FieldView()
        w.update_field(halves_field(), [Points(rng.uniform(-1, 1, (30, 2)), rng.choice([-1.0, 1.0], 30))],
                       title="out")
    elif kind == "network":
        w = NetworkDiagram()
        w.update_network(_net())
    elif kind == "weights":
        w = WeightsView()
        w.update_mats([("W1", rng.normal(size=(784, 128))), ("b", rng.normal(size=10))])
    elif kind == "images":
        w = ImageGrid()
        w.update_images([ImageItem(rng.random((28, 28)), "7 .98", ok=True), ImageItem(rng.normal(size=(5, 5)),
                                                                                       diverging=True)])
    elif kind == "canvas":
        w = DrawCanvas()
        w.stroke((4, 4), (20, 20))
    else:
        w = LossPlot()
        w.update_history({"step": np.arange(50), "train_loss": np.linspace(1, 0.1, 50)})
    return w


KINDS = ["field", "network", "weights", "images", "canvas", "loss"]


def _rendered_text(w):
    if isinstance(w, LossPlot):
        return w.render().plain
    return "".join(s.text for s in lines(w))


@pytest.mark.parametrize("kind", KINDS)
def test_widgets_survive_any_size(kind):
    async def script(pilot, w):
        for size in [(1, 1), (3, 2), (200, 80), (40, 12)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert all(s.cell_length == w.size.width for s in lines(w))
            _rendered_text(w)
        w.styles.width, w.styles.height = 0, 0
        await pilot.pause()
        assert w.size.width == 0
        assert w.render_line(0).cell_length == 0
        _rendered_text(w)

    run(_fed(kind), script)


@pytest.mark.parametrize("kind", KINDS)
def test_ascii_mode_draws_only_ascii(kind, monkeypatch):
    monkeypatch.setattr(colors, "_current", colors.Palette(ColorMode.TRUECOLOR, ascii=True))

    async def script(pilot, w):
        text = _rendered_text(w)
        assert text.strip() and text.isascii()

    run(_fed(kind), script, size=(60, 30))


@pytest.mark.parametrize("kind", ["field", "network", "weights", "images", "canvas"])
def test_placeholder_or_blank_without_data(kind):
    widget = {"field": FieldView, "network": NetworkDiagram, "weights": WeightsView, "images": ImageGrid,
              "canvas": DrawCanvas}[kind]()

    async def script(pilot, w):
        text = _rendered_text(w)
        if kind != "canvas":
            assert "no " in text and "yet" in text

    run(widget, script)


# -- NetworkDiagram ---------------------------------------------------------------------------------

def test_network_headers_and_input_names():
    async def script(pilot, w):
        text = "\n".join(s.text for s in lines(w))
        assert "2 in" in text and "4 tanh" in text and "3 tanh" in text
        assert "x1" in text and "x2" in text

    run(_fed("network"), script, size=(80, 20))


def test_network_click_selects_neuron():
    async def script(pilot, w):
        lay = w.diagram_layout
        x, y = lay.xs[2] + 1, lay.rows[2][1]  # layer 2, neuron 1
        await pilot.click(NetworkDiagram, offset=(x, y))
        await pilot.pause()
        assert pilot.app.messages == [(2, 1)]
        assert w.selected == (2, 1)

    run(_fed("network"), script, size=(80, 20))


def test_network_keys_move_cursor_and_enter_selects():
    async def script(pilot, w):
        w.focus()
        await pilot.press("right", "down", "down", "down", "down", "enter")  # neuron index clamps at 3
        await pilot.pause()
        assert pilot.app.messages == [(1, 3)]
        await pilot.press("right", "enter")  # layer 2 has 3 neurons: clamps to 2
        await pilot.pause()
        assert pilot.app.messages[-1] == (2, 2)

    run(_fed("network"), script, size=(80, 20))


def test_network_connection_colours_follow_weight_sign():
    view = Network(("a",), (1, 2), (np.array([[-1.0, 1.0]]),), (np.zeros(2),), (), ("tanh",))

    async def script(pilot, w):
        lines_pal = colors.current().lines
        colours = {st.color for s in lines(w) for ch, st in cells(s) if 0x2800 < ord(ch) <= 0x28FF}
        assert colours == {lines_pal.colors[0], lines_pal.colors[-1]}

    w = NetworkDiagram()
    w.update_network(view)
    run(w, script, size=(60, 12))


def test_network_many_neurons_page_instead_of_shrinking():
    # The old layout shrank thumbnails to 2x1 swatches to squeeze a column in; now it shows a page of them.
    view = _net(sizes=(6, 12, 12, 12, 12, 12, 12, 12, 1))
    for height in (20, 10):
        lay = compute_layout(view, 100, height)
        assert all(x - 1 >= 0 and x + lay.slot_w + 1 <= 100 for x in lay.xs)  # thumbnails and cursor marks
        assert all(1 <= r and r + lay.th <= height for rows in lay.rows for r in rows)
        assert sum(lay.hidden) > 0 and (lay.tw, lay.th) == (6, 3)
        assert [len(r) + h for r, h in zip(lay.rows, lay.hidden)] == list(view.layer_sizes)
        assert lay.note_row is not None and all(r + lay.th <= lay.note_row for rows in lay.rows for r in rows)
    page = compute_layout(view, 100, 20, starts={1: 5, 2: 99})
    assert page.first[1] == 5 and page.first[2] == 12 - page.fit  # clamped to the last full page
    big = compute_layout(_net(), 120, 60)
    assert big.tw > 6 and not big.paged  # room to spare: bigger thumbnails, everything shown


def test_network_thumbnails_readable_in_a_120x40_pane():
    for sizes in [(2, 4, 2, 1), (7, 8, 8, 4, 1), (2, 16, 16, 1)]:
        lay = compute_layout(_net(sizes=sizes), 52, 13)
        assert lay.tw >= 6 and lay.th >= 3, sizes
        assert [len(r) + h for r, h in zip(lay.rows, lay.hidden)] == list(sizes)
    assert not compute_layout(_net(sizes=(2, 4, 2, 1)), 52, 13).paged  # the default net fits


def test_network_keys_page_through_a_big_layer():
    view = _net(sizes=(2, 16, 1))

    async def script(pilot, w):
        lay = w.diagram_layout
        assert lay.paged and lay.hidden[1] == 16 - lay.fit
        text = "\n".join(s.text for s in lines(w))
        assert f"1-{lay.fit}/16" in text and "16 tanh" in text
        assert "more" in str(w.border_subtitle) and "↑/↓" in str(w.border_subtitle)
        w.focus()
        await pilot.press("right", *["down"] * (lay.fit + 1), "enter")
        await pilot.pause()
        assert pilot.app.messages == [(1, lay.fit + 1)]
        lay = w.diagram_layout
        assert lay.first[1] <= lay.fit + 1 < lay.first[1] + lay.fit  # the page turned to show the cursor
        x, y = lay.xs[1] + 1, lay.rows[1][0]
        await pilot.click(NetworkDiagram, offset=(x, y))
        await pilot.pause()
        assert pilot.app.messages[-1] == (1, lay.first[1])  # clicks pick the neuron on the page shown
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown", "pagedown", "pagedown")
        await pilot.pause()
        assert w.cursor == (1, 15) and w.diagram_layout.first[1] == 16 - lay.fit

    w = NetworkDiagram()
    w.update_network(view)
    run(w, script, size=(52, 13))


# -- LossPlot -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, m", [(1, 10), (10, 10), (11, 10), (10_000, 120), (12_345, 7)])
def test_downsample_indices(n, m):
    idx = downsample_indices(n, m)
    assert len(idx) <= m + 1 and idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)
    step = np.diff(idx[:-1])
    assert step.size == 0 or np.all(step == step[0])  # evenly spaced apart from the final point


def test_lossplot_downsamples_and_skips_unchanged_updates():
    n = 20_000
    hist = {"step": np.arange(n), "train_loss": np.exp(-np.arange(n) / 5000), "test_loss": np.full(n, 0.5)}

    async def script(pilot, w):
        w.update_history(hist)
        await pilot.pause()
        first = w.render()
        width = w.size.width
        assert 0 < w.points_plotted <= 2 * (2 * width + 1)
        assert "train loss" in str(w.border_subtitle) and "train loss" not in first.plain  # legend off the plot
        w.update_history({k: v.copy() for k, v in hist.items()})  # same content
        assert w.render() is first
        hist2 = {k: np.append(v, v[-1]) for k, v in hist.items()}
        w.update_history(hist2)
        assert w.render() is not first

    run(LossPlot(), script, size=(60, 20))


def test_lossplot_empty_and_accuracy_variant():
    async def script(pilot, w):
        w.update_history({})
        assert "no data yet" in w.render().plain
        w.update_history({"train_acc": np.array([0.5, 0.9]), "test_acc": np.array([np.nan, 0.8])})
        text = w.render().plain
        assert "train acc" in str(w.border_subtitle) and "accuracy" in text and w.points_plotted == 3

    run(AccuracyPlot(), script, size=(60, 20))


# -- WeightsView ----------------------------------------------------------------------------------------

def test_weights_titles_ranges_and_colours():
    m = np.array([[-2.0, 2.0], [-2.0, 2.0]])

    async def script(pilot, w):
        w.update_mats([("W1", m), ("big", np.linspace(-3, 1, 784 * 128).reshape(784, 128))])
        strips = lines(w)
        assert strips[0].text.startswith("W1  -2 .. 2")
        left, right = cells(strips[1])[0][1], cells(strips[1])[11][1]
        assert left.color == NEG and right.color == POS  # 2 columns upscaled 6x: 12 cells
        assert any(s.text.startswith("big  -3 .. 1") for s in strips)
        assert all(s.cell_length == 40 for s in strips)

    run(WeightsView(), script, size=(40, 30))


# -- ImageGrid ------------------------------------------------------------------------------------------

def test_image_grid_pixels_and_caption_colours():
    white = np.ones((28, 28))

    async def script(pilot, w):
        pal = colors.current()
        w.update_images([ImageItem(white, "7 .98", ok=True), ImageItem(white, "1 .50", ok=False)])
        strips = lines(w)
        text = [s.text for s in strips]
        row = next(i for i, t in enumerate(text) if "7 .98" in t)
        caps = {t: st for t, st in ((ch, st) for ch, st in cells(strips[row])) if t in "71"}
        assert caps["7"].color == pal.ok.color and caps["1"].color == pal.bad.color
        assert cells(strips[0])[0][1].color == pal.gray.colors[-1]  # white pixel, top-left
        w.update_images([ImageItem(np.array([[-1.0, 1.0]]), diverging=True)])
        first = cells(lines(w)[0])
        assert first[0][1].color == NEG and first[-1][1].color != NEG

    run(ImageGrid(), script, size=(60, 20))


# -- DrawCanvas -----------------------------------------------------------------------------------------

def test_canvas_mouse_paints_and_right_button_erases():
    async def script(pilot, w):
        s, x0, y0 = w._geometry()
        await pilot.mouse_down(DrawCanvas, offset=(x0 + 5, y0 + 3))
        await pilot.hover(DrawCanvas, offset=(x0 + 20, y0 + 3))
        await pilot.mouse_up(DrawCanvas, offset=(x0 + 20, y0 + 3))
        await pilot.pause()
        img = pilot.app.messages[-1]
        assert img.dtype == np.float32 and img.shape == (28, 28)
        assert img[7, 5] > 0.9 and img[7, 12] > 0.9 and img[7, 20] > 0.9  # the whole drag, not just its ends
        assert img[20, 12] == 0 and img.max() <= 1
        await pilot.mouse_down(DrawCanvas, offset=(x0 + 12, y0 + 3), button=3)
        await pilot.mouse_up(DrawCanvas, offset=(x0 + 12, y0 + 3))
        await pilot.pause()
        assert pilot.app.messages[-1][7, 12] == 0 and pilot.app.messages[-1][7, 5] > 0.9

    run(DrawCanvas(), script, size=(28, 14))


def test_canvas_keys_paint_erase_and_clear():
    async def script(pilot, w):
        w.focus()
        await pilot.press("space")
        await pilot.pause()
        assert w.image[14, 14] > 0.9
        await pilot.press("right", "right", "right", "right", "right", "space")
        await pilot.pause()
        assert w.image[14, 19] > 0.9
        await pilot.press("x")
        await pilot.pause()
        assert w.image[14, 19] == 0 and w.image[14, 14] > 0.9
        await pilot.press("c")
        await pilot.pause()
        assert w.image.sum() == 0 and pilot.app.messages[-1].sum() == 0

    run(DrawCanvas(), script, size=(56, 28))


def test_polyline_pixels_stay_connected_and_clip():
    from tui.widgets.space import polyline_pixels

    r, c = polyline_pixels([np.array([[0.0, 0.0], [1.0, 1.0]])], (0.0, 1.0), 20, 20)
    cells = set(zip(r.tolist(), c.tolist()))
    assert (19, 0) in cells and (0, 19) in cells  # both ends of the diagonal (y up, rows down)
    assert all((20 - 1 - k, k) in cells for k in range(20))  # every cell along it: no gaps
    r, c = polyline_pixels([np.array([[-5.0, 0.5], [5.0, 0.5]]), np.array([[np.nan, 0.0], [0.5, 0.5]])], (0.0, 1.0), 10, 10)
    assert r.size and r.min() >= 0 and r.max() < 10 and c.min() >= 0 and c.max() < 10  # clipped, NaN segment dropped


@pytest.mark.parametrize("size, cells", [((52, 8), (16, 8)), ((28, 14), (28, 14)), ((100, 17), (28, 14)),
                                         ((60, 30), (56, 28))])
def test_canvas_stays_square_in_pixels(size, cells):
    async def script(pilot, w):
        w.stroke((0.5, 0.5), (27.5, 27.5))  # the diagonal, pixel centre to pixel centre
        cols, rows = w._cells()
        assert (cols, rows) == cells and cols == 2 * rows  # 28x28 pixels drawn square
        s, x0, y0 = w._geometry()
        assert x0 >= 0 and y0 >= 0 and x0 + cols <= size[0] and y0 + rows <= size[1]
        strips = lines(w)
        white = colors.current().gray.colors[-1]
        lit = [(y, x) for y, s_ in enumerate(strips) for x, (ch, st) in enumerate(cells_of(s_))
               if st.color == white or st.bgcolor == white]
        assert (y0, x0) in lit and (y0 + rows - 1, x0 + cols - 1) in lit  # both ends shown, even shrunk

    run(DrawCanvas(), script, size=size)


def cells_of(strip):
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def test_space_view_captions_fit_and_plot_is_square():
    from scenarios.views import HiddenSpace
    from tui.widgets.space import SpaceView

    rng = np.random.default_rng(0)
    line = np.stack([np.linspace(-1, 1, 20), np.linspace(-1, 1, 20)], 1)
    sp = HiddenSpace(lines=(line,), points=rng.uniform(-1, 1, (30, 2)), labels=rng.choice([-1.0, 0.0, 1.0], 30),
                     lim=(-1.05, 1.05), xlabel="neuron 1", ylabel="neuron 2", title="layer 1: neurons 1 × 2",
                     classes=3)

    async def script(pilot, w):
        pal = colors.current()
        w.update_view(sp, None)
        text = [s.text for s in lines(w)]
        assert all(s.cell_length == 34 for s in lines(w))
        assert text[-1].rstrip().endswith("neuron 2") or text[-1].rstrip().endswith("]")  # whole words, or …
        assert "[-1.05," not in text[-1] or "1.05]" in text[-1]
        dots = {st.color for s in lines(w) for ch, st in cells(s) if ch == "●"}
        assert pal.classes[2] in dots and pal.point_levels[len(pal.point_levels) // 2] not in dots  # green, not grey

    run(SpaceView(), script, size=(34, 10))


def test_ascii_mode_spells_titles_in_ascii(monkeypatch):
    from scenarios.views import HiddenSpace
    from tui.widgets.space import SpaceView

    monkeypatch.setattr(colors, "_current", colors.Palette(ColorMode.NONE, ascii=True))
    sp = HiddenSpace(lines=(), points=np.zeros((3, 2)), labels=np.array([-1.0, 0.0, 1.0]), lim=(-1.0, 1.0),
                     xlabel="neuron 1", ylabel="neuron 2", title="layer 1: neurons 1 × 2", classes=3)
    field = Field2D(np.zeros((4, 4)), (-1.0, 1.0, -1.0, 1.0), classes=3)
    pts = Points(np.array([[-0.5, 0.5], [0.0, 0.0], [0.5, -0.5]]), np.array([-1.0, 0.0, 1.0]))

    async def script(pilot, w):
        w.update_view(sp, None)
        text = "".join(s.text for s in lines(w))
        assert text.isascii() and "1 x 2" in text

    run(SpaceView(), script, size=(40, 12))

    async def field_script(pilot, w):
        w.update_field(field, [pts], title="layer 1 · neuron 2 … long")
        text = [s.text for s in lines(w)]
        assert all(t.isascii() for t in text)
        legend = text[w.plane[1] + w.plane[3]]
        glyphs = [legend.split()[i] for i in (0, 3, 6)]
        assert glyphs == ["X", "V", "O"]  # three classes, three distinct glyphs without colour

    run(FieldView(), field_script, size=(40, 12))
