"""Train the CNN preset inside the running app (threaded trainer, panes drawing), then score it.

Run: NNPLAY_MNIST_DIR=../shared/data/mnist uv run python tools/app_mnist99.py [EPOCHS]
(EPOCHS: the preset's planned ``epochs`` when not given.)
"""
import asyncio
import sys
import time

from threadpoolctl import threadpool_limits

import scenarios
from scenarios.preset import load_preset
from tui.app import NNPlayApp


async def main(epochs: float | None) -> None:
    preset = load_preset("scenarios/presets/mnist-cnn.toml", scenarios.schemas())
    epochs = preset.values.get("epochs", 2.0) if epochs is None else epochs
    app = NNPlayApp(scenarios.get("mnist"), preset.values, preset.seed or 0, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        if app.scenario.data.source != "full":
            sys.exit("needs the full MNIST set: set NNPLAY_MNIST_DIR")
        t0 = time.perf_counter()
        app.action_toggle_play()
        while app.scenario.trainer.epoch < epochs:
            await asyncio.sleep(0.5)
        app.action_toggle_play()
        seconds = time.perf_counter() - t0
        await pilot.pause(0.3)
        with app.lock:
            m = app.scenario.final_metrics()
        print(f"in the app: {app.scenario.trainer.epoch:.2f} epochs in {seconds:.1f} s, "
              f"test accuracy {m['full_test_acc']:.4f} on {int(m['full_test_size']):,} images")


with threadpool_limits(1):
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else None))
