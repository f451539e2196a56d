"""The ``nnplay`` command: the app, its headless siblings (train, list, bench, play), and serve.

Bad input ends with one line on stderr and exit status 2, never a traceback.
Textual is imported only by the commands that draw.
"""

from __future__ import annotations

import json
import math
import os
import sys

from .args import Parser, UsageError, add_common, app_parser, nonempty, setup

__all__ = ["COMMANDS", "Parser", "UsageError", "app_parser", "main", "save_preset", "setup", "train_parser"]

UNTIL_CAP = 10  # --until without --steps/--epochs: at most this many times the default run
COMMANDS = ("train", "list", "bench", "play", "download", "serve")


def train_parser() -> Parser:
    p = Parser(prog="nnplay train", description="Train a scenario headless and report its losses.")
    p.add_argument("scenario", nargs="?", type=nonempty, help="scenario (or give --preset)")
    add_common(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--steps", type=int, help="minibatch steps to run")
    g.add_argument("--epochs", type=float, help="epochs to run")
    p.add_argument("--until", action="append", default=[], metavar="COND",
                   help="stop when COND is met: epoch=N, step=N, loss<X, test_loss<X, train_acc>=Y, test_acc>=Y "
                        "(operators < <= > >= =; repeatable, the first met stops; the preset's until setting "
                        "counts too). Without --steps/--epochs: train until one is met, at most "
                        f"{UNTIL_CAP}x the default length")
    p.add_argument("--json", action="store_true", help="one JSON object per evaluation, then a summary")
    p.add_argument("--save", type=nonempty, metavar="PATH.npz", help="save the trained model")
    p.add_argument("--save-preset", type=nonempty, metavar="PATH.toml",
                   help="save the run's setup as a preset (nnplay --preset reopens it)")
    return p


def save_preset(run, path) -> None:
    """Write ``run`` to ``path`` as a preset, its trained state beside it (what ``--save-preset`` does)."""
    from scenarios.preset import save_run

    save_run(run, path)


def _check_outputs(args) -> None:
    """Refuse an output path that cannot be written before training, not after it."""
    from engine.atomic import check_writable

    outputs = [p for p in (args.save, args.save_preset) if p]
    if len(outputs) == 2 and os.path.abspath(outputs[0]) == os.path.abspath(outputs[1]):
        raise UsageError(f"--save and --save-preset both name {outputs[0]}: give them different files")
    for path in outputs:
        check_writable(path)


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


def _warn_fallback(run) -> None:
    """Say on stderr why the run uses other data than it was meant to (MNIST's subset for a damaged cache...)."""
    reason = getattr(getattr(run, "data", None), "fallback_reason", "")
    if reason:
        print(f"nnplay: warning: {reason}", file=sys.stderr, flush=True)


def cmd_train(argv) -> int:
    args = train_parser().parse_args(argv)
    if not args.scenario and not args.preset:
        raise UsageError("train needs a scenario (nnplay list shows them) or --preset FILE.toml")
    if args.steps is not None and args.steps < 0:
        raise UsageError("--steps must be >= 0")
    if args.epochs is not None and not (args.epochs >= 0 and math.isfinite(args.epochs)):
        raise UsageError("--epochs must be >= 0")
    from scenarios.stopping import parse_conditions

    until = parse_conditions(args.until)  # a bad condition fails before anything is built
    _check_outputs(args)
    opening = setup(args)
    run, seed = opening.build(), opening.seed
    _warn_fallback(run)
    until = (*until, *(c for c in run.stop_conditions() if c.text not in {u.text for u in until}))
    t = run.trainer
    if args.steps is not None:
        total = args.steps
    elif args.epochs is not None:
        total = round(args.epochs * run.steps_per_epoch())
    elif args.until:
        total = UNTIL_CAP * run.default_train_steps()
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

    stopped_by = None
    while done < total and not run.diverged:
        chunk = min(interval, total - done)
        ran = run.step(min(chunk, run.steps_to_stop(until) or chunk))  # step=N / epoch=N: stop right there
        done += ran
        run.evaluate()
        if args.json:
            print(json.dumps(record()), flush=True)
        elif show_bar:
            _progress(done, total, run.metrics())
        if until and not run.diverged:
            stopped_by = run.stop_reached(until)
            if stopped_by:
                break
        if not ran:
            break
    if show_bar:
        sys.stderr.write("\n")
    summary = {"summary": True, "scenario": run.name, "seed": seed, "steps": t.steps,
               "examples_seen": int(t.examples_seen), "state": t.state, **record()}
    summary["stopped_by"] = stopped_by  # the condition that ended it, or None: it ran its steps (or diverged)
    if run.diverged:
        summary["message"] = run.divergence_message()
    elif hasattr(run, "final_metrics"):  # e.g. MNIST: live metrics use a sample, this uses the whole test set
        summary.update({k: round(v, 6) if isinstance(v, float) else v for k, v in run.final_metrics().items()})
    if args.save:
        run.save_model(args.save)
        summary["saved"] = args.save
    if args.save_preset:
        save_preset(run, args.save_preset)
        summary["saved_preset"] = args.save_preset
    if args.json:
        print(json.dumps(summary))
    else:
        shown = {**run.metrics(), **{k: v for k, v in summary.items() if k.startswith("full_test_") and isinstance(v, float)}}
        m = "  ".join(f"{k} {v:.4g}" for k, v in shown.items())
        print(f"{run.name}: {t.steps} steps, epoch {float(t.epoch):.2f}  {m}")
        if run.diverged:
            print(run.divergence_message())
        elif stopped_by:
            print(f"stopped by {stopped_by}")
        elif until:
            print(f"no stop condition was met in {t.steps} steps")
        if args.save:
            print(f"saved model to {args.save}")
        if args.save_preset:
            print(f"saved preset to {args.save_preset}: reopen with nnplay --preset {args.save_preset}")
    return 1 if run.diverged else 0


def cmd_download(argv) -> int:
    """Fetch the full MNIST set into the user cache (or --dir), verified by SHA-256; Ctrl-C cancels."""
    p = Parser(prog="nnplay download", description="Download a data set the scenarios can use.")
    p.add_argument("dataset", choices=("mnist",))
    p.add_argument("--dir", type=nonempty, metavar="DIR", help="where to put the files (default: the user cache)")
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
    from tui import bench

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
    opening = setup(args)
    run = opening.build()
    from tui import graphics
    from tui.app import NNPlayApp

    # before Textual reads the keyboard: auto's query needs the terminal's answer to itself
    choice = graphics.Choice("cells", "--ascii") if args.ascii else graphics.choose(args.graphics)
    app = NNPlayApp(run=run, ascii=args.ascii, autoplay=not args.paused and opening.preset is None,  # a preset reopens paused
                    graphics=choice, graphics_asked=args.graphics)
    app.run()
    return app.return_code or 0


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
