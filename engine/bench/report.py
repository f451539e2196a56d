"""Result rows, the table printer, and what the run ran on."""

from __future__ import annotations

import os
import platform

import numpy as np

def ratio(engine, ref, better):
    """engine speed / reference speed (> 1: the engine is faster); None when either is missing."""
    if engine is None or ref is None or better is None or not engine or not ref:
        return None
    return round(engine / ref if better == "higher" else ref / engine, 3)


class Table:
    """Readable rows, printed as each workload finishes (long runs show progress)."""

    COLS = ("workload", "metric", "engine", "torch", "vs torch", "numpy ref", "vs numpy")

    def __init__(self, out):
        self.out = out
        self._line(self.COLS)

    def _line(self, cells):
        widths = (14, 28, 11, 11, 9, 11, 9)
        self.out.write("  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths))).rstrip() + "\n")
        self.out.flush()

    def row(self, r: dict) -> None:
        if r["kind"] == "skipped":
            self.out.write(f"{r['workload']} {r['name']}: skipped: {r['reason']}\n")
            return
        if r["kind"] == "info":
            return

        def num(v):
            if v is None:
                return "-"
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.4f}".rstrip("0").rstrip(".")

        ratio = lambda v: "-" if v is None else f"{v:.2f}x"
        self._line((f"{r['workload']} {r['name']}", f"{r['metric']} ({r['unit']})", num(r["engine"]), num(r["torch"]),
                    ratio(r["vs_torch"]), num(r.get("numpy_ref")), ratio(r.get("vs_numpy"))))
        if r["metric"] == "seconds_to_99":
            reached = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in r["reached"].items())
            self.out.write(f"    recipe: {r['recipe']}\n    reached 99.0 %: {reached}\n")
        elif r["metric"] == "test_acc_reached":
            gaps = ", ".join(f"{k.split('_')[0]} {v:+.2f}" for k, v in r.items() if k.endswith("_pp_below_99_2"))
            self.out.write(f"    percentage points below 99.2 %: {gaps}\n")


def info(args, torch) -> dict:
    return {"kind": "info", "threads": args.threads, "numpy": np.__version__,
            "torch": getattr(torch, "__version__", None), "python": platform.python_version(),
            "cpus": os.cpu_count(), "quick": args.quick,
            "ratio": "vs_X = engine speed / X speed (> 1: engine faster)"}
