"""Optimizers: each update checked against its equations, written out in plain NumPy."""

import numpy as np
import pytest

import copy

from engine.optimizers import SGD, Adadelta, Adagrad, Adam, RMSProp, get_optimizer, switch_optimizer

P0 = np.array([0.5, -1.0, 2.0, 0.0])
GRADS = [np.array([0.1, -0.2, 0.3, 0.4]), np.array([-0.5, 0.1, 0.0, 0.2]), np.array([0.3, 0.3, -0.1, -0.6])]


def run(opt, steps=3, lrs=None):
    p = P0.copy()
    g = np.zeros_like(p)
    for k in range(steps):
        if lrs:
            opt.lr = lrs[k]
        g[...] = GRADS[k]
        opt.step([(p, g)])
    return p


def ref_sgd(lr, mu=0.0, nesterov=False, l2s=(0.0, 0.0, 0.0)):
    p, v = P0.copy(), np.zeros(4)
    for g, l2 in zip(GRADS, l2s):
        g = g + l2 * p
        v = mu * v + g
        p = p - lr * (g + mu * v if nesterov else v)
    return p


def ref_adam(lrs, b1=0.9, b2=0.999, eps=1e-8, grads=GRADS, l2s=(0.0, 0.0, 0.0)):
    p, m, v = P0.copy(), np.zeros(4), np.zeros(4)
    for t, (g, lr, l2) in enumerate(zip(grads, lrs, l2s), start=1):
        g = g + l2 * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def ref_rmsprop(lr, rho=0.9, eps=1e-8):
    p, s = P0.copy(), np.zeros(4)
    for g in GRADS:
        s = rho * s + (1 - rho) * g**2
        p = p - lr * g / (np.sqrt(s) + eps)
    return p


def ref_adagrad(lr, eps=1e-8):
    p, s = P0.copy(), np.zeros(4)
    for g in GRADS:
        s = s + g**2
        p = p - lr * g / (np.sqrt(s) + eps)
    return p


def ref_adadelta(lr, rho=0.95, eps=1e-6):
    p, eg, ed = P0.copy(), np.zeros(4), np.zeros(4)
    for g in GRADS:
        eg = rho * eg + (1 - rho) * g**2
        d = np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * d**2
        p = p - lr * d
    return p


def test_sgd():
    assert np.allclose(run(SGD(0.1)), ref_sgd(0.1))


def test_momentum_and_nesterov():
    assert np.allclose(run(SGD(0.1, momentum=0.9)), ref_sgd(0.1, 0.9))
    assert np.allclose(run(SGD(0.1, momentum=0.9, nesterov=True)), ref_sgd(0.1, 0.9, nesterov=True))
    assert not np.allclose(ref_sgd(0.1, 0.9), ref_sgd(0.1, 0.9, nesterov=True))


def test_adam_with_bias_correction():
    assert np.allclose(run(Adam(0.01)), ref_adam([0.01] * 3))
    assert np.allclose(run(Adam(0.01, beta1=0.5, beta2=0.9, eps=1e-3)), ref_adam([0.01] * 3, 0.5, 0.9, 1e-3))
    # first step of Adam moves every weight by ~lr, whatever the gradient's scale
    p = P0.copy()
    Adam(0.01).step([(p, np.array([1e-4, -3.0, 50.0, 1.0]))])
    assert np.allclose(np.abs(p - P0), 0.01, rtol=1e-3)


def test_rmsprop_adagrad_adadelta():
    assert np.allclose(run(RMSProp(0.01)), ref_rmsprop(0.01))
    assert np.allclose(run(Adagrad(0.1)), ref_adagrad(0.1))
    assert np.allclose(run(Adadelta()), ref_adadelta(1.0))
    assert np.allclose(run(Adadelta(0.5, rho=0.9)), ref_adadelta(0.5, rho=0.9))


def test_lr_change_keeps_state():
    assert np.allclose(run(Adam(0.01), lrs=[0.01, 0.01, 0.05]), ref_adam([0.01, 0.01, 0.05]))
    opt = SGD(0.1, momentum=0.9)
    p = run(opt, lrs=[0.1, 0.1, 0.1])
    assert np.allclose(p, ref_sgd(0.1, 0.9)) and np.any(opt.state[0]["v"])


@pytest.mark.parametrize("make", [lambda l2: SGD(0.1, momentum=0.9, l2=l2), lambda l2: Adam(0.01, l2=l2)],
                         ids=["momentum", "adam"])
def test_l2_change_on_a_live_optimizer_keeps_its_state(make):
    opt, p, g = make(0.0), P0.copy(), np.zeros(4)
    for k in range(2):
        g[...] = GRADS[k]
        opt.step([(p, g)])
    buffers = {k: v for k, v in opt.state[0].items() if isinstance(v, np.ndarray)}
    twin, q = make(0.05), p.copy()  # had l2 = 0.05 all along, given the same state from here on
    twin.state = copy.deepcopy(opt.state)
    opt.l2 = 0.05
    g[...] = GRADS[2]
    opt.step([(p, g)])
    twin.step([(q, g)])
    assert all(opt.state[0][k] is v for k, v in buffers.items())  # the same moment buffers, updated
    np.testing.assert_array_equal(p, q)
    ref = ref_sgd(0.1, 0.9, l2s=[0, 0, 0.05]) if isinstance(opt, SGD) else ref_adam([0.01] * 3, l2s=[0, 0, 0.05])
    assert np.allclose(p, ref) and not np.allclose(p, run(make(0.0)))


def test_l1_change_on_a_live_optimizer_is_read_next_step():
    opt, p = SGD(0.1), np.array([1.0, -2.0])
    opt.step([(p, np.zeros(2))])
    assert np.array_equal(p, [1.0, -2.0])
    opt.l1 = 0.5
    opt.step([(p, np.zeros(2))])
    assert np.allclose(p, [1.0 - 0.05, -2.0 + 0.05])


def test_new_shape_restarts_adams_step_count_with_its_moments():
    """Bias correction must restart too: a fresh entry's first Adam step moves each weight by ~lr."""
    opt = Adam(0.01)
    run(opt)  # three steps on a 4-vector
    q, h = np.array([1.0, 2.0, 3.0]), np.array([0.3, -1e-3, 20.0])
    fresh_q = q.copy()
    opt.step([(q, h)])  # a different model: shape (3,)
    Adam(0.01).step([(fresh_q, h)])
    np.testing.assert_allclose(q, fresh_q, rtol=0, atol=1e-15)
    assert np.allclose(np.abs(q - [1.0, 2.0, 3.0]), 0.01, rtol=1e-3)


def test_reset_and_switch_optimizer():
    opt = Adam(0.02, l1=0.1, l2=0.3)
    run(opt)
    opt.reset()
    assert np.allclose(run(opt), run(Adam(0.02, l1=0.1, l2=0.3)))
    other = switch_optimizer(opt, "nesterov")
    assert isinstance(other, SGD) and other.nesterov and other.momentum == 0.9
    assert (other.lr, other.l1, other.l2) == (0.02, 0.1, 0.3) and other.state == []
    rms = switch_optimizer(other, "rmsprop", lr=0.5, rho=0.8)
    assert isinstance(rms, RMSProp) and (rms.lr, rms.rho, rms.l2) == (0.5, 0.8, 0.3)


def test_l2_and_l1_apply_to_decayed_entries_only():
    w, b = np.array([1.0, -2.0]), np.array([3.0])
    gw, gb = np.array([0.5, 0.5]), np.array([0.5])
    SGD(0.1, l2=0.01, l1=0.1).step([(w, gw), (b, gb, False)])
    assert np.allclose(w, [1.0, -2.0] - 0.1 * (0.5 + 0.01 * np.array([1.0, -2.0]) + 0.1 * np.array([1, -1])))
    assert np.allclose(b, 3.0 - 0.1 * 0.5)
    assert np.array_equal(gw, [0.5, 0.5])  # the model's gradients are left alone


def test_decay_prefix_of_a_flat_buffer():
    flat, grad = np.array([1.0, -2.0, 3.0]), np.zeros(3)  # two weights, then one bias
    SGD(1.0, l2=0.5).step([(flat, grad, 2)])
    assert np.allclose(flat, [0.5, -1.0, 3.0])


def test_state_is_per_entry():
    a, b = P0.copy(), P0.copy()
    opt = Adam(0.01)
    for g, h in zip(GRADS, GRADS[::-1]):
        opt.step([(a, g), (b, h)])
    assert np.allclose(a, ref_adam([0.01] * 3))
    assert np.allclose(b, ref_adam([0.01] * 3, grads=GRADS[::-1])) and not np.allclose(a, b)


def test_float32_stays_float32():
    p, g = P0.astype(np.float32), GRADS[0].astype(np.float32)
    for name in ("sgd", "momentum", "adam", "rmsprop", "adagrad", "adadelta"):
        q = p.copy()
        get_optimizer(name, 0.1, l2=0.1).step([(q, g)])
        assert q.dtype == np.float32 and not np.array_equal(q, p)


def test_get_optimizer_names():
    assert isinstance(get_optimizer("sgd", 0.1), SGD) and get_optimizer("sgd", 0.1).momentum == 0
    m = get_optimizer("momentum", 0.1)
    assert m.momentum == 0.9 and not m.nesterov
    n = get_optimizer("nesterov", 0.1, momentum=0.5)
    assert n.momentum == 0.5 and n.nesterov
    for name, cls in [("adam", Adam), ("rmsprop", RMSProp), ("adagrad", Adagrad), ("adadelta", Adadelta)]:
        opt = get_optimizer(name, 0.2, l2=0.01)
        assert isinstance(opt, cls) and opt.lr == 0.2 and opt.l2 == 0.01
    with pytest.raises(ValueError):
        get_optimizer("lbfgs", 0.1)


@pytest.mark.parametrize("make,fast", [(lambda: Adam(1e-3), "m"), (lambda: SGD(0.01, momentum=0.9), "v"),
                                       (lambda: RMSProp(1e-3), "s")])
def test_moments_of_dead_weights_are_flushed_before_they_turn_subnormal(make, fast):
    """A gradient that becomes exactly 0 lets a moment decay towards subnormal floats (slow on x86):
    every FLUSH_EVERY updates values below TINY become 0, and the live entries update as without it."""
    rng = np.random.default_rng(0)
    p = rng.standard_normal(200).astype(np.float32)
    ref_p = p.copy()
    opt, ref = make(), make()
    tiny = np.finfo(np.float32).tiny
    for t in range(1500):
        g = (rng.standard_normal(200) * 1e-2).astype(np.float32)
        if t >= 20:
            g[:100] = 0.0  # dead from step 20 on
        opt.step([(p, g)])
        ref._state(0, ref_p)
        ref.state[0]["t"] += 1
        ref._update(ref.state[0], ref_p, g)  # the same rule, never flushed
    for name in opt.slots:
        a, b = opt.state[0][name], ref.state[0][name]
        assert not ((a != 0) & (np.abs(a) < tiny)).any(), f"{name} holds subnormals"
        if name == fast:  # decays by 0.9 a step: 1,480 steps take 1e-2 far below the smallest normal float
            assert ((b != 0) & (np.abs(b) < tiny)).any(), f"the unflushed {name} does hold subnormals"
        np.testing.assert_array_equal(a[100:], b[100:])  # live entries: bit-identical
    np.testing.assert_array_equal(p, ref_p)  # the flushed values moved no weight
