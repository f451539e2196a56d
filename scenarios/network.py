"""Dense networks the way the Playground builds them, and what the UI draws of them."""

from __future__ import annotations

import numpy as np

from engine import backend, builders
from engine.layers import Dense
from engine.model import Sequential

from .settings import Setting, SettingError
from .views import Network

# What the hidden-activation keys cycle through (a / A), in this order: tanh's neighbours stay relu and linear.
HIDDEN_ACTIVATIONS = ("tanh", "relu", "elu", "leaky_relu", "softplus", "silu", "gelu", "gelu_tanh", "sine",
                      "sigmoid", "linear")
BOUNDED = {"tanh": (-1.0, 1.0), "sine": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # output ranges of the bounded ones


def layer_activations(act, n_layers: int) -> tuple[str, ...]:
    """One activation per hidden layer from ``"tanh"``, ``"tanh,relu"`` or a tuple; a short list repeats its last."""
    names = [a.strip() for a in (act.split(",") if isinstance(act, str) else act) if a.strip()] or ["tanh"]
    return tuple(names[min(i, len(names) - 1)] for i in range(n_layers))


class ActivationSetting(Setting):
    """A str setting: one hidden activation for every layer, or a comma list, one per hidden layer.

    ``values`` are the single names the keys cycle through (and the palette offers);
    parsing accepts any comma list of them and normalises it (``"Tanh, relu"`` → ``"tanh,relu"``).
    """

    def allowed(self) -> str:
        return f"one of {', '.join(self.values)}, or a comma list of them, one per hidden layer"

    def parse(self, raw):
        items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
        names = [str(a).strip().lower() for a in items]
        if not names or any(n not in self.values for n in names) or (self.max_len and len(names) > self.max_len):
            shown = ",".join(map(str, raw)) if isinstance(raw, (list, tuple)) else str(raw)
            raise SettingError(f"bad value {shown!r} for {self.name}: expected {self.allowed()}")
        return ",".join(names)

    def nudge(self, value, direction, values=None):
        """The keys set one activation for every layer: the one after (or before) the first layer's."""
        first = str(value).split(",")[0]
        return super().nudge(first if first in self.values else value, direction, values)


def activation_setting(default: str = "tanh", max_layers: int | None = None) -> Setting:
    return ActivationSetting("activation", str, default,
                             "hidden activation, or one per hidden layer (e.g. tanh,relu,sine)",
                             values=HIDDEN_ACTIVATIONS, keys=("a", "A"), max_len=max_layers)


def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int, act, out_act: str | None, init: str, seed: int) -> Sequential:
    """A Playground-style MLP from engine.builders; ``act`` is one name, or a comma list / tuple per hidden layer."""
    return builders.mlp(n_in, hidden, n_out, layer_activations(act, len(hidden)), out_act, init=init, seed=seed)


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
    """``act``: one hidden activation name, or one per hidden layer (a tuple or a comma list)."""
    dense = dense_layers(model)
    acts = layer_activations(act, len(dense) - 1)
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
