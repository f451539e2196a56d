"""--graphics: the escape sequences decode back to the pixels sent, detection never hangs, cells stays the default."""

from __future__ import annotations

import base64
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
import zlib

import numpy as np
import pytest

from tui import graphics, termimage

from conftest import REPO, make_app, state_app


@pytest.fixture(autouse=True)
def _cells_after():
    yield
    graphics.configure(None)


# -- decoders (independent of the encoders: they follow the formats' specifications) -----------------------
def decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, _ = struct.unpack(">IIBBBBB", body)
            assert (depth, ctype) == (8, 2)
            size = (h, w)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    h, w = size
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 3 * w)
    out = np.zeros((h, 3 * w), np.int32)
    for y in range(h):
        f, row = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros(3 * w, np.int32)
        if f == 0:
            out[y] = row
        elif f == 2:
            out[y] = (row + prev) % 256
        else:
            raise AssertionError(f"filter {f} not expected")
    return out.reshape(h, w, 3).astype(np.uint8)


def decode_sixel(seq: str) -> tuple[np.ndarray, dict]:
    """(h, w) register per pixel (-1: untouched) and register -> RGB percent, from a DCS sixel string."""
    m = re.match(r'\x1bP0;1;0q"1;1;(\d+);(\d+)(.*)\x1b\\$', seq, re.S)
    assert m, seq[:40]
    w, h, body = int(m.group(1)), int(m.group(2)), m.group(3)
    img = np.full((h, w), -1)
    regs: dict[int, tuple[int, int, int]] = {}
    x = band = 0
    color = None
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "#":
            j = i + 1
            while j < len(body) and (body[j].isdigit() or body[j] == ";"):
                j += 1
            parts = [int(p) for p in body[i + 1:j].split(";")]
            if len(parts) == 5:
                assert parts[1] == 2  # RGB
                regs[parts[0]] = tuple(parts[2:])
            color = parts[0]
            i = j
            continue
        if ch == "$":
            x = 0
        elif ch == "-":
            x, band = 0, band + 1
        else:
            count = 1
            if ch == "!":
                j = i + 1
                while body[j].isdigit():
                    j += 1
                count, ch, i = int(body[i + 1:j]), body[j], j
            bits = ord(ch) - 63
            assert 0 <= bits < 64
            for k in range(6):
                if bits >> k & 1:
                    y = band * 6 + k
                    assert y < h
                    img[y, x:x + count] = color
            x += count
        i += 1
    return img, regs


def random_image(h, w, n, seed=0):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, (h, w))
    index[:, : w // 2] = index[:, :1]  # long runs too, so run-length coding is exercised
    palette = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    return index, palette


# -- encoders -------------------------------------------------------------------------------------------------
def test_png_round_trip():
    index, palette = random_image(23, 17, 9)
    rgb = palette[index]
    assert np.array_equal(decode_png(termimage.png(rgb)), rgb)


def test_kitty_image_chunks_decode_to_the_pixels():
    index, palette = random_image(90, 70, 200, seed=1)  # noisy: several 4096-byte chunks
    rgb = palette[index]
    seq = termimage.kitty_image(rgb, cols=7, rows=5, image_id=1234)
    parts = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", seq)
    assert "".join(f"\x1b_G{k};{v}\x1b\\" for k, v in parts) == seq  # nothing else in between
    assert len(parts) > 1
    keys = [dict(kv.split("=") for kv in k.split(",")) for k, _ in parts]
    first = keys[0]
    assert first["a"] == "T" and first["f"] == "100" and first["i"] == "1234" and first["p"] == "1"
    assert (first["c"], first["r"], first["C"], first["q"]) == ("7", "5", "1", "2")
    assert [k["m"] for k in keys] == ["1"] * (len(parts) - 1) + ["0"]
    assert all(len(v) <= termimage.CHUNK for _, v in parts)
    data = base64.standard_b64decode("".join(v for _, v in parts))
    assert np.array_equal(decode_png(data), rgb)


def test_kitty_picture_goes_under_text_only_when_text_is_over_it():
    """z < 0 (under text) only where markers or labels sit in the box; else above, where every kitty draws alike."""
    from tui.widgets.pixels import PixelImage

    def z_of(seq: str) -> int:
        head = re.match(r"\x1b_G([^;]*);", seq).group(1)
        return int(dict(kv.split("=") for kv in head.split(","))["z"])

    index, palette = random_image(6, 8, 5, seed=2)
    picture = PixelImage()
    picture.set((0, 0, 4, 3), index, palette)
    alone = picture.payload("kitty")
    assert z_of(alone) == termimage.KITTY_Z_ALONE > 0
    picture.overlay = [(1, 1, None)]  # a marker drawn in the box
    assert z_of(picture.payload("kitty")) == termimage.KITTY_Z < 0
    picture.overlay = []
    assert picture.payload("kitty") == alone


def test_kitty_delete():
    assert termimage.kitty_delete(99) == "\x1b_Ga=d,d=I,i=99,q=2\x1b\\"
    assert termimage.kitty_delete(99, keep_data=True) == "\x1b_Ga=d,d=i,i=99,q=2\x1b\\"


@pytest.mark.parametrize("h", [1, 6, 13])
def test_sixel_decodes_to_the_pixels(h):
    index, palette = random_image(h, 31, 12, seed=h)
    seq = termimage.sixel_image(index, palette)
    img, regs = decode_sixel(seq)
    assert (img >= 0).all()  # every pixel painted
    got = np.array([regs[r] for r in img.reshape(-1)]).reshape(h, 31, 3)
    want = np.rint(palette[index].astype(float) * 100 / 255).astype(int)
    assert np.array_equal(got, want)
    assert len(regs) <= len(np.unique(index))  # registers renumbered 0..k-1, only colours used


# -- detection --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reply, mode", [
    ("\x1b_Gi=4242;OK\x1b\\\x1b[?62;c", "kitty"),
    ("\x1b[?63;1;2;4;6;9;15;22c", "sixel"),
    ("\x1b[?62;22c", "cells"),
    ("\x1b[?6", None),  # not all in yet
    ("\x1b_Gi=4242;ENOENT:bad\x1b\\\x1b[?62c", "cells"),
])
def test_parse_reply(reply, mode):
    assert graphics.parse_reply(reply) == mode


def _pty():
    master, slave = os.openpty()
    return master, slave


def _answer(master, reply: str | None, seen: list):
    """A fake terminal: read the queries, answer ``reply`` (None: stay silent)."""
    def run():
        data = b""
        deadline = time.monotonic() + 2
        while b"\x1b[c" not in data and time.monotonic() < deadline:
            data += os.read(master, 1024)
        seen.append(data.decode())
        if reply is not None:
            os.write(master, reply.encode())
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("reply, mode", [
    ("\x1b_Gi=4242;OK\x1b\\\x1b[?62;c", "kitty"),
    ("\x1b[?62;4;22c", "sixel"),
    ("\x1b[?1;2c", "cells"),
    (None, "cells"),  # a terminal that never answers
])
def test_query_over_a_pty(reply, mode):
    master, slave = _pty()
    try:
        before = termios.tcgetattr(slave)
        seen: list = []
        t = _answer(master, reply, seen)
        start = time.monotonic()
        assert graphics.query(slave, slave, timeout=0.3) == mode
        took = time.monotonic() - start
        t.join(2)
        assert seen and seen[0] == graphics.KITTY_QUERY + graphics.DA1_QUERY
        assert took < 1.0  # the deadline holds (0.3 s) with room for a loaded machine
        if reply is None:
            assert took >= 0.25
        assert termios.tcgetattr(slave) == before  # echo and canonical mode are back
    finally:
        os.close(master)
        os.close(slave)


def test_choose_keeps_cells_where_images_cannot_go():
    master, slave = _pty()
    try:
        assert graphics.choose("cells", {}, slave, slave).mode == "cells"
        tmux = graphics.choose("auto", {"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "screen"}, slave, slave)
        assert tmux.mode == "cells" and "tmux" in tmux.reason
        assert graphics.choose("kitty", {"TERM": "xterm-kitty"}, slave, slave).mode == "kitty"  # asked: no query
        r, w = os.pipe()
        try:
            assert graphics.choose("auto", {}, r, w) == graphics.Choice("cells", "not a terminal")
        finally:
            os.close(r)
            os.close(w)
    finally:
        os.close(master)
        os.close(slave)


def test_cell_pixels_from_the_window_size():
    import fcntl

    master, slave = _pty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 1080, 720))
        assert graphics.cell_pixels(slave) == (9, 18)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        assert graphics.cell_pixels(slave) == graphics.DEFAULT_CELL
    finally:
        os.close(master)
        os.close(slave)


def test_bad_graphics_value_is_one_line():
    p = subprocess.run([sys.executable, "-m", "tui", "classify", "--graphics", "svg"], capture_output=True,
                       text=True, cwd=REPO, timeout=60)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "nnplay: error: argument --graphics: invalid choice: 'svg' (choose from 'auto', 'kitty', 'sixel', 'cells')"]


# -- the app ----------------------------------------------------------------------------------------------------
def _line_text(strip) -> str:
    return "".join(seg.text for seg in strip)


@pytest.mark.parametrize("mode, marker", [("kitty", "\x1b_Ga=T,f=100"), ("sixel", '\x1bP0;1;0q"1;1;')])
async def test_field_is_an_image_in_the_box(mode, marker):
    app = make_app("classify", graphics=graphics.Choice(mode, "test", (8, 16)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = app.query_one("#pane-field")
        x0, y0, cols, rows = field.plane
        assert abs(cols * 8 - rows * 16) <= 16  # square in pixels at 8x16 cells, not 2:1 cells
        lines = [_line_text(field.render_line(y)) for y in range(field.size.height)]
        carrying = [y for y, t in enumerate(lines) if marker in t]
        assert carrying == [y0 + rows - 1]  # the picture rides on the box's last row, once
        r = field.content_region
        seq = lines[y0 + rows - 1]
        titled = bool(field.title)  # the title keeps its own row above the picture
        assert titled and field.pictures[0].box == (x0, y0 + 1, cols, rows - 1)
        assert f"\x1b[{r.y + y0 + 1 + titled};{r.x + x0 + 1}H" in seq
        assert seq.count("\x1b7") == 1 and seq.endswith("\x1b8")
        if mode == "kitty":  # the old placement goes first: kitty keeps placements through resizes
            assert seq.index(termimage.kitty_delete(field.pictures[0].image_id, keep_data=True)) < seq.index(marker)
        ih, iw = field.pictures[0].index.shape
        if mode == "sixel":  # sixels are not scaled: one per terminal pixel
            assert (ih, iw) == ((rows - 1) * 16, cols * 8)
        else:  # kitty scales the picture to c x r cells: no more than MAX_KITTY_SIDE, same shape
            from tui.widgets.pixels import MAX_KITTY_SIDE
            assert max(ih, iw) <= MAX_KITTY_SIDE and abs(iw / ih - cols * 8 / ((rows - 1) * 16)) < 0.02
        # the heat cells under it are blanks (points and half blocks are in the picture)
        assert all(set(t[x0:x0 + cols]) <= {" "} for t in lines[y0 + 1:y0 + rows - 1])
        assert field.render_line(y0 + rows - 1).cell_length == field.size.width  # zero-width: layout unchanged
        before = field.pictures[0].version
        app.scenario.step(200)
        app.refresh_snapshot()
        await pilot.pause()
        assert field.pictures[0].version == before + 1  # a new picture after training...
        app.refresh_snapshot()
        await pilot.pause()
        assert field.pictures[0].version == before + 1  # ...and none when nothing changed


async def test_cells_is_the_default_and_sends_no_image():
    app = make_app("classify")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = app.query_one("#pane-field")
        text = "".join(_line_text(field.render_line(y)) for y in range(field.size.height))
        assert "\x1b" not in text and "▀" in text
        assert not field.pictures and graphics.current().mode == "cells"


async def test_kitty_picture_is_deleted_under_another_screen():
    app = make_app("classify", graphics=graphics.Choice("kitty", "test", (8, 16)))
    written: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = app.query_one("#pane-field")
        field.render_line(field.plane[1] + field.plane[3] - 1)  # sent
        real = app._driver.write
        app._driver.write = lambda data: (written.append(data), real(data))[1]
        await pilot.press("question_mark")
        await pilot.pause()
        assert termimage.kitty_delete(field.pictures[0].image_id) in "".join(written)


def test_the_option_offers_the_modes_graphics_knows():
    from tui.args import app_parser

    action = next(a for a in app_parser()._actions if a.dest == "graphics")
    assert tuple(action.choices) == graphics.MODES and action.default == "cells"


@pytest.mark.parametrize("mode", ["kitty", "sixel"])
async def test_svg_screenshot_shows_the_cells(mode):
    """An SVG cannot hold the terminal's pictures: with --graphics the export draws what cells would."""
    svgs = []
    for choice in (None, graphics.Choice(mode, "test", (8, 16))):
        app = make_app("classify", graphics=choice)
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            svgs.append(app.export_screenshot(title="t"))
            if choice is not None:
                await pilot.pause()
                field = app.query_one("#pane-field")
                assert field._image_shown  # and the terminal's picture is back after it
                assert graphics.current().mode == mode
                assert not field._pending_delete  # the picture was never taken down for the export
    assert "\x1b" not in svgs[1] and svgs[0] == svgs[1]


# -- thumbnails, digits and filters as pictures ---------------------------------------------------------------
def kitty_pixels(seq: str) -> np.ndarray:
    """The RGB pixels of the first kitty transmission in ``seq`` (its chunks joined and decoded)."""
    start = seq.index("\x1b_Ga=T")
    parts = []
    for head, data in re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", seq[start:]):
        parts.append(data)
        if "m=0" in head.split(","):
            break
    return decode_png(base64.standard_b64decode("".join(parts)))


def sixel_pixels(seq: str) -> np.ndarray:
    """The RGB pixels (0-255, from the registers' percentages) of the first sixel in ``seq``."""
    start = seq.index("\x1bP0;1;0q")
    img, regs = decode_sixel(seq[start:seq.index("\x1b\\", start) + 2])
    lut = np.zeros((max(regs) + 1, 3))
    for r, rgb in regs.items():
        lut[r] = np.array(rgb) * 255 / 100
    assert (img >= 0).all()
    return lut[img]


def picture_rows(widget) -> dict:
    """{picture: the text of the row that carries it}, checking each picture rides on its box's last row only."""
    out = {}
    lines = [_line_text(widget.render_line(y)) for y in range(widget.size.height)]
    for p in widget.pictures[: widget._image_shown]:
        x, y, cols, rows = p.box
        r = widget.content_region
        carrying = [k for k, t in enumerate(lines) if f"\x1b[{r.y + y + 1};{r.x + x + 1}H" in t]
        assert carrying == [y + rows - 1]
        line = lines[y + rows - 1]
        at = line.index(f"\x1b[{r.y + y + 1};{r.x + x + 1}H")
        out[p.image_id] = line[at:line.index("\x1b8", at)]  # this picture's escape (a row may carry several)
        for row in lines[y:y + rows - 1]:  # the cells under the picture are blanks: no half blocks, no text
            assert set(row[x:x + cols]) <= {" "}
    return out


@pytest.mark.parametrize("mode", ["kitty", "sixel"])
async def test_network_thumbnails_are_one_picture_per_layer(mode):
    from tui.widgets.fieldview import resample

    app = make_app("classify", graphics=graphics.Choice(mode, "test", (8, 16)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        net = app.query_one("#pane-network")
        lay, view = net.diagram_layout, net.view
        assert net._image_shown == len(net.pictures) == len(view.layer_sizes)
        sent = picture_rows(net)
        checked = 0
        for j, p in enumerate(net.pictures):
            assert p.box[0] == lay.xs[j] and p.box[2] == lay.tw and not p.overlay  # no text in it: kitty z=1
            seq = sent[p.image_id]
            rgb = kitty_pixels(seq) if mode == "kitty" else sixel_pixels(seq)
            assert np.abs(rgb.astype(int) - p.palette[p.index]).max() <= 2  # what went out is the picture (sixel: % rounding)
            h, w, _ = rgb.shape
            if mode == "sixel":
                assert (h, w) == (p.box[3] * 16, p.box[2] * 8)
            # each neuron's thumbnail is in its cells: blue where the neuron is high, orange where low
            for i, y in enumerate(lay.rows[j]):
                thumb = np.asarray(view.thumbnails[j][lay.first[j] + i], dtype=np.float64)
                y0 = round((y - p.box[1]) * h / p.box[3])
                y1 = round((y - p.box[1] + lay.th) * h / p.box[3])
                if lay.tight:  # touching thumbnails keep a seam of background under each
                    assert (np.abs(rgb[y1 - 1].astype(int) - p.palette[0]) <= 2).all()
                    y1 -= round(h / p.box[3] / 2)
                tile = rgb[y0:y1].astype(float)
                values = resample(thumb, *tile.shape[:2])
                blue = tile[..., 2] - tile[..., 0]
                top = np.abs(values).max()
                if top < 0.2:  # too faint to tell orange from blue by sign
                    continue
                checked += 1
                strong = np.abs(values) > 0.5 * top
                agree = np.sign(blue[strong]) == np.sign(values[strong])
                assert agree.mean() > 0.95, (j, i, agree.mean())
        assert checked >= sum(map(len, lay.rows)) // 2


async def test_cells_draw_thumbnails_and_digits_without_pictures():
    for app, ids in ((make_app("classify"), ["#pane-network"]), (state_app("mnist-mlp"), ["DigitGrid"])):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for sel in ids:
                w = app.query_one(sel)
                text = "".join(_line_text(w.render_line(y)) for y in range(w.size.height))
                assert "\x1b" not in text and "▀" in text and not w.pictures


@pytest.mark.parametrize("mode", ["kitty", "sixel"])
async def test_mnist_digits_are_pictures_at_their_own_pixels(mode):
    app = state_app("mnist-mlp", graphics=graphics.Choice(mode, "test", (10, 20)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        grid = app.query_one("DigitGrid")
        from tui.widgets.images import as_image, choose_tiling

        t = choose_tiling(len(grid.items), (28, 28), max(len(i.caption) for i in grid.items), *grid.size)
        assert len(grid.pictures) == -(-len(grid.items) // t.cols)  # one picture per row of digits
        sent = picture_rows(grid)
        for row, p in enumerate(grid.pictures):
            assert not p.overlay
            seq = sent[p.image_id]
            rgb = kitty_pixels(seq) if mode == "kitty" else sixel_pixels(seq)
            h, w, _ = rgb.shape
            per_cell = w / p.box[2]
            for k in range(row * t.cols, min(len(grid.items), (row + 1) * t.cols)):
                x = (k - row * t.cols) * (t.col_w + 1) + (t.col_w - t.img_w) // 2
                tile = rgb[:, round(x * per_cell):round((x + t.img_w) * per_cell)].mean(axis=2) / 255
                assert tile.shape[0] >= 28 and tile.shape[1] >= 28  # not fewer pixels than the digit has
                digit = as_image(grid.items[k].image)
                # the picture, cut into the digit's 28x28 pixels, is the digit (grey levels quantised)
                ry = (np.arange(28) + 0.5) * tile.shape[0] / 28
                rx = (np.arange(28) + 0.5) * tile.shape[1] / 28
                back = tile[ry.astype(int)][:, rx.astype(int)]
                assert np.abs(back - digit).max() < 0.05, k
        # the digits' pane is spaced by what its pictures cost
        pane = app.query_one("#pane-digits")
        assert grid.image_bytes > 0
        assert app._live_interval(pane) >= grid.image_bytes / graphics.IMAGE_BYTES_PER_S


async def test_kitty_thumbnails_and_digits_are_deleted_under_help():
    app = make_app("classify", graphics=graphics.Choice("kitty", "test", (8, 16)))
    written: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        net = app.query_one("#pane-network")
        picture_rows(net)  # sent
        real = app._driver.write
        app._driver.write = lambda data: (written.append(data), real(data))[1]
        await pilot.press("question_mark")
        await pilot.pause()
        out = "".join(written)
        assert all(termimage.kitty_delete(p.image_id) in out for p in net.pictures)


async def test_fewer_pictures_take_the_others_down():
    """A grid that loses a row of digits deletes that row's kitty picture."""
    app = state_app("mnist-mlp", graphics=graphics.Choice("kitty", "test", (10, 20)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        grid = app.query_one("DigitGrid")
        picture_rows(grid)
        gone = grid.pictures[1:]
        assert gone and all(p.placed for p in gone)
        grid.update_images(grid.items[:1])
        assert len(grid.pictures) == 1 and grid._image_shown == 1
        first = _line_text(grid.render_line(0))  # the next frame's first line takes the old pictures down
        assert first.startswith("".join(termimage.kitty_delete(p.image_id) for p in gone))
        assert "\x1b_Ga=d" not in _line_text(grid.render_line(0))  # once


async def test_mnist_svg_screenshot_shows_the_cells():
    svgs = []
    for choice in (None, graphics.Choice("sixel", "test", (10, 20))):
        app = state_app("mnist-mlp", graphics=choice)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            svgs.append(app.export_screenshot(title="t"))
    assert "\x1b" not in svgs[1] and svgs[0] == svgs[1]


def test_tiled_picture_places_tiles_by_cell_and_cuts_them_as_cells_do():
    from rich.color import Color

    from tui import colors
    from tui.widgets.pixels import TiledPicture, pixel_palette, scale_rgb

    graphics.configure(graphics.Choice("sixel", "test", (4, 8)))
    pic = TiledPicture((0, 0, 5, 1), Color.from_rgb(1, 2, 3))  # 5x1 cells: 20x8 pixels
    values = np.linspace(0, 1, 16 * 12).reshape(16, 12)  # 3x2 cells' worth of pixels: the lower half is cut
    gray = pixel_palette().gray
    pic.tile(1, 0, 3, 2, values, (0.0, 1.0), gray)
    assert pic.index.shape == (8, 20)
    rgb = pic.palette[pic.index]
    want = scale_rgb(gray)[colors.quantize(values[:8], (0.0, 1.0), gray.levels)]
    assert np.array_equal(rgb[:, 4:16], want)  # its top half, pixel for pixel, from the second cell on
    assert (rgb[:, :4] == (1, 2, 3)).all() and (rgb[:, 16:] == (1, 2, 3)).all()  # the background around it


async def test_kitty_filters_are_deleted_when_their_tab_is_left():
    """The grid sits inside its pane inside the tab: leaving the tab takes its picture down, coming back shows it."""
    from textual.widgets import TabbedContent

    app = state_app("mnist-cnn", graphics=graphics.Choice("kitty", "test", (10, 20)))
    written: list[str] = []
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        tabs = app.query_one(TabbedContent)
        tabs.active = "tab-filters"
        await pilot.pause()
        app.refresh_snapshot()
        await pilot.pause()
        grid = app.query_one("#pane-filters").query_one("ImageGrid")
        picture_rows(grid)  # sent
        assert grid.pictures and all(p.placed for p in grid.pictures)
        real = app._driver.write
        app._driver.write = lambda data: (written.append(data), real(data))[1]
        tabs.active = "tab-activations"
        await pilot.pause()
        assert all(termimage.kitty_delete(p.image_id) in "".join(written) for p in grid.pictures)
        assert not any(p.placed for p in grid.pictures)
        tabs.active = "tab-filters"
        await pilot.pause()
        app.refresh_snapshot()
        await pilot.pause()
        assert all(p.placed for p in grid.pictures)  # drawn again: its box's last row carried it


@pytest.mark.parametrize("mode", ["kitty", "sixel"])
async def test_the_drawing_is_a_picture_each_stroke_resends(mode):
    from tui.widgets.canvas import SIDE, DrawCanvas
    from tui.widgets.pixels import pixel_palette

    app = state_app("mnist-mlp", graphics=graphics.Choice(mode, "test", (10, 20)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        cv = app.query_one(DrawCanvas)
        picture_rows(cv)
        (p,) = cv.pictures
        before = p.version
        cv.stroke((14.0, 4.0), (14.0, 24.0))
        await pilot.pause()
        assert p.version == before + 1
        rgb = (kitty_pixels if mode == "kitty" else sixel_pixels)(picture_rows(cv)[p.image_id])
        h, w, _ = rgb.shape
        assert h >= SIDE and w >= SIDE
        gray = rgb.mean(axis=2) / 255
        back = gray[((np.arange(SIDE) + 0.5) * h / SIDE).astype(int)][:, ((np.arange(SIDE) + 0.5) * w / SIDE).astype(int)]
        assert np.abs(back - cv.image).max() < 0.05 and cv.image[14, 10] > 0.9  # the picture is the drawing
        cv.focus()
        await pilot.pause()
        rgb = (kitty_pixels if mode == "kitty" else sixel_pixels)(picture_rows(cv)[p.image_id])
        r, c = (int(v) for v in cv.cursor)
        centre = rgb[int((r + 0.5) * h / SIDE), int((c + 0.5) * w / SIDE)].astype(int)
        hot = np.array(pixel_palette().diverging.colors[0].get_truecolor()[:3])
        assert np.abs(centre - hot).max() <= 3  # the cursor's drawing pixel is marked
