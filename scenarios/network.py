"""Dense networks the way the Playground builds them, and what the UI draws of them."""

from __future__ import annotations

import numpy as np

from engine import backend
from engine.layers import Dense, activation
from engine.model import Sequential

from .views import Network

HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int, act: str, out_act: str | None, init: str, seed: int) -> Sequential:
    """Dense layers each followed by its activation; ``out_act=None`` leaves raw outputs (logits)."""
    rng = np.random.default_rng(seed)
    layers = []
    sizes = (n_in, *hidden)
    for a, b in zip(sizes, sizes[1:]):
        layers += [Dense(a, b, init=init, rng=rng), activation(act)]
    layers.append(Dense(sizes[-1], n_out, init=init, rng=rng))
    if out_act is not None:
        layers.append(activation(out_act))
    return Sequential(layers)


def dense_layers(model: Sequential) -> list[Dense]:
    return [l for l in model.layers if isinstance(l, Dense)]


def neuron_outputs(model: Sequential, x) -> list[np.ndarray]:
    """Run ``x`` forward and return, per dense layer, its post-activation outputs (host arrays).

    The last entry is the model's output (after the output activation if any).
    """
    out = model.forward(backend.asarray(x))
    acts = model.activations
    result = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            nxt = i + 1
            if nxt < len(model.layers) and not isinstance(model.layers[nxt], Dense) and model.layers[nxt].params == {}:
                result.append(backend.to_host(acts[nxt]))
            else:
                result.append(backend.to_host(acts[i]))
    result[-1] = backend.to_host(out)
    return result


def network_view(model: Sequential, input_names, act, thumbs_in, thumbs_layers, selected=None) -> Network:
    """``act``: one hidden activation name, or one per hidden layer."""
    dense = dense_layers(model)
    acts = (act,) * (len(dense) - 1) if isinstance(act, str) else tuple(act)
    return Network(
        input_names=tuple(input_names),
        layer_sizes=(dense[0].params["W"].shape[0], *(d.params["W"].shape[1] for d in dense)),
        # copies: on the CPU to_host is a view, and training updates weights in place while the UI draws
        weights=tuple(np.array(backend.to_host(d.params["W"])) for d in dense),
        biases=tuple(np.array(backend.to_host(d.params["b"])).ravel() for d in dense),
        thumbnails=(tuple(thumbs_in), *(tuple(t) for t in thumbs_layers)),
        activations=(*acts, "out"),
        selected=selected,
    )


class LayerEdits:
    """Key actions that grow and shrink a run's ``layers`` setting; the limits are that Setting's."""

    new_layer_size = 2  # neurons in a first hidden layer added to a network that has none

    def add_layer(self) -> str:
        limit, layers = self.schema["layers"].max_len, self.values["layers"]
        if len(layers) >= limit:
            self.notice = f"at most {limit} hidden layers"
            return self.notice
        return self.set("layers", layers + ((layers[-1] if layers else self.new_layer_size),))

    def remove_layer(self) -> str:
        layers = self.values["layers"]
        if not layers:
            self.notice = "no hidden layer to remove"
            return self.notice
        return self.set("layers", layers[:-1])

    def change_neurons(self, layer: int, delta: int) -> str:
        """Add or remove a neuron in hidden layer ``layer`` (1-based as in the diagram, clamped)."""
        setting, layers = self.schema["layers"], list(self.values["layers"])
        if not layers:
            return self.add_layer() if delta > 0 else self.remove_layer()
        i = min(max(layer - 1, 0), len(layers) - 1)
        if not setting.lo <= layers[i] + delta <= setting.hi:
            self.notice = f"a hidden layer has {int(setting.lo)} to {int(setting.hi)} neurons"
            return self.notice
        layers[i] += delta
        return self.set("layers", tuple(layers))
