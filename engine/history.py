"""``History``: a run's evaluation records in bounded float64 arrays, thinned evenly as the run grows.

    h = History()                                  # at most 2048 rows, whatever the run's length
    h.append({"step": 100, "epoch": 0.4, "train_loss": 0.31, "test_loss": None, ...})  # None -> NaN
    h["train_loss"][-1]                            # read-only view of the stored rows
    h.arrays(max_points=400)                       # copies for a UI snapshot, at most 400 rows each

Which rows are kept: the steps are cut into buckets ``spacing`` steps wide
(from the first record's step) and the first record of each bucket is kept,
plus the latest record (until the next one replaces it).  Until the buffer
first fills, ``spacing`` is 0 and every record is kept; each time it fills,
``spacing`` doubles (the first time: twice the mean gap), which keeps every
second row of evenly spaced records.  So a long run keeps a history evenly
spread over its steps from the first record to the latest, whatever the
evaluation cadence, and an append costs O(1) amortised (a thinning moves at
most ``capacity`` rows and leaves at most ``capacity / 2``).  Steps are expected
in non-decreasing order (a trainer's are).

A view from ``h[key]`` is valid until the next ``append`` or ``truncate_after``
(they rewrite the buffer in place); ``arrays`` and ``copy`` are independent.
"""

from __future__ import annotations

import math

import numpy as np

HISTORY_KEYS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc")
CAPACITY = 2048
_META = "_meta"  # the state() entry: capacity, spacing, bucket origin, whether the last row is only the latest


class History:
    """Evaluation records, one float64 array per key (see the module docstring)."""

    def __init__(self, keys=HISTORY_KEYS, capacity: int = CAPACITY):
        self._keys = tuple(keys)
        self._col = {k: i for i, k in enumerate(self._keys)}
        if "step" not in self._col or len(self._col) != len(self._keys):
            raise ValueError(f"History keys must be distinct and include 'step', got {self._keys}")
        if capacity < 3:
            raise ValueError(f"History capacity must be at least 3 rows, got {capacity}")
        self._data = np.full((len(self._keys), int(capacity)), np.nan)
        self._step = self._data[self._col["step"]]
        self._n = 0  # rows in use
        self._spacing = 0.0  # bucket width in steps (0: keep every record)
        self._origin = 0.0  # buckets start at the first row's step
        self._tail = False  # the last row is the latest record, kept only until the next append

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    @property
    def spacing(self) -> float:
        """Steps between kept rows (0 until the first thinning)."""
        return self._spacing

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"History({self._n} rows of {self.capacity}, spacing {self._spacing:g})"

    # --- adding -------------------------------------------------------------------

    def append(self, record: dict) -> None:
        """Add one record: ``step`` is required, other keys are optional (missing or ``None``: NaN)."""
        if not record.keys() <= self._col.keys():
            raise KeyError(f"unknown history keys {sorted(set(record) - set(self._col))}")
        if record.get("step") is None:
            raise KeyError("a history record needs a step")
        self._push([math.nan if (v := record.get(k)) is None else v for k in self._keys])

    def _bucket(self, step):
        return (step - self._origin) // self._spacing  # floor division: exact for integer steps

    def _push(self, values) -> None:
        if self._tail:  # the previous latest record was kept only because it was the latest
            self._n -= 1
        step = float(values[self._col["step"]])
        if not self._n:
            self._origin = step
        keep = not self._n or not self._spacing or self._bucket(step) > self._bucket(self._step[self._n - 1])
        if keep and self._n == self.capacity - 1:  # one row stays free for the latest
            self._thin()
            keep = self._bucket(step) > self._bucket(self._step[self._n - 1])
        self._data[:, self._n] = values
        self._n += 1
        self._tail = not keep

    def _thin(self) -> None:
        """Double the spacing (until at most half the rows stay) and keep each bucket's first row."""
        steps, n = self._step[: self._n], self._n
        spacing = 2 * self._spacing or max(1.0, round(2 * (steps[-1] - steps[0]) / (n - 1)))
        while True:
            b = np.floor_divide(steps - self._origin, spacing)
            keep = np.concatenate(([True], b[1:] != b[:-1]))
            if np.count_nonzero(keep) <= self.capacity // 2:
                break
            spacing *= 2  # uneven records (the cadence changed): thin further
        kept = self._data[:, :n][:, keep]
        self._n, self._spacing = kept.shape[1], spacing
        self._data[:, : self._n] = kept

    def truncate_after(self, step) -> None:
        """Drop the rows after the first one whose step exceeds ``step`` (time travel: resume from there)."""
        over = np.flatnonzero(self._step[: self._n] > step)
        if not over.size:
            return
        self._n, self._tail = int(over[0]), False  # every row left was kept for its bucket
        if not self._n:
            self._spacing = 0.0

    # --- reading ------------------------------------------------------------------

    def keys(self) -> tuple[str, ...]:
        return self._keys

    def __contains__(self, key) -> bool:
        return key in self._col

    def __getitem__(self, key: str) -> np.ndarray:
        """The stored rows of ``key``: a read-only view (see the module docstring)."""
        view = self._data[self._col[key], : self._n]
        view.flags.writeable = False
        return view

    def get(self, key: str, default=None):
        """``h[key]``, or ``default`` for a key this history does not have."""
        return self[key] if key in self._col else default

    def last(self, key: str, default: float = math.nan) -> float:
        """The latest value of ``key`` (NaN if it was not measured), ``default`` when empty or unknown."""
        if key not in self._col or not self._n:
            return default
        return float(self._data[self._col[key], self._n - 1])

    def arrays(self, max_points: int | None = None) -> dict[str, np.ndarray]:
        """Copies of every column, evenly downsampled to at most ``max_points`` rows (first and latest kept).

        The cost is bounded by ``capacity`` and ``max_points``, never by the run's length.
        """
        n = self._n
        if max_points is None or n <= max_points:
            picked = self._data[:, :n].copy()
        elif max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}")
        else:
            idx = np.linspace(0, n - 1, max_points).round().astype(np.intp) if max_points > 1 else [n - 1]
            picked = self._data[:, idx]
        return {k: picked[j] for j, k in enumerate(self._keys)}

    def copy(self) -> "History":
        return History.from_state(self.state())

    # --- saving -------------------------------------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``np.savez``: one per key, and ``_meta`` (how to keep thinning after a restore)."""
        out = {k: v.copy() for k, v in zip(self._keys, self._data[:, : self._n])}
        out[_META] = np.array([self.capacity, self._spacing, self._origin, self._tail], dtype=np.float64)
        return out

    @classmethod
    def from_state(cls, state, capacity: int | None = None) -> "History":
        """Rebuild from :meth:`state` (a dict or an ``np.load`` file).

        Without ``_meta`` (plain columns, e.g. a snapshot's arrays) the rows are
        appended in order, thinned to ``capacity`` (default 2048) as they come.
        """
        keys = [k for k in state.keys() if k != _META]
        cols = [np.asarray(state[k], dtype=np.float64).reshape(-1) for k in keys]
        if len({c.size for c in cols}) > 1:
            raise ValueError(f"history columns differ in length: {[c.size for c in cols]}")
        n = cols[0].size if cols else 0
        if _META not in state:
            h = cls(keys, capacity or CAPACITY)
            for row in zip(*cols):
                h._push(row)
            return h
        cap, spacing, origin, tail = (float(v) for v in np.asarray(state[_META]).reshape(-1))
        if n > cap or spacing < 0:
            raise ValueError(f"inconsistent history state: {n} rows, capacity {cap:g}, spacing {spacing:g}")
        h = cls(keys, int(cap))
        for j, c in enumerate(cols):
            h._data[j, :n] = c
        h._n, h._spacing, h._origin, h._tail = n, spacing, origin, bool(tail)
        return h
