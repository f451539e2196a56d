"""Does a long run stay fast and flat? Train the default scenario inside the app and watch.

    uv run python tools/long_run.py [MINUTES] [SCENARIO]      # default: 30 minutes, classify

The app runs headless at 120x40 with its real training worker and drawing (the
compositor renders every frame; only the terminal output is discarded). Each
minute it prints steps/s over that minute (by the wall clock, and per second of
the process's CPU time, which a busy machine disturbs far less), resident memory
(RSS) and the history's and film's sizes; at the end, the last minute's rates as
ratios of the first minute's, and the memory growth.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(minutes: float, scenario: str) -> dict:
    import scenarios
    from tui.app import NNPlayApp

    app = NNPlayApp(scenarios.get(scenario), None, 0, autoplay=True, threaded=True)
    rows = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        last_t, last_cpu, last_steps = t0, time.process_time(), app.scenario.trainer.steps
        for minute in range(1, int(minutes) + 1):
            while time.perf_counter() - t0 < 60 * minute:
                await asyncio.sleep(0.5)
            now, cpu, steps = time.perf_counter(), time.process_time(), app.scenario.trainer.steps
            row = {"minute": minute, "steps_per_s": (steps - last_steps) / (now - last_t),
                   "steps_per_cpu_s": (steps - last_steps) / max(cpu - last_cpu, 1e-9), "rss_mb": rss_mb(),
                   "history_rows": len(app.scenario.trainer.history), "film_frames": len(app.scenario.film),
                   "film_kb": app.scenario.film.nbytes / 1024, "steps": steps}
            rows.append(row)
            print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
            last_t, last_cpu, last_steps = now, cpu, steps
        app.playing = False
    first, last = rows[0], rows[-1]
    summary = {"minutes": len(rows), "first_minute_steps_per_s": round(first["steps_per_s"]),
               "last_minute_steps_per_s": round(last["steps_per_s"]),
               "ratio_last_to_first": round(last["steps_per_s"] / first["steps_per_s"], 3),
               "cpu_ratio_last_to_first": round(last["steps_per_cpu_s"] / first["steps_per_cpu_s"], 3),
               "film_kb": round(last["film_kb"], 1),
               "rss_first_mb": round(first["rss_mb"], 1), "rss_last_mb": round(last["rss_mb"], 1),
               "rss_growth_mb": round(last["rss_mb"] - first["rss_mb"], 1)}
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    with threadpool_limits(1):
        asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30, sys.argv[2] if len(sys.argv) > 2 else "classify"))
