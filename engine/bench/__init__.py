"""``nnplay bench``: the engine's speed on four fixed workloads, against references timed in the same run.

    nnplay bench [--workload W1|W2|W3|W4|all] [--json] [--threads N] [--mnist-dir DIR]

W1 playground  spiral, 250 training points, 2-8-8-8-1 tanh, squared error, SGD 0.03, batch 10
W2 mnist-mlp   784-128-10 ReLU, softmax CE, SGD momentum 0.9 lr 0.05, batch 64, one epoch
W3 mnist-cnn   conv 5x5x8 > pool > conv 5x5x16 > pool > dense 10, Adam 1e-3, batch 64, one epoch
W4 mnist-99    the recipe in :data:`W4_RECIPE`: wall seconds until test accuracy >= 99.0 %

Machines are noisy (this one is shared), so absolute figures mean little: each
figure comes with the same workload run by a reference in the same process, the two
taking turns in ``--repeats`` timed chunks (engine/bench/timing.py: medians and spreads), and
``vs_*`` = engine speed / reference speed (> 1: the engine is faster; for times
that is reference time / engine time).  References: PyTorch CPU when it can be
imported (an optional, lazily imported extra; never a dependency), and for W1 a
minimal hand-written NumPy MLP (:class:`NumpyMLP`): plain NumPy with no layers or checks.
PyTorch gets the same initial weights and the same batch order as the engine, so
accuracies differ only by float rounding.  BLAS (and PyTorch) threads are pinned
to ``--threads`` (default 1; on a busy 2-core machine 2 threads can be slower than
1 for both).  Loading and converting MNIST is not timed; W4's tests are.
"""

from .references import NumpyMLP, TorchLoop, import_torch, to_torch
from .report import ratio
from .workloads import GOAL, TARGET, W4_RECIPE, WORKLOADS, time_to_target

__all__ = ["GOAL", "TARGET", "W4_RECIPE", "WORKLOADS", "NumpyMLP", "TorchLoop", "import_torch",
           "ratio", "time_to_target", "to_torch"]
