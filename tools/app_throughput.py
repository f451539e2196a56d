"""In-app training throughput vs headless Run.step on the same workload (W1-like), same process.
Key latency is tools/key_latency.py's job.
Run: uv run python tools/app_throughput.py"""
import asyncio, time
from threadpoolctl import threadpool_limits
from scenarios.classify import ClassifyRun
from tui.app import NNPlayApp
V = {"dataset": "spiral", "layers": "8,8,8", "activation": "tanh", "lr": 0.03, "batch": 10}
def headless(sec=3.0):
    r = ClassifyRun(V, seed=0); n = 0; t0 = time.perf_counter()
    while time.perf_counter() - t0 < sec:
        n += r.step(500)
    return n / (time.perf_counter() - t0)
async def inapp(sec=3.0):
    app = NNPlayApp(ClassifyRun, V, 0, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        s0 = app.scenario.trainer.steps; t0 = time.perf_counter()
        app.action_toggle_play()
        await asyncio.sleep(sec)
        rate = (app.scenario.trainer.steps - s0) / (time.perf_counter() - t0)
        app.action_toggle_play()
        await pilot.pause(0.2)
        return rate
with threadpool_limits(1):
    ratios = []
    for _ in range(5):  # interleaved pairs: a noisy machine slows both sides of a pair alike
        h = headless(2.0); a = asyncio.run(inapp(2.0))
        ratios.append(a / h)
        print(f"headless {h:,.0f} steps/s  in-app {a:,.0f} steps/s  ratio {a/h:.2f}")
    ratios.sort()
    print(f"median ratio {ratios[len(ratios) // 2]:.2f}")
