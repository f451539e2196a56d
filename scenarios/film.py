"""A run's film of its own past: weights at steps spaced so that a long run still fits.

Each evaluation offers a frame (the weights, the step counters and whatever else
the scenario needs to draw that moment, e.g. regress's path). The film keeps
one frame per ``spacing`` steps, and the newest; when it holds ``max_frames``
the spacing doubles and every second frame goes, so frames stay evenly spread
over the whole run and the film within a fixed memory budget
(``BUDGET_BYTES``) however long it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BUDGET_BYTES = 32 << 20  # the most one run's film keeps in memory
MIN_FRAMES, MAX_FRAMES = 16, 512


@dataclass(frozen=True)
class Frame:
    step: int
    examples_seen: int
    weights: tuple[np.ndarray, ...]
    extra: dict


class Film:
    def __init__(self, frame_bytes: int, budget: int = BUDGET_BYTES):
        self.max_frames = int(min(MAX_FRAMES, max(MIN_FRAMES, budget // max(1, frame_bytes))))
        self.spacing = 1
        self._kept: list[Frame] = []  # the first frame of each spacing-wide bucket of steps
        self._newest: Frame | None = None

    @property
    def frames(self) -> list[Frame]:
        if self._newest is None or (self._kept and self._kept[-1] is self._newest):
            return list(self._kept)
        return [*self._kept, self._newest]

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def nbytes(self) -> int:
        return sum(sum(w.nbytes for w in f.weights) + sum(np.asarray(v).nbytes for v in f.extra.values())
                   for f in self.frames)

    def capture(self, step: int, examples_seen: int, weights, extra: dict | None = None) -> None:
        frame = Frame(int(step), int(examples_seen), tuple(np.array(w) for w in weights), dict(extra or {}))
        if self._kept and self._kept[-1].step == frame.step:
            self._kept[-1] = frame  # the same moment again: keep the newest copy
        elif not self._kept or frame.step // self.spacing > self._kept[-1].step // self.spacing:
            self._kept.append(frame)
        self._newest = frame
        while len(self._kept) > self.max_frames:
            self.spacing *= 2
            kept: list[Frame] = []
            for f in self._kept:
                if not kept or f.step // self.spacing > kept[-1].step // self.spacing:
                    kept.append(f)
            self._kept = kept

    def at(self, step: int) -> Frame | None:
        """The latest frame at or before ``step`` (the first frame for earlier steps)."""
        frames = self.frames
        if not frames:
            return None
        i = int(np.searchsorted([f.step for f in frames], step, side="right")) - 1
        return frames[max(i, 0)]

    def neighbour(self, step: int, direction: int) -> Frame | None:
        """The frame before (-1) or after (+1) the one shown at ``step``; None past the newest."""
        frames = self.frames
        if not frames:
            return None
        i = int(np.searchsorted([f.step for f in frames], step, side="right")) - 1 + direction
        if i >= len(frames):
            return None
        return frames[max(i, 0)]

    def truncate_after(self, step: int) -> None:
        self._kept = [f for f in self._kept if f.step <= step]
        if self._newest is not None and self._newest.step > step:
            self._newest = self._kept[-1] if self._kept else None
