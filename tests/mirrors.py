"""NumPy mirrors of the small Keras networks the objective tests use: a stack of
Dense layers, tanh on the hidden ones, linear on the last."""

import numpy as np


def dense_net(layers, x):
    """The network's output per sample, [n]."""
    h = x
    for layer in layers[:-1]:
        w, b = layer.get_weights()
        h = np.tanh(h @ w + b)
    w, b = layers[-1].get_weights()
    return (h @ w + b)[:, 0]


def input_gradient(layers, x):
    """∇x of the output per sample, [n, d], for a linear or one-hidden-layer net."""
    if len(layers) == 1:
        return np.tile(layers[0].get_weights()[0][:, 0], (len(x), 1))
    (w1, b1), (w2, _) = [layer.get_weights() for layer in layers]
    h = np.tanh(x @ w1 + b1)
    return ((1 - h**2) * w2[:, 0]) @ w1.T
