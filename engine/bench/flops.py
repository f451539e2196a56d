"""Floating-point operations of a training step, counted from the layers (convolutions and dense layers)."""

from __future__ import annotations

from ..layers import Conv2D, Dense


def per_sample(model, in_shape) -> tuple[int, int]:
    """``(forward, training)`` FLOPs per sample: each multiply-add counts 2; training is the forward,
    the weight gradients (as much again) and the input gradients (as much again, except for the
    first layer with weights, whose input gradient nothing needs).  Pooling, activations, the loss
    and the optimizer are left out (they are a few operations per value, not per weight)."""
    fwd = train = 0
    first, shape = True, tuple(in_shape)
    for layer in model.layers:
        out = layer.output_shape(shape)
        if isinstance(layer, Conv2D):
            kh, kw = layer.kernel
            f = 2 * layer.out_ch * layer.in_ch * kh * kw * out[1] * out[2]
        elif isinstance(layer, Dense):
            f = 2 * layer.n_in * layer.n_out
        else:
            f = 0
        if f:
            fwd += f
            train += f * (2 if first else 3)
            first = False
        shape = out
    return fwd, train
