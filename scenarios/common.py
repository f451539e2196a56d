"""Settings every scenario shares (learning rate, optimizer, batch, regularization, speed).

Each LIVE setting carries ``apply``: how a change reaches the running trainer,
so no run needs a switch on setting names.
"""

from __future__ import annotations

from engine.optimizers import NAMES as OPTIMIZERS

from .settings import BATCH_LADDER, LR_LADDER, REG_RATE_LADDER, SPEED_LADDER, Effect, Setting


def _set_lr(run, value) -> None:
    run.set_lr(value)


def _set_batch(run, value) -> None:
    run.trainer.batch_size = int(value)


def _set_optimizer(run, value) -> None:
    run.trainer.optimizer = run.make_optimizer()  # a new rule starts with fresh state; the weights stay


def _set_regularization(run, value) -> None:
    """The penalty is read by the optimizer at each step: its moments and velocities are kept."""
    reg, rate = run.values.get("regularization", "none"), run.values.get("reg_rate", 0.0)
    opt = run.trainer.optimizer
    opt.l1 = rate if reg == "l1" else 0.0
    opt.l2 = rate if reg == "l2" else 0.0


def lr_setting(default: float) -> Setting:
    return Setting("lr", float, default, "learning rate", Effect.LIVE, ladder=LR_LADDER, lo=1e-6, hi=10.0,
                   keys=("+", "-"), apply=_set_lr)


def batch_setting(default: int, hi: int, ladder: tuple[int, ...] = BATCH_LADDER) -> Setting:
    return Setting("batch", int, default, "batch size", Effect.LIVE, ladder=ladder, lo=1, hi=hi, keys=("b", "B"),
                   apply=_set_batch)


def optimizer_setting(default: str = "sgd") -> Setting:
    return Setting("optimizer", str, default, "optimizer (keeps the weights)", Effect.LIVE, values=OPTIMIZERS,
                   keys=("o", "O"), apply=_set_optimizer)


def regularization_settings() -> tuple[Setting, Setting]:
    return (
        Setting("regularization", str, "none", "weight penalty (keeps the optimizer's state)", Effect.LIVE,
                values=("none", "l1", "l2"), keys=("g", "G"), apply=_set_regularization),
        Setting("reg_rate", float, 0.0, "regularization rate", Effect.LIVE, ladder=REG_RATE_LADDER, lo=0.0, hi=10.0,
                keys=("r", "R"), apply=_set_regularization),
    )


def speed_setting() -> Setting:
    return Setting("speed", int, 0, "training steps per frame (max = as fast as it goes)", Effect.LIVE,
                   ladder=SPEED_LADDER, lo=0, hi=500, keys=("f", "F"), show=lambda v: "max" if v == 0 else str(v))
