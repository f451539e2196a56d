"""Finite-difference gradient checks (float64) shared by the engine tests."""

from __future__ import annotations

import numpy as np


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of scalar ``f()`` w.r.t. every element of ``x`` (perturbed in place)."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def assert_close(analytic, numeric, what: str, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric)
    assert analytic.shape == numeric.shape, f"{what}: shape {analytic.shape} != {numeric.shape}"
    err = np.abs(analytic - numeric).max() if analytic.size else 0.0
    assert np.allclose(analytic, numeric, rtol=rtol, atol=atol), f"{what}: max abs error {err:.3g}"


def check_layer(layer, x: np.ndarray, seed: int = 0, before_forward=None) -> None:
    """Input and parameter gradients of ``layer`` against finite differences of sum(g * y).

    ``before_forward`` runs before every forward (e.g. to re-seed dropout: a fixed mask).
    """
    rng = np.random.default_rng(seed)
    prep = before_forward or (lambda: None)

    def forward():
        prep()
        return np.array(layer.forward(x, train=True), copy=True)

    g = rng.standard_normal(forward().shape)

    def f():
        return float(np.sum(forward() * g))

    f()
    dx = np.array(layer.backward(g.copy()), copy=True)  # backward may overwrite its argument
    grads = {k: np.array(v, copy=True) for k, v in layer.grads.items()}
    assert_close(dx, numeric_grad(f, x), f"{layer.name} d/dx")
    for name, p in layer.params.items():
        assert_close(grads[name], numeric_grad(f, p), f"{layer.name} d/d{name}")
