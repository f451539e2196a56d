"""Result rows as a table, and what the run ran on (CPU, BLAS kernel, library versions)."""

from __future__ import annotations

import os
import platform
import sys

import numpy as np

TORCH_HINT = ("to add PyTorch CPU figures without touching the project's lock, run the bench from a "
              "throwaway venv: python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch "
              "--index-url https://download.pytorch.org/whl/cpu && uv export --frozen --no-dev --no-hashes "
              "--no-emit-project > /tmp/req.txt && /tmp/torchvenv/bin/pip install -r /tmp/req.txt; then "
              "PYTHONPATH=. /tmp/torchvenv/bin/python -m tui bench")


def ratio(engine, ref, better):
    """engine speed / reference speed (> 1: the engine is faster); None when either is missing."""
    if engine is None or ref is None or better is None or not engine or not ref:
        return None
    return round(engine / ref if better == "higher" else ref / engine, 3)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process (threadpoolctl): which, which version, which kernel, threads."""
    from threadpoolctl import threadpool_info

    keep = ("internal_api", "version", "architecture", "threading_layer", "num_threads", "filepath")
    return [{k: v for k, v in lib.items() if k in keep} for lib in threadpool_info() if lib.get("user_api") == "blas"]


def info(args, torch) -> dict:
    """Everything a reader needs to reproduce or discount the figures; call inside the thread limits."""
    row = {"kind": "info", "threads": args.threads, "cpu": cpu_model(), "cpus": os.cpu_count(),
           "blas": blas_info(), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
           "numpy": np.__version__, "python": platform.python_version(), "platform": platform.platform(),
           "torch": getattr(torch, "__version__", None), "repeats": args.repeats, "quick": args.quick,
           "ratio": "vs_X = engine speed / X speed (> 1: engine faster); median of back-to-back chunk pairs",
           "spread": "min and max over the timed chunks (repeats)"}
    if torch is not None:
        row["torch_threads"] = torch.get_num_threads()
        try:
            row["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
            config = torch.__config__.show()
            row["torch_blas"] = next((w.split("=", 1)[1] for w in config.replace(",", " ").split()
                                      if w.startswith("BLAS_INFO=")), None)
            row["torch_onednn"] = next((line.split("v", 1)[1].split()[0] for line in config.splitlines()
                                        if "MKL-DNN" in line or "oneDNN" in line), None)
        except Exception:  # older versions
            row.setdefault("torch_cpu_capability", None)
    return row


def _num(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.4f}".rstrip("0").rstrip(".")


def _spread(r: dict, who: str) -> str:
    """``±x%``: half the chunk range relative to the median."""
    lo, hi, mid = r.get(f"{who}_min"), r.get(f"{who}_max"), r.get(who)
    if lo is None or hi is None or not mid or lo == hi:
        return ""
    return f" ±{50 * (hi - lo) / abs(mid):.0f}%"


class Table:
    """Readable rows, printed as each workload finishes (long runs show progress)."""

    COLS = ("workload", "metric", "engine", "torch", "vs torch", "numpy ref", "vs numpy")
    WIDTHS = (14, 28, 16, 16, 14, 16, 14)

    def __init__(self, out):
        self.out = out
        self._line(self.COLS)

    def _line(self, cells):
        self.out.write("  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}"
                                 for i, (c, w) in enumerate(zip(cells, self.WIDTHS))).rstrip() + "\n")
        self.out.flush()

    def row(self, r: dict) -> None:
        if r["kind"] == "skipped":
            self.out.write(f"{r['workload']} {r['name']}: skipped: {r['reason']}\n")
            return
        if r["kind"] == "info":
            return

        def cell(who):
            return _num(r.get(who)) + _spread(r, who)

        def times(who):
            v = r.get(who)
            return "-" if v is None else f"{v:.2f}x" + _spread(r, who)

        self._line((f"{r['workload']} {r['name']}", f"{r['metric']} ({r['unit']})", cell("engine"), cell("torch"),
                    times("vs_torch"), cell("numpy_ref"), times("vs_numpy")))
        if r["metric"] == "seconds_to_99":
            reached = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in r["reached"].items())
            gflop = ", ".join(f"{k} {v:,.1f}" for k, v in r.get("train_gflop", {}).items())
            self.out.write(f"    recipe: {r['recipe']}\n    reached 99.0 %: {reached}\n"
                           f"    training GFLOP to the last test: {gflop} "
                           f"({r.get('train_flops_per_sample', 0) / 1e6:.2f} MFLOP per sample)\n")
        elif r["metric"] == "test_acc_reached":
            gaps = ", ".join(f"{k.split('_')[0]} {v:+.2f}" for k, v in r.items() if k.endswith("_pp_below_99_2"))
            self.out.write(f"    percentage points below 99.2 %: {gaps}\n")


def print_header(row: dict, out=None) -> None:
    """The info row as a few readable lines above the table."""
    out = out or sys.stdout
    blas = "; ".join(f"{b.get('internal_api')} {b.get('version')} kernel {b.get('architecture')} "
                     f"({b.get('num_threads')} thread{'s' if b.get('num_threads') != 1 else ''})" for b in row["blas"]) or "none found"
    core = f", OPENBLAS_CORETYPE={row['openblas_coretype']}" if row.get("openblas_coretype") else ""
    out.write(f"nnplay bench: {row['threads']} thread(s) on {row['cpu']} ({row['cpus']} CPUs), {row['platform']}\n"
              f"  BLAS: {blas}{core}\n  Python {row['python']}, NumPy {row['numpy']}, ")
    if row["torch"]:
        out.write(f"PyTorch {row['torch']} (CPU capability {row.get('torch_cpu_capability')}, BLAS "
                  f"{row.get('torch_blas')}, oneDNN {row.get('torch_onednn')}, {row.get('torch_threads')} thread(s))\n")
    else:
        out.write(f"PyTorch not importable: no torch figures\n  ({TORCH_HINT})\n")
    out.write(f"  vs X = engine speed / X speed (> 1: engine faster), the median of {row['repeats']} timed chunks run "
              "back to back; ±: half the range over the chunks\n")
    out.flush()
