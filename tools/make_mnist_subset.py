"""Rebuild the stratified MNIST subset bundled in engine/datasets/data (seeded, so the output is reproducible).

    uv run python tools/make_mnist_subset.py [--src DIR] [--train-per-class 740] [--test-per-class 150]

Images are kept in a seeded random order (not grouped by class) so a prefix is
a fair sample too; ``train_index``/``test_index`` record where each came from.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.datasets import mnist

DEFAULT_SRC = os.environ.get("NNPLAY_MNIST_DIR") or str(ROOT.parent / "shared" / "data" / "mnist")
DEFAULT_OUT = ROOT / "engine" / "datasets" / "data" / mnist.SUBSET_FILE


def stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` indices of each digit, drawn without replacement, in shuffled order."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return rng.permutation(np.concatenate(picks))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=DEFAULT_SRC, help="folder with the four MNIST files")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--train-per-class", type=int, default=740)
    ap.add_argument("--test-per-class", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    full = mnist.read_directory(args.src)
    mnist.verify(args.src)
    rng = np.random.default_rng(args.seed)
    tr = stratified(full.train_labels, args.train_per_class, rng)
    te = stratified(full.test_labels, args.test_per_class, rng)
    np.savez_compressed(
        args.out,
        train_images=full.train_images[tr],
        train_labels=full.train_labels[tr],
        test_images=full.test_images[te],
        test_labels=full.test_labels[te],
        train_index=tr.astype(np.uint16),
        test_index=te.astype(np.uint16),
    )
    print(f"{args.out}: {len(tr)} train + {len(te)} test images, {os.path.getsize(args.out):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
