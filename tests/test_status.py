"""The status line: what matters stays at every width, the rest drops first."""

import asyncio
import math
from types import SimpleNamespace

import pytest
from textual.app import App

from scenarios.views import Status
from tui.widgets.status import StatusLine, status_text

WIDTHS = (60, 80, 120, 200)

# The issue's line after a few seconds of training, with a negative rate (after `w` while running).
BUSY = Status("classify", "paused", step=517_448, epoch=20_697.9, examples_seen=5_174_480, steps_per_sec=-15_400.0,
              lr=0.03, device="cpu", train_loss=1.2e-5, test_loss=0.000312, train_acc=1.0, test_acc=0.99996,
              data_note="bundled subset")
DIVERGED = Status("regress", "diverged", step=50, epoch=50.0, examples_seen=5000, steps_per_sec=900.0, lr=1.0,
                  device="gpu", train_loss=69056889309453043454456102912.0)
PAST = Status("mnist", "paused", step=517_448, epoch=3.25, examples_seen=5_174_480, steps_per_sec=15_400.0,
              lr=0.001, device="gpu", train_loss=0.0345, test_loss=0.0412, train_acc=0.9734, test_acc=0.9612,
              past=120_000)
CASES = {"busy": BUSY, "diverged": DIVERGED, "past": PAST}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("playing", [True, False])
@pytest.mark.parametrize("ascii", [False, True])
def test_lr_device_state_loss_always_fit(name, width, playing, ascii):
    status = CASES[name]
    text = status_text(status, playing, width, ascii)
    plain = text.plain
    assert text.cell_len <= width and "\n" not in plain
    assert f"lr {status.lr:g}" in plain and status.device in plain
    assert "loss " in plain
    if not math.isnan(status.train_acc):
        assert "acc " in plain
    if name != "past" or width >= 80:
        assert "step " in plain or "now " in plain
    assert plain.lstrip().startswith("X" if ascii else "✕") == (name == "diverged")
    if ascii:
        assert plain.isascii()


def test_the_issue_line_at_120():
    plain = status_text(BUSY, True, 120, False).plain
    assert "epoch 20,697 " in plain and ".0" not in plain.split("epoch")[1].split()[0]
    assert "lr 0.03" in plain and "cpu" in plain
    assert "loss 1.2e-05/0.000312" in plain  # not 0.0000/0.0003
    assert "acc 100%/99.9%" in plain  # 99.996% is not 100%
    assert "-" not in plain.split("steps/s")[0].split()[-1]  # a rate is never negative
    assert "0 steps/s" in plain


def test_lesser_fields_go_first():
    wide = status_text(BUSY, True, 200, False).plain
    assert all(s in wide for s in ("epoch", "steps/s", "seen", "bundled subset"))
    mid = status_text(BUSY, True, 110, False).plain
    assert "bundled subset" not in mid and "lr 0.03" in mid
    narrow = status_text(BUSY, True, 60, False).plain
    assert not any(s in narrow for s in ("epoch", "steps/s", "seen", "bundled"))


def test_paused_shows_no_stale_rate_and_running_a_positive_one():
    assert "steps/s" not in status_text(PAST, False, 200, False).plain
    running = status_text(PAST, True, 200, False).plain
    assert "15.4k steps/s" in running and "running" in running
    assert "paused" in status_text(PAST, False, 200, False).plain


def test_epochs():
    def epoch(e):
        plain = status_text(Status("x", epoch=e, lr=0.1), False, 200, False).plain
        return plain.split("epoch ")[1].split()[0]

    assert epoch(20.0) == "20" and epoch(3.25) == "3.2" and epoch(20_697.9) == "20,697" and epoch(0.0) == "0"


def test_badges_keep_their_colours_in_ascii_and_stand_apart():
    for ascii in (False, True):
        text = status_text(DIVERGED, False, 200, ascii)
        assert any(span.start == 0 and "on red" in str(span.style) for span in text.spans)
        assert " DIVERGED  step 50" in text.plain  # a plain space outside the red badge
        past = status_text(PAST, False, 200, ascii)
        assert any("on cyan" in str(span.style) for span in past.spans)


def test_past_frame_is_marked():
    plain = status_text(PAST, False, 200, False).plain
    assert "◀ past: step 120,000" in plain and "now 517,448" in plain
    assert "< past: step 120,000" in status_text(PAST, False, 200, True).plain
    assert "past" not in status_text(BUSY, False, 200, False).plain


def test_unmeasured_values_are_left_out_and_diverged_values_spelled():
    plain = status_text(DIVERGED, False, 200, False).plain
    assert "loss 6.9e+28" in plain and "acc" not in plain and "/" not in plain
    inf = status_text(Status("x", "diverged", train_loss=math.inf, test_loss=math.nan, lr=0.5), False, 200, False)
    assert "loss inf" in inf.plain
    nothing = status_text(Status("x", lr=0.5), False, 200, False).plain
    assert "loss" not in nothing and "lr 0.5" in nothing


def test_reads_the_older_snapshot_too():
    old = SimpleNamespace(state="paused", step=10, epoch=1.0, examples_seen=100, steps_per_sec=5.0, lr=0.03,
                          device="cpu", metrics={"train_loss": 0.25, "train_acc": 0.5})
    plain = status_text(old, False, 120, False).plain
    assert "loss 0.25" in plain and "acc 50%" in plain and "lr 0.03" in plain


def test_tiny_widths_never_overflow():
    for width in range(0, 60, 7):
        assert status_text(PAST, True, width, False).cell_len <= width


class Host(App):
    def compose(self):
        yield StatusLine(id="status")


def test_widget_fits_and_refits_on_resize():
    async def main():
        app = Host()
        async with app.run_test(size=(200, 5)) as pilot:
            w = app.query_one(StatusLine)
            w.show(BUSY, True)
            await pilot.pause()
            assert "bundled subset" in str(w.render())
            await pilot.resize_terminal(70, 5)
            await pilot.pause()
            text = w.render()
            plain = text.plain if hasattr(text, "plain") else str(text)
            assert "bundled" not in plain and "lr 0.03" in plain and "cpu" in plain
            assert len(plain) <= 70

    asyncio.run(main())
