"""engine.blas: products cut into blocks only where OpenBLAS has its small-matrix GEMM, and equal to one product."""

from types import SimpleNamespace

import numpy as np
import pytest

from engine import backend, blas


def fake_blas(monkeypatch, *libs):
    monkeypatch.setattr(blas, "_controllers", [SimpleNamespace(internal_api=api, architecture=arch, num_threads=1)
                                               for api, arch in libs])
    monkeypatch.setattr(blas, "_limit", None)


@pytest.mark.parametrize("libs, limit", [
    ((("openblas", "SkylakeX"),), blas.SMALL_GEMM),
    ((("openblas", "SapphireRapids"),), blas.SMALL_GEMM),
    ((("openblas", "Haswell"),), 0),
    ((("openblas", "Prescott"),), 0),
    ((("mkl", None),), 0),
    ((), 0),
])
def test_blocks_only_where_the_kernel_has_a_small_gemm(monkeypatch, libs, limit):
    fake_blas(monkeypatch, *libs)
    assert blas.small_limit() == limit


def test_no_blocks_off_the_cpu(monkeypatch):
    fake_blas(monkeypatch, ("openblas", "SkylakeX"))
    monkeypatch.setattr(backend, "device", "gpu")
    assert blas.small_limit() == 0


@pytest.mark.parametrize("limit", [0, 60, 1000, 10**9])
def test_blocked_products_equal_one_product(monkeypatch, limit):
    """Column blocks (the last one short) and reduction blocks give ``a @ b`` in float64."""
    monkeypatch.setattr(blas, "_limit", limit)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 101))
    out = np.full((3, 101), np.nan)
    assert blas.matmul(a, b, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)
    c, d = rng.standard_normal((3, 103)), rng.standard_normal((103, 2))
    acc = np.full((3, 2), np.nan)
    assert blas.matmul_sum(c, d, acc) is acc
    np.testing.assert_allclose(acc, c @ d, rtol=1e-12)


def test_blocks_hold_under_the_limit(monkeypatch):
    """Each product a blocked call makes stays within ``M * N * K <= limit``."""
    monkeypatch.setattr(blas, "_limit", 1000)
    sizes = []

    class Spy:
        def __getattr__(self, name):
            return getattr(np, name)

        def matmul(self, a, b, out=None):
            sizes.append(a.shape[0] * a.shape[1] * b.shape[1])
            return np.matmul(a, b, out=out)

    monkeypatch.setattr(backend, "xp", Spy())
    rng = np.random.default_rng(1)
    blas.matmul(rng.standard_normal((8, 25)), rng.standard_normal((25, 50)), np.empty((8, 50)))
    assert len(sizes) == 10 and max(sizes) <= 1000
    sizes.clear()
    blas.matmul_sum(rng.standard_normal((25, 500)), rng.standard_normal((500, 8)), np.empty((25, 8)))
    assert len(sizes) == 100 and max(sizes) <= 1000
