"""Presets: a run's whole setup as TOML, and (once trained) its state beside it.

    scenario = "classify"
    seed = 3
    data_seed = 4          # what `d` (new data) had moved on to
    weight_seed = 6        # what `w` (new weights) had moved on to
    state = "spiral.npz"   # weights, history and step counters when saved (relative to this file)
    points = [[0.5, 1.2]]  # points added by clicking (regress)

    [settings]
    dataset = "spiral"
    layers = [8, 8, 4]

Only ``scenario`` is required. Reopening builds the run from the settings and
seeds, adds the points, then loads the state: what was on screen comes back,
paused, at the step it was saved. The state file holds no optimizer moments:
training goes on from the saved weights with a fresh optimizer state.
"""

from __future__ import annotations

import json
import math
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_file, atomic_write_text
from engine.history import History
from engine.textfile import read_text

from .settings import Schema, SettingError

STATE_FORMAT = "nnplay-state-1"
TOP_KEYS = ("scenario", "seed", "data_seed", "weight_seed", "state", "points", "settings")


@dataclass
class Preset:
    scenario: str
    values: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    data_seed: int | None = None
    weight_seed: int | None = None
    state: Path | None = None  # resolved against the preset's folder when read
    points: list[tuple[float, float]] = field(default_factory=list)


def _line_of(text: str, key: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].strip().strip('"') == key:
            return i
    return 1


def _seed(data: dict, key: str, p: Path, text: str) -> int | None:
    seed = data.get(key)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise SettingError(f"{p}:{_line_of(text, key)}: {key} must be a non-negative integer")
    return seed


def load_preset(path: str | Path, schemas: dict[str, Schema]) -> Preset:
    """Read and validate a TOML preset; every error is one line naming the file, line and key."""
    p = Path(path)
    text = read_text(p, "preset file", SettingError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"{p}: malformed TOML: {exc}") from None
    for key in data:
        if key not in TOP_KEYS:
            raise SettingError(f"{p}:{_line_of(text, key)}: unknown key {key!r} (allowed: {', '.join(TOP_KEYS[:-1])}, [settings])")
    name = data.get("scenario")
    if name not in schemas:
        raise SettingError(
            f"{p}:{_line_of(text, 'scenario')}: scenario must be one of {', '.join(schemas)}, got {name!r}"
        )
    schema = schemas[name]
    values = {}
    table = data.get("settings", {})
    if not isinstance(table, dict):
        raise SettingError(f"{p}:{_line_of(text, 'settings')}: settings must be a table ([settings])")
    for key, raw in table.items():
        try:
            values[key] = schema[key].parse(raw)
        except SettingError as exc:
            raise SettingError(f"{p}:{_line_of(text, key)}: {exc}") from None
    state = data.get("state")
    if state is not None:
        if not isinstance(state, str) or not state:
            raise SettingError(f"{p}:{_line_of(text, 'state')}: state must be a file name (the .npz beside the preset)")
        state = p.parent / state
    points = data.get("points", [])
    try:
        points = [(float(a), float(b)) for a, b in points]
        if not all(math.isfinite(v) for pt in points for v in pt):
            raise ValueError
    except (TypeError, ValueError):
        raise SettingError(f"{p}:{_line_of(text, 'points')}: points must be a list of [x, y] numbers") from None
    return Preset(name, values, _seed(data, "seed", p, text), _seed(data, "data_seed", p, text),
                  _seed(data, "weight_seed", p, text), state, points)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def dump_preset(preset: Preset) -> str:
    lines = [f'scenario = "{preset.scenario}"']
    for key in ("seed", "data_seed", "weight_seed"):
        if getattr(preset, key) is not None:
            lines.append(f"{key} = {getattr(preset, key)}")
    if preset.state is not None:
        lines.append(f"state = {_toml_value(Path(preset.state).name)}")
    if preset.points:
        lines.append(f"points = {_toml_value([list(pt) for pt in preset.points])}")
    lines += ["", "[settings]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in preset.values.items()]
    return "\n".join(lines) + "\n"


# -- a run's state ------------------------------------------------------------------


def save_run(run, path: str | Path) -> Path | None:
    """Write ``run`` as a preset at ``path``; a trained run also gets ``<stem>.npz`` beside it.

    Both files are written atomically (state first), so a failure leaves any
    earlier pair intact. Returns the state file's path, or None when untrained.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise SettingError(f"cannot save preset {path}: folder {path.parent} does not exist")
    state = None
    if run.trainer.steps:
        state = path.with_suffix(".npz")
        write_state(run, state)
    preset = Preset(run.name, dict(run.values), run.seed, run.data_seed, run.weight_seed, state,
                    list(getattr(run, "added_points", [])))
    try:
        atomic_write_text(path, dump_preset(preset))
    except OSError as exc:
        raise SettingError(f"cannot save preset {path}: {exc.strerror or exc}") from None
    return state


def open_run(cls, preset: Preset, values: dict | None = None, seed: int | None = None):
    """Build the run a preset describes (``values``/``seed`` override it), then restore its points and state."""
    run = cls(preset.values if values is None else values, preset.seed or 0 if seed is None else seed,
              data_seed=preset.data_seed if seed is None else None,
              weight_seed=preset.weight_seed if seed is None else None)
    for x, y in preset.points:
        run.add_point(x, y)
    if preset.state is not None:
        read_state(run, preset.state)
    run.notice = ""
    return run


def write_state(run, path: Path) -> None:
    t = run.trainer
    header = {"format": STATE_FORMAT, "scenario": run.name, "steps": int(t.steps),
              "examples_seen": int(t.examples_seen), "n_params": len(run.model.parameters())}
    arrays = {f"param.{i}": w for i, w in enumerate(run.model.get_weights())}
    arrays.update({f"history.{k}": v for k, v in t.history.state().items()})
    arrays.update({f"extra.{k}": np.asarray(v) for k, v in run.state_arrays().items()})
    arrays["__state__"] = np.array(json.dumps(header))
    try:
        with atomic_file(path) as f:
            np.savez_compressed(f, **arrays)
    except OSError as exc:
        raise SettingError(f"cannot save state {path}: {exc.strerror or exc}") from None


def read_state(run, path: Path) -> None:
    """Load weights, history and counters saved by :func:`write_state` into ``run`` (built the same way)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        header = json.loads(str(arrays.pop("__state__")))
        if header.get("format") != STATE_FORMAT:
            raise ValueError
    except FileNotFoundError:
        raise SettingError(f"state file {path}: not found") from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        raise SettingError(f"{path} is not an nnplay state file (written by P next to its preset)") from None
    if header.get("scenario") != run.name:
        raise SettingError(f"{path} holds a {header.get('scenario')} run, not {run.name}")
    weights = [arrays[f"param.{i}"] for i in range(int(header["n_params"]))]
    try:
        run.model.set_weights(weights)
    except ValueError as exc:
        raise SettingError(f"{path}: its weights do not fit this network ({exc})") from None
    t = run.trainer
    t.steps, t.examples_seen = int(header["steps"]), int(header["examples_seen"])
    t.history = History.from_state({k[8:]: v for k, v in arrays.items() if k.startswith("history.")})
    run.restore_arrays({k[6:]: v for k, v in arrays.items() if k.startswith("extra.")})
    run._last_eval_step = t.steps
    t.metrics = {k: float(t.history.last(k)) for k in t.history.keys()}
    run.record_frame()
