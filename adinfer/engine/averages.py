"""Generator EMA: moving averages of the "Gen" variables, and calls that use them.

    w̄ ← d_t · w̄ + (1 − d_t) · w        after each "Gen" update, inside the compiled step
    d_t = d,  or with warm-up  d_t = min(d, (1 + t) / (10 + t))

where t is the number of that update (1 for an inference's first, as `update()`
returns it). The warm-up is `tf.train.ExponentialMovingAverage(decay,
num_updates=t)`'s: early averages follow the weights closely, so a short run's
average is not dominated by the initial weights (without it, they still weigh
d^k after k "Gen" updates).

The averages are kept beside the trained weights, which they never overwrite:
Keras's `optimizer(use_ema=True)` instead copies its averages into the weights
(`finalize_variable_values`), after which training cannot go on from the raw
weights; a GAN is trained on raw weights and sampled from the averaged ones
(Karras et al., 2018; Yazıcı et al., 2019). `swapped` runs a compiled function
with the averages in the weights' place and the trained values put back, in
one graph.
"""

import tensorflow as tf

from adinfer import scopes


class Averages:
    """The moving averages of one inference's "Gen" variables."""

    def __init__(self, t):
        self.t = t  # the inference's update counter (the warm-up's t)
        self.decay = None  # d, or None when no averages are kept
        self.warmup = False
        self._averages, self._key = [], None

    def of(self, trained):
        """The averages of `trained` (the "Gen" variables), in their order;
        made anew (from the current weights) when the variables change.
        """
        raw = [scopes.raw_variable(v) for v in trained]
        key = tuple(id(v) for v in raw)
        if self._key != key:
            self._averages = [
                tf.Variable(v.read_value(), trainable=False, name=v.name.split(":")[0] + "_ema")
                for v in raw
            ]
            self._key = key
        return self._averages

    def pairs(self, trained, use=True):
        """`(variable, average)` pairs when averages are kept and `use`, else ()."""
        if not use or self.decay is None:
            return ()
        return tuple(zip((scopes.raw_variable(v) for v in trained), self.of(trained)))

    def start(self, trained):
        """A new training averages from the weights it starts with."""
        for v, average in self.pairs(trained):
            average.assign(v)

    def update(self, trained):
        """The in-graph EMA step, after a "Gen" update (`t` already counts it)."""
        pairs = self.pairs(trained)
        if not pairs:
            return
        decay = tf.constant(self.decay, tf.float64)
        if self.warmup:
            t = tf.cast(self.t.read_value(), tf.float64)
            decay = tf.minimum(decay, (1.0 + t) / (10.0 + t))
        for v, average in pairs:
            d = tf.cast(decay, average.dtype)
            average.assign(d * average + (1.0 - d) * v)

    def swapped(self, fn, trained, use=True):
        """`fn` (a `tf.function` with an input signature) run with the averages
        swapped into `trained` and the trained values put back, in one graph;
        `fn` itself when no averages are used.
        """
        pairs = self.pairs(trained, use)
        if not pairs:
            return fn

        def with_averages(*args):
            values = [v.read_value() for v, _ in pairs]
            with tf.control_dependencies(values):
                swaps = [v.assign(average) for v, average in pairs]
            with tf.control_dependencies(swaps):
                out = fn(*args)
            with tf.control_dependencies(tf.nest.flatten(out)):
                restores = [v.assign(value) for (v, _), value in zip(pairs, values)]
            with tf.control_dependencies(restores):
                return tf.nest.map_structure(tf.identity, out)

        return tf.function(with_averages, input_signature=fn.input_signature, autograph=False)
