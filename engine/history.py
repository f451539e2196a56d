"""TEMPORARY stand-in until the engine branch lands."""
import math
import numpy as np
KEYS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc")
class History:
    def __init__(self, capacity=2048):
        self._rows = []
    def append(self, record):
        self._rows.append([math.nan if record.get(k) is None else float(record[k]) for k in KEYS])
    def __len__(self): return len(self._rows)
    def keys(self): return KEYS
    def __getitem__(self, k):
        a = np.array(self._rows, dtype=np.float64).reshape(-1, len(KEYS))
        return a[:, KEYS.index(k)]
    def get(self, k): return self[k] if k in KEYS else None
    def last(self, k, default=math.nan):
        return self._rows[-1][KEYS.index(k)] if self._rows else default
    def arrays(self, max_points=None): return {k: self[k].copy() for k in KEYS}
    def state(self): return self.arrays()
    @classmethod
    def from_state(cls, d):
        h = cls(); n = len(next(iter(d.values()))) if d else 0
        for i in range(n): h.append({k: d[k][i] for k in KEYS if k in d})
        return h
