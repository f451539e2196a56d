"""``nnplay bench``'s command line: options, errors as one line (exit status 2), and the run."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from engine.bench.references import import_torch
from engine.bench.report import Table, info, print_header
from engine.bench.workloads import MNIST_WORKLOADS, WORKLOADS, bench_w1, bench_w2, bench_w3, bench_w4, load_mnist

from .args import Parser, UsageError


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="nnplay bench", description="Time the engine on fixed workloads against PyTorch CPU "
                "(when importable) and a hand-written NumPy reference, measured in the same run.")
    p.add_argument("--workload", default="all", type=str.upper, choices=(*WORKLOADS, "ALL"),
                   help="W1 playground, W2 mnist-mlp, W3 mnist-cnn, W4 mnist-99, or all (default)")
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    p.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    p.add_argument("--mnist-dir", metavar="DIR", help="folder with the four MNIST files "
                   "(default: $NNPLAY_MNIST_DIR, then the user cache; never downloads)")
    p.add_argument("--subset", action="store_true", help="use the bundled MNIST subset (a smoke test: figures not comparable)")
    p.add_argument("--repeats", type=int, default=5, help="timed chunks per workload, engine and references "
                   "taking turns; figures are their medians (default 5)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the pipeline, figures mean nothing")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is importable")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except UsageError as exc:
        print(f"nnplay bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnplay bench: interrupted", file=sys.stderr)
        return 130


def _run(argv) -> int:
    args = parser().parse_args(argv)
    if args.threads < 1:
        raise UsageError("--threads must be >= 1")
    if args.repeats < 1:
        raise UsageError("--repeats must be >= 1")
    wanted = list(WORKLOADS) if args.workload == "ALL" else [args.workload]
    data, why = (None, None)
    if any(w in MNIST_WORKLOADS for w in wanted):
        data, why = load_mnist(args)
        if data is None and args.workload != "ALL":
            raise UsageError(f"{args.workload} {WORKLOADS[args.workload]} needs MNIST: {why}")
    torch = None if args.no_torch else import_torch()
    if torch is not None:
        torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads), np.errstate(all="ignore"):
        head = info(args, torch)
        if args.json:
            emit = lambda r: print(json.dumps(r), flush=True)  # noqa: E731
            emit(head)
        else:
            print_header(head)
            emit = Table(sys.stdout).row
        for w in wanted:
            if w == "W1":
                rows = bench_w1(torch, args.repeats, args.quick)
            elif data is None:
                rows = [{"kind": "skipped", "workload": w, "name": WORKLOADS[w], "reason": why}]
            else:
                rows = (bench_w4(torch, data, quick=args.quick) if w == "W4"
                        else {"W2": bench_w2, "W3": bench_w3}[w](torch, data, args.repeats))
            for r in rows:
                emit(r)
    return 0
