"""Train once and save the fixed states that the SVG snapshots and README screenshots draw.

Pictures of a network after hundreds of float32 steps depend on the BLAS kernel's
summation order (AVX2 and AVX-512 machines differ in the last bits, and training
amplifies them). So the goldens are drawn from these committed states, reopened
with their weights and history, never from training at test time.

    uv run python tools/make_states.py          # rewrites screenshots/states/*.toml + .npz

Run it only when a state should change (a new scenario, a different demo), then
regenerate the snapshots and screenshots.
"""

from __future__ import annotations

import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scenarios  # noqa: E402
from scenarios.preset import save_run  # noqa: E402

OUT = ROOT / "screenshots" / "states"

# name -> (scenario, settings, seed, steps)
STATES = {
    "gates-xor": ("gates", {"gate": "XOR", "hidden": 2}, 1, 1000),
    "gates-and": ("gates", {}, 0, 300),
    "gates-xor-single": ("gates", {"gate": "XOR"}, 0, 300),
    "classify-spiral": ("classify", {"dataset": "spiral", "features": "x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)",
                                     "layers": "8,8,4", "lr": 0.1}, 3, 1000),
    "classify-xor-noisy": ("classify", {"dataset": "xor", "noise": 0.1, "lr": 0.1}, 3, 300),
    "classify-spiral3": ("classify", {"dataset": "spiral3", "features": "x1,x2,sin(x1),sin(x2)", "layers": "12,12",
                                      "optimizer": "adam", "lr": 0.03}, 3, 1500),
    "classify-trained": ("classify", {"dataset": "spiral", "layers": "8,8,6", "features": "x1,x2,sin(x1),sin(x2)",
                                      "show_test": True}, 0, 1500),
    "classify-xor": ("classify", {"dataset": "xor"}, 0, 400),
    "classify-xor-42": ("classify", {"dataset": "xor", "layers": "4,2"}, 0, 400),
    "classify-layers-88": ("classify", {"layers": "8,8"}, 0, 200),
    "classify-circle": ("classify", {}, 0, 300),
    "regress-xsinx": ("regress", {"dataset": "xsinx"}, 2, 600),
    "regress-neurons": ("regress", {"show_neurons": True}, 0, 1500),
    "regress-line": ("regress", {"mode": "line", "dataset": "line", "lr": 0.03}, 2, 150),
    "regress-line-40": ("regress", {"mode": "line"}, 0, 40),
    "regress-hand-trained": ("regress", {"mode": "hand", "bumps": "-4:2:-3,4:3:-3,-2:1.5:1,1.5:2:2",
                                         "optimizer": "adam", "lr": 0.01, "speed": 5}, 0, 1000),
    "mnist-mlp": ("mnist", {"data": "subset"}, 0, 150),
    "optimize-rosenbrock": ("optimize", {"surface": "rosenbrock"}, 0, 300),
    "mnist-cnn": ("mnist", {"data": "subset", "model": "cnn", "channels": "4,8", "lr": 0.003}, 0, 100),
}


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with threadpool_limits(1):
        for name in names or STATES:
            scenario, values, seed, steps = STATES[name]
            run = scenarios.get(scenario)(values, seed)
            run.step(steps)
            run.evaluate()
            save_run(run, OUT / f"{name}.toml")
            print(f"{name}: {scenario} {steps} steps -> {OUT / name}.toml")


if __name__ == "__main__":
    main(sys.argv[1:])
