"""Properties of data binding: every valid kind of observed value is accepted
and yields batches of the right shape, dtype and content.

Kinds: a NumPy array, a `tf.Tensor`, a `tf.data.Dataset` of single examples
(with `batch_size`) or of batches (without), and a placeholder fed through
`feed_dict`, with random shapes (rank 1 to 3, small dimensions) and batch
sizes up to the number of examples. Batches are read as the engine reads
them: `Stream.next` inside a compiled function whose arguments are
`Stream.input_signature`.
"""

import hypothesis.strategies as st
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings

import adinfer
from adinfer import data as data_lib

KINDS = ("array", "tensor", "dataset", "batched_dataset", "placeholder", "keras_input")
DTYPES = (np.float32, np.float64, np.int32, np.int64)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def bindings(draw, kinds=KINDS, dtypes=DTYPES):
    """`(kind, examples, batch_size, dtype)`: distinct rows, so that every row
    of a batch can be traced back to the data.
    """
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, 12))
    rest = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    dtype = draw(st.sampled_from(dtypes))
    examples = np.arange(n * int(np.prod(rest)), dtype=dtype).reshape([n] + rest)
    if kind in ("array", "tensor"):
        batch_size = draw(st.one_of(st.none(), st.integers(1, n)))
    else:
        batch_size = draw(st.integers(1, n))
    return kind, examples, batch_size, dtype


def bound_value(kind, examples, batch_size):
    """The value a user binds, and the `batch_size` argument they pass with it."""
    if kind == "array":
        return examples, batch_size
    if kind == "tensor":
        return tf.constant(examples), batch_size
    if kind == "dataset":
        return tf.data.Dataset.from_tensor_slices(examples), batch_size
    if kind == "batched_dataset":  # batched by the user, the last batch maybe smaller
        return tf.data.Dataset.from_tensor_slices(examples).batch(batch_size), None
    shape = [None] + list(examples.shape[1:])
    if kind == "placeholder":
        return adinfer.placeholder(shape, examples.dtype), None
    return keras.Input(shape=shape[1:], dtype=examples.dtype.name), None


def expected_dtype(kind, dtype):
    # NumPy's float64 is what Python floats become: adinfer takes it as TF's float32.
    return tf.float32 if kind == "array" and dtype == np.float64 else tf.as_dtype(dtype)


def rows(x):
    return {tuple(np.ravel(row).tolist()) for row in np.asarray(x, np.float64)}


class StreamPropertyTest(tf.test.TestCase):
    @SETTINGS
    @given(bindings())
    def test_every_valid_value_yields_batches(self, binding):
        kind, examples, batch_size, dtype = binding
        value, batch_arg = bound_value(kind, examples, batch_size)
        stream = data_lib.Stream(value, batch_arg, seed=0, name="data value")
        step = tf.function(
            lambda *fed: stream.next(fed, check_finite=True),
            input_signature=stream.input_signature,
            autograph=False,
        )
        n, rest = examples.shape[0], examples.shape[1:]
        rng = np.random.default_rng(0)
        for _ in range(3):  # past the end of an epoch for small data
            if stream.placeholder is not None:
                fed = examples[rng.integers(0, n, batch_size)]
                batch = step(*stream.feed_args({value: fed}))
                self.assertAllEqual(batch, fed.astype(expected_dtype(kind, dtype).as_numpy_dtype))
            else:
                self.assertEqual(stream.feed_args(None), ())
                batch = step()
            self.assertEqual(batch.dtype, expected_dtype(kind, dtype))
            self.assertEqual(batch.shape[1:], rest)
            if kind == "batched_dataset":
                self.assertBetween(batch.shape[0], 1, batch_size)
            else:
                self.assertEqual(batch.shape[0], batch_size if batch_size else n)
            self.assertContainsSubset(rows(batch), rows(examples))
            if kind in ("array", "tensor") and batch_size is None:
                self.assertAllEqual(batch, examples)  # the whole array, every step
        # The batch that builds the networks has the shape and dtype of the real ones.
        example = stream.example_batch(batch_arg)
        self.assertEqual(example.dtype, expected_dtype(kind, dtype))
        self.assertEqual(example.shape[1:], rest)


class GANBindingPropertyTest(tf.test.TestCase):
    @SETTINGS
    @given(bindings(dtypes=(np.float32,)))
    @pytest.mark.slow  # 6 s of CPU, among the costliest of the fast selection
    def test_gan_trains_on_every_valid_value(self, binding):
        kind, examples, batch_size, _ = binding
        value, batch_arg = bound_value(kind, examples, batch_size)
        rest = list(examples.shape[1:])
        shift, weight = tf.Variable(0.0), tf.Variable(0.1)
        sizes = []

        def fake(n):
            sizes.append(n)
            return tf.random.normal([n] + rest) + shift

        def discriminator(x):
            return weight * tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)

        inference = adinfer.GANInference({fake: value}, discriminator, batch_size=batch_arg)
        inference.initialize(n_print=0, optimizer="sgd", optimizer_d="sgd")
        feed = {}
        if kind in ("placeholder", "keras_input"):
            feed = {"feed_dict": {value: examples[:batch_size]}}
        for t in (1, 2):
            info = inference.update(**feed)
            self.assertEqual(info["t"], t)
            self.assertTrue(np.isfinite(info["loss"]) and np.isfinite(info["loss_d"]))
        self.assertNotEqual(float(weight), 0.1)
        if kind in ("array", "tensor", "dataset"):
            self.assertEqual(sizes[-1], batch_size or examples.shape[0])


if __name__ == "__main__":
    tf.test.main()
