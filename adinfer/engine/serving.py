"""Serving a trained inference: batched sampling and maps, SavedModel export.

An inference declares what it serves in `serving_functions()`: `{name:
tf.function with an input signature}` (`sample(n)` for a generator; BiGAN
adds `encode(x)` and `reconstruct(x)`). `Serving` compiles each once per
choice of weights (averaged or raw), in a cache of its own, separate from the
training functions', and exports them together. `map_in_batches` and
`map_over` run a network over many examples in fixed-size batches inside one
`tf.while_loop`, so memory does not grow with n.
"""

import logging

import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import validate
from adinfer.engine import state


class Serving:
    """The served functions of one inference, compiled on first use."""

    def __init__(self, inference):
        self.inference = inference
        self.compiled = {}  # (name, uses averages) -> tf.function

    def clear(self):
        self.compiled = {}

    def function(self, name, ema=True, training=None):
        """The compiled `name` of `serving_functions()`, with the averaged
        weights when `ema` and averages are kept; programs that take Keras's
        `training` keyword get `training` (None: their own default).
        """
        inference = self.inference
        ema = ema and inference.ema_decay is not None
        if training is not None:
            training = validate.boolean(training, "training")
        fn = self.compiled.get((name, ema, training))
        if fn is None:
            with inference.replicas.scope():
                fn = in_mode(inference.grouping, inference.serving_functions()[name], training)
                fn = inference.averaging.swapped(fn, inference.variables.get("Gen", []), ema)
                self.compiled[name, ema, training] = fn
        return fn

    def export(self, path, ema=True, training=None):
        """See `Inference.export`."""
        path = validate.path(path, "path", allow_none=False)
        module = tf.Module()
        captured = []
        for name in self.inference.serving_functions():
            fn = self.function(name, ema, training)
            setattr(module, name, fn)
            captured += fn.get_concrete_function().variables
        module.captured_variables = state.unique(captured)
        tf.saved_model.save(module, path)
        logging.getLogger("adinfer").info("exported a SavedModel to %s", path)
        return path


def in_mode(grouping, fn, training):
    """`fn` (a `tf.function` with an input signature) whose programs get
    `training`, at every trace (a SavedModel traces it again when saved).
    """

    def served(*args):
        with grouping.mode(training):
            return fn(*args)

    return tf.function(served, input_signature=fn.input_signature, autograph=False)


def map_in_batches(fn, n, batch_size):
    """`concat([fn(i) for i in range(ceil(n / batch_size))])[:n]`, per component
    of a structured result, in a `tf.while_loop`: `fn(i)` returns batch i.
    """
    n_batches = (n + batch_size - 1) // batch_size
    spec = (
        tf.function(fn, autograph=False)
        .get_concrete_function(tf.TensorSpec([], tf.int32))
        .structured_outputs
    )
    arrays = tuple(
        tf.TensorArray(s.dtype, size=n_batches, element_shape=[None] + s.shape[1:].as_list())
        for s in tf.nest.flatten(spec)
    )
    _, arrays = tf.while_loop(
        lambda i, _: i < n_batches,
        lambda i, arrays: (
            i + 1,
            tuple(a.write(i, x) for a, x in zip(arrays, tf.nest.flatten(fn(i)))),
        ),
        (tf.constant(0), arrays),
    )
    return tf.nest.pack_sequence_as(spec, [a.concat()[:n] for a in arrays])


def map_over(fn, x, batch_size):
    """`fn(x)` computed on slices of `batch_size` examples of `x`."""
    return map_in_batches(
        lambda i: fn(x[i * batch_size : (i + 1) * batch_size]), tf.shape(x)[0], batch_size
    )


def sample_function(generate, batch_size):
    """`sample(n)`: n draws of `generate(batch_size)`, batch by batch."""
    return tf.function(
        lambda n: map_in_batches(lambda i: generate(batch_size), n, batch_size),
        input_signature=[tf.TensorSpec([], tf.int32)],
        autograph=False,
    )


def map_function(fn, spec, batch_size):
    """`fn` over any number of examples like `spec` (past the batch axis)."""
    signature = [tf.TensorSpec([None] + spec.shape[1:].as_list(), spec.dtype)]
    return tf.function(
        lambda x: map_over(fn, x, batch_size), input_signature=signature, autograph=False
    )


def mean_of(program):
    """`program` giving the `mean()` of a TFP distribution it returns (its
    output unchanged otherwise): what `encode(x, mean=True)` serves.
    """

    def mean(*args):
        out = program(*args)
        return out.mean() if isinstance(out, tfp.distributions.Distribution) else out

    return mean


def given_inputs(y, stream, n, takes_inputs=True):
    """`sample(n, y)`'s y (labels or generator inputs, the stream's second
    component) as a tensor: one example, repeated n times, or n of them.
    """
    if not takes_inputs:
        raise ValueError("sample: y is for conditional GANs (fake(batch_size, y)).")
    n = validate.integer(n, "n", minimum=0)
    spec = stream.spec[1]
    y = tf.cast(tf.convert_to_tensor(y), spec.dtype)
    one = spec.shape[1:]
    if y.shape.rank == one.rank and one.is_compatible_with(y.shape):
        y = tf.broadcast_to(y, [n] + y.shape.as_list())
    if y.shape.rank != spec.shape.rank or not one.is_compatible_with(y.shape[1:]):
        raise ValueError(f"sample: y must be one label of shape {one} or n labels, got {y.shape}.")
    if y.shape[0] != n:
        raise ValueError(f"sample: got {y.shape[0]} labels for n={n}.")
    return y
