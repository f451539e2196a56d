"""The BLAS library NumPy runs on: its thread count, and matrix products cut to the size it runs fastest.

OpenBLAS's SkylakeX kernel set (the one it picks on AVX-512 CPUs, Intel and AMD; Cooper Lake and
Sapphire Rapids use it too) has a second single-precision GEMM for small products, taken when
``M * N * K <= 100**3``: it skips packing the operands into panels.  A small CNN's products are
skinny (8 or 16 output channels, ``K`` = 25 or 40) and long (a batch's every pixel), so packing is
most of their work: on a Zen 4 EPYC with that kernel, ``(8x25) @ (25x50176)`` takes 0.72 ms as one
call and 0.27 ms as 4096-column blocks; at ``M*N*K`` = 1,000,000 a call takes 20 us, at 1,002,000
34 us.  Other kernels (Haswell's AVX2 one, MKL) and CuPy have no such path and one call is as fast
or faster, so :func:`matmul` and :func:`matmul_sum` cut only where it exists.  The choice depends on
the kernel alone (not on timings), so a run is the same from one process to the next; the kernels
sum in different orders, as they always did, so the last bits differ between CPU kinds.
"""

from __future__ import annotations

from . import backend

SMALL_GEMM = 100**3  # OpenBLAS's limit on M * N * K for its small-matrix sgemm (interface/gemm.c, SkylakeX)
SMALL_KERNELS = {"skylakex", "cooperlake", "sapphirerapids"}

_controllers: list | None = None
_limit: int | None = None


def controllers() -> list:
    """threadpoolctl's controllers of the BLAS libraries NumPy loaded (found once; [] without threadpoolctl)."""
    global _controllers
    if _controllers is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _controllers = []
        else:
            _controllers = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _controllers


def threads() -> int:
    """How many threads BLAS may use now (1 when it cannot be told)."""
    return max([c.num_threads for c in controllers()] or [1])


def small_limit() -> int:
    """``M * N * K`` up to which a product should stay to take the small-matrix GEMM; 0 when there is none."""
    global _limit
    if backend.device != "cpu":  # CuPy: no OpenBLAS
        return 0
    if _limit is None:
        found = [c for c in controllers() if c.internal_api == "openblas"]
        kernel = str(getattr(found[0], "architecture", "") if found else "").lower()
        _limit = SMALL_GEMM if len(found) == 1 and kernel in SMALL_KERNELS else 0
    return _limit


def matmul(a, b, out):
    """``out = a @ b`` for 2D operands, in blocks of ``out``'s columns small enough for :func:`small_limit`."""
    xp, limit = backend.xp, small_limit()
    m, k = a.shape
    n = b.shape[1]
    if not limit or m * k * n <= limit or m * k > limit:
        return xp.matmul(a, b, out=out)
    block = limit // (m * k)
    for lo in range(0, n, block):
        xp.matmul(a, b[:, lo : lo + block], out=out[:, lo : lo + block])
    return out


def matmul_sum(a, b, out):
    """``out = a @ b`` for 2D operands, summed over blocks of the reduction small enough for :func:`small_limit`.

    The products of weight gradients reduce over a whole batch of pixels into a tiny ``out``: there
    the reduction is what gets cut.
    """
    xp, limit = backend.xp, small_limit()
    m, k = a.shape
    n = b.shape[1]
    if not limit or m * k * n <= limit or m * n > limit:
        return xp.matmul(a, b, out=out)
    block = limit // (m * n)
    xp.matmul(a[:, :block], b[:block], out=out)
    part = xp.empty_like(out)
    for lo in range(block, k, block):
        out += xp.matmul(a[:, lo : lo + block], b[lo : lo + block], out=part)
    return out
