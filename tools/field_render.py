"""Milliseconds to build every line of a 100×56-cell FieldView frame (the Line API path), 1 thread.

Run: uv run python tools/field_render.py
"""
import asyncio
import statistics
import time

from textual.app import App

from scenarios.classify import ClassifyRun
from tui.widgets.fieldview import FieldView


class Bench(App):
    def compose(self):
        yield FieldView(id="f")


async def main():
    run = ClassifyRun({"dataset": "spiral", "layers": "8,8"}, seed=0)
    run.step(2000)
    snap = run.snapshot()
    app = Bench()
    async with app.run_test(size=(100, 56)):
        view = app.query_one(FieldView)
        times = []
        for _ in range(50):
            view.field, view.points = snap.field, snap.points
            view._strips = None
            t0 = time.perf_counter()
            strips = [view.render_line(y) for y in range(view.size.height)]
            times.append((time.perf_counter() - t0) * 1000)
        segs = sum(len(list(s)) for s in strips)
        print(f"{view.size.width}x{view.size.height} cells, {segs} segments: "
              f"median {statistics.median(times):.2f} ms, best {min(times):.2f} ms per full frame")


asyncio.run(main())
