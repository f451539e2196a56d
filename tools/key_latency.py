"""Time from a key event to its setting applied and redrawn, while the trainer thread runs.
Run: uv run python tools/key_latency.py"""
import asyncio, time
from threadpoolctl import threadpool_limits
from textual import events
from scenarios.classify import ClassifyRun
from tui.app import NNPlayApp
V = {"dataset": "spiral", "layers": "8,8,8"}
async def latency():
    app = NNPlayApp(ClassifyRun, V, 0, autoplay=False)
    done = {}
    orig = app.refresh_snapshot
    def wrapped():
        orig(); done.setdefault("t", time.perf_counter())
    app.refresh_snapshot = wrapped
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        app.action_toggle_play()
        await asyncio.sleep(1.0)
        lat = []
        for k, ch in [("plus", "+"), ("minus", "-")] * 10:
            done.clear(); t0 = time.perf_counter()
            app.post_message(events.Key(k, ch))
            while "t" not in done:
                await asyncio.sleep(0.001)
            lat.append((done["t"] - t0) * 1000)
            await asyncio.sleep(0.15)
        app.action_toggle_play()
        await asyncio.sleep(0.3)
        lat.sort()
        print(f"key -> setting applied and redrawn, while training: median {lat[len(lat)//2]:.1f} ms, max {lat[-1]:.1f} ms")
with threadpool_limits(1):
    asyncio.run(latency())
