"""What every nnplay command line shares: one-line usage errors, the option groups, and setup.

A leaf module: it imports nothing from ``tui`` (so ``cli``, ``playback`` and
``tape`` all use it without importing each other) and nothing heavy at import
time (scenarios and the array backend load when :func:`resolve` or
:func:`use_runtime` runs, so ``nnplay --version`` stays instant).

* :class:`Parser`: ``argparse`` whose errors raise :class:`UsageError` (one
  line, exit 2 in ``nnplay``) instead of printing usage and exiting.
  ``UsageError`` itself lives in :mod:`engine.errors` (an ``NNPlayError``), so
  a command implemented below ``tui`` can raise the very same class.
* :func:`add_setup_options` (``--set``, ``--preset``, ``--seed``): what to open;
  :func:`add_runtime_options` (``--device``, ``--threads``): how this process
  computes; :func:`add_common` adds both.
* :func:`resolve`: scenario class, settings and seed from a positional
  ``scenario`` plus the setup options, validated once here (the app, ``nnplay
  train`` and a tape's ``Open`` line all merge them this way: preset, then each
  ``--set`` in order, then ``--seed``); :func:`use_runtime` applies the runtime
  options; :func:`setup` does both.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from engine.errors import UsageError

__all__ = [
    "Parser", "UsageError", "add_common", "add_runtime_options", "add_setup_options", "nonempty", "resolve",
    "seed_value", "setup", "use_runtime",
]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a :class:`UsageError` (argparse would print usage and exit)."""

    def error(self, message):
        raise UsageError(" ".join(message.split()))


def seed_value(text: str) -> int:
    """``--seed``'s type: a non-negative integer (as a preset's ``seed`` must be)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return value


def nonempty(text: str) -> str:
    """The type of a name or path argument: an empty one would quietly mean "none" (or ".")."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def add_setup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a setting (repeatable)")
    p.add_argument("--preset", type=nonempty, metavar="FILE.toml", help="open a saved setup")
    p.add_argument("--seed", type=seed_value, default=None, help="random seed (default 0)")


def add_runtime_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=("cpu", "gpu"), default=None, help="cpu (NumPy) or gpu (CuPy)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="BLAS threads (default 1: small models run fastest, and steadiest, on one)")


def add_common(p: argparse.ArgumentParser) -> None:
    add_setup_options(p)
    add_runtime_options(p)


@dataclass(frozen=True)
class Opening:
    """What to open: a Run class, its settings and seed, and the preset they came from (if any)."""

    cls: type
    values: dict
    seed: int
    preset: object = None  # scenarios.preset.Preset
    seed_given: bool = False

    def build(self):
        """The Run: from the preset (its seeds, added points and saved state) when there is one."""
        if self.preset is None:
            return self.cls(self.values, self.seed)
        from scenarios.preset import open_run

        return open_run(self.cls, self.preset, self.values, self.seed if self.seed_given else None)


def resolve(args, *, scenario_default: str | None = None) -> Opening:
    """What ``args.scenario``, ``args.preset``, ``args.set`` and ``args.seed`` open.

    No scenario and no preset: ``scenario_default``, else ``scenarios.DEFAULT``.
    Every problem is one line (UsageError, SettingError, UnknownScenario).
    """
    import scenarios
    from scenarios.preset import load_preset

    name = args.scenario or scenario_default
    values, seed, preset = {}, 0, None
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
        if args.seed < 0:  # a Namespace built by hand, not by the parser
            raise UsageError("--seed must be a non-negative integer")
        seed = args.seed
    return Opening(cls, values, seed, preset, args.seed is not None)


def use_runtime(args) -> None:
    """Apply ``--device`` and ``--threads`` for the rest of the process (the app's worker thread included)."""
    from engine import backend

    backend.use(args.device)
    if args.threads < 1:
        raise UsageError("--threads must be >= 1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)


def setup(args, *, scenario_default: str | None = None):
    """:func:`use_runtime`, then :func:`resolve`: what the app and ``nnplay train`` open."""
    use_runtime(args)
    return resolve(args, scenario_default=scenario_default)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnplay")
    except PackageNotFoundError:
        return "0.1.0"


def app_parser() -> Parser:
    """The app's own arguments (``nnplay [SCENARIO] ...``), shared by the CLI and each ``serve`` tab."""
    p = Parser(prog="nnplay", description="Train small neural networks live in your terminal.",
               epilog="other commands: nnplay train|list|bench|play|download|serve --help")
    p.add_argument("scenario", nargs="?", type=nonempty, default=None, help="scenario to open (nnplay list shows them)")
    add_common(p)
    p.add_argument("--ascii", action="store_true", help="ASCII only: for terminals without Unicode")
    p.add_argument("--paused", action="store_true", help="open paused: space starts training")
    p.add_argument("--graphics", choices=("auto", "kitty", "sixel", "cells"), default="cells",
                   help="pictures as real images: auto asks the terminal (kitty graphics or sixel); "
                        "cells (default) draws with half blocks, as tmux, serve and tapes always do")
    p.add_argument("--version", action="version", version=f"nnplay {_version()}")
    return p
