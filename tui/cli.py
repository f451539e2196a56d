"""The ``nnplay`` command: the app, its headless siblings (train, list, bench, play), and serve.

Bad input ends with one line on stderr and exit status 2, never a traceback.
Textual is imported only by the commands that draw.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

COMMANDS = ("train", "list", "bench", "play", "download", "serve")


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print usage too)
        raise UsageError(message)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnplay")
    except PackageNotFoundError:
        return "0.1.0"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a setting (repeatable)")
    p.add_argument("--preset", metavar="FILE.toml", help="open a saved setup")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None, help="cpu (NumPy) or gpu (CuPy)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="BLAS threads (default 1: small models run fastest, and steadiest, on one)")


def app_parser() -> Parser:
    p = Parser(prog="nnplay", description="Train small neural networks live in your terminal.",
               epilog="other commands: nnplay train|list|bench|play|download|serve --help")
    p.add_argument("scenario", nargs="?", default=None, help="scenario to open (nnplay list shows them)")
    _common(p)
    p.add_argument("--ascii", action="store_true", help="ASCII only: for terminals without Unicode")
    p.add_argument("--paused", action="store_true", help="open paused: space starts training")
    p.add_argument("--version", action="version", version=f"nnplay {_version()}")
    return p


def train_parser() -> Parser:
    p = Parser(prog="nnplay train", description="Train a scenario headless and report its losses.")
    p.add_argument("scenario", nargs="?", help="scenario (or give --preset)")
    _common(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, help="minibatch steps to run")
    g.add_argument("--epochs", type=float, help="epochs to run")
    p.add_argument("--json", action="store_true", help="one JSON object per evaluation, then a summary")
    p.add_argument("--save", metavar="PATH.npz", help="save the trained model")
    return p


def setup(args, *, scenario_default=None):
    """Scenario class, settings and seed from --preset, --set and --seed (validated once, here)."""
    import scenarios
    from engine import backend
    from scenarios.settings import load_preset

    backend.use(args.device)
    if args.threads < 1:
        raise UsageError("--threads must be >= 1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)  # for the rest of the process: the app's worker thread included
    name = args.scenario or scenario_default
    values, seed = {}, 0
    if args.preset:
        preset = load_preset(args.preset, scenarios.schemas())
        if args.scenario and args.scenario != preset.scenario:
            raise UsageError(f"{args.preset} is a preset for {preset.scenario}, not {args.scenario}")
        name = preset.scenario
        values = preset.values
        seed = preset.seed or 0
    cls = scenarios.get(name or scenarios.DEFAULT)
    values = cls.schema.apply_assignments(values, args.set)
    if args.seed is not None:
        if args.seed < 0:
            raise UsageError("--seed must be a non-negative integer")
        seed = args.seed
    return cls, values, seed


def cmd_list(argv) -> int:
    import scenarios

    Parser(prog="nnplay list", description="List the scenarios.").parse_args(argv)
    width = max(map(len, scenarios.REGISTRY))
    for name in scenarios.available():
        print(f"{name:<{width}}  {scenarios.REGISTRY[name][2]}")
    return 0


def _progress(done: int, total: int, metrics: dict) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    m = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {m}\x1b[K")
    sys.stderr.flush()


def cmd_train(argv) -> int:
    args = train_parser().parse_args(argv)
    if not args.scenario and not args.preset:
        raise UsageError("train needs a scenario (nnplay list shows them) or --preset FILE.toml")
    cls, values, seed = setup(args)
    run = cls(values, seed)
    t = run.trainer
    per_epoch = run.steps_per_epoch()
    if args.steps is not None:
        if args.steps < 0:
            raise UsageError("--steps must be >= 0")
        total = args.steps
    elif args.epochs is not None:
        if args.epochs < 0 or not math.isfinite(args.epochs):
            raise UsageError("--epochs must be >= 0")
        total = round(args.epochs * per_epoch)
    else:
        total = run.default_train_steps()
    show_bar = not args.json and sys.stderr.isatty()
    if not args.json:
        print(run.model.summary_table(run.input_shape()))
    interval = run.eval_interval()
    done = 0

    def record():
        rec = {"step": t.steps, "epoch": round(float(t.epoch), 4)}
        rec.update({k: round(v, 6) for k, v in run.metrics().items()})
        return rec

    while done < total and not run.diverged:
        done += run.step(min(interval, total - done))
        run.evaluate()
        if args.json:
            print(json.dumps(record()), flush=True)
        elif show_bar:
            _progress(done, total, run.metrics())
    if show_bar:
        sys.stderr.write("\n")
    summary = {"summary": True, "scenario": run.name, "seed": seed, "steps": t.steps,
               "examples_seen": int(t.examples_seen), "state": t.state, **record()}
    if run.diverged:
        summary["message"] = run.divergence_message()
    elif hasattr(run, "final_metrics"):  # e.g. MNIST: live metrics use a sample, this uses the whole test set
        summary.update({k: round(v, 6) if isinstance(v, float) else v for k, v in run.final_metrics().items()})
    if args.save:
        run.save_model(args.save)
        summary["saved"] = args.save
    if args.json:
        print(json.dumps(summary))
    else:
        shown = {**run.metrics(), **{k: v for k, v in summary.items() if k.startswith("full_test_") and isinstance(v, float)}}
        m = "  ".join(f"{k} {v:.4g}" for k, v in shown.items())
        print(f"{run.name}: {t.steps} steps, epoch {float(t.epoch):.2f}  {m}")
        if run.diverged:
            print(run.divergence_message())
        if args.save:
            print(f"saved model to {args.save}")
    return 1 if run.diverged else 0


def cmd_download(argv) -> int:
    """Fetch the full MNIST set into the user cache (or --dir), verified by SHA-256; Ctrl-C cancels."""
    p = Parser(prog="nnplay download", description="Download a data set the scenarios can use.")
    p.add_argument("dataset", choices=("mnist",))
    p.add_argument("--dir", metavar="DIR", help="where to put the files (default: the user cache)")
    args = p.parse_args(argv)
    from engine.datasets import mnist

    show = sys.stderr.isatty()

    def progress(done, total):
        if show and total:
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done / 1e6:5.1f}/{total / 1e6:.1f} MB\x1b[K")
            sys.stderr.flush()

    try:
        where = mnist.download_files(args.dir, progress=progress)
    finally:
        if show:
            sys.stderr.write("\n")
    mnist.verify(where)
    print(f"MNIST is in {where} (SHA-256 verified); nnplay mnist now uses it")
    return 0


def cmd_bench(argv) -> int:
    from engine import bench

    return bench.main(argv)


def cmd_play(argv) -> int:
    from tui import playback

    return playback.main(argv)


def cmd_serve(argv) -> int:
    from tui import serve

    return serve.main(argv)


def cmd_app(argv) -> int:
    args = app_parser().parse_args(argv)
    if args.ascii:
        os.environ["NNPLAY_ASCII"] = "1"
    cls, values, seed = setup(args)
    from tui.app import NNPlayApp

    NNPlayApp(cls, values, seed, ascii=args.ascii, autoplay=not args.paused).run()
    return 0


def main(argv=None) -> int:
    from engine.errors import NNPlayError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            commands = {"train": cmd_train, "list": cmd_list, "bench": cmd_bench, "play": cmd_play,
                        "download": cmd_download, "serve": cmd_serve}
            return commands[argv[0]](argv[1:])
        return cmd_app(argv)
    except (UsageError, NNPlayError) as exc:
        print(f"nnplay: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnplay: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `nnplay train ... | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
