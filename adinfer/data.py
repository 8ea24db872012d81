"""Observed data -> batches, the TF2 form of Edward's `data={x_fake: x_ph}` values.

A value bound to a model is one of
* a NumPy array or `tf.Tensor` of examples (first axis): shuffled, repeated and
  batched by adinfer (the whole array every step when `batch_size` is None);
* a `tf.data.Dataset`: of single examples when `batch_size` is given (adinfer
  shuffles, repeats and batches them), otherwise used as batched by the user
  (and repeated);
* a placeholder (`adinfer.placeholder` or `keras.Input`): fed by the caller
  with `update(feed_dict={x_ph: batch})`.
"""

import keras
import numpy as np
import tensorflow as tf


class Placeholder:
    """A value fed by the caller at each update, like Edward's `tf.placeholder`.

    The first axis is the batch axis; leave it `None` to feed batches of any size.
    """

    def __init__(self, shape, dtype=tf.float32, name=None):
        shape = tf.TensorShape(shape)
        if shape.rank is None or shape.rank == 0:
            raise ValueError(f"shape must have a batch axis, got {shape}.")
        if not shape[1:].is_fully_defined():
            raise ValueError(f"shape must be defined past the batch axis, got {shape}.")
        self.spec = tf.TensorSpec(shape, tf.as_dtype(dtype), name=name)
        self.name = name

    @property
    def shape(self):
        return self.spec.shape

    @property
    def dtype(self):
        return self.spec.dtype

    def __repr__(self):
        return (
            f"adinfer.placeholder(shape={self.shape}, dtype={self.dtype.name}, name={self.name!r})"
        )


def placeholder(shape, dtype=tf.float32, name=None):
    """Returns a `Placeholder`: data fed through `update(feed_dict={ph: value})`."""
    return Placeholder(shape, dtype, name)


def is_placeholder(value):
    return isinstance(value, Placeholder) or isinstance(value, keras.KerasTensor)


def as_placeholder(value):
    if isinstance(value, Placeholder):
        return value
    return Placeholder(value.shape, value.dtype, getattr(value, "name", None))


class Stream:
    """The observed side of an inference: a placeholder fed by the caller, or an
    iterator over a `tf.data` pipeline read inside the compiled step.
    """

    def __init__(self, value, batch_size=None, seed=None, name="data"):
        if batch_size is not None and (
            not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}.")
        self.name = name
        self.placeholder = as_placeholder(value) if is_placeholder(value) else None
        self.dataset = None
        self.iterator = None
        self.spec = None
        self._key = value
        if value is None:  # no observed data: every batch is None
            return
        if self.placeholder is not None:
            self.spec = self.placeholder.spec
            return
        if isinstance(value, tf.data.Dataset):
            dataset = value
            if batch_size is not None:
                dataset = dataset.shuffle(10_000, seed=seed).repeat()
                dataset = dataset.batch(batch_size, drop_remainder=True)
            else:
                dataset = dataset.repeat()
        elif isinstance(value, (np.ndarray, tf.Tensor, tf.Variable, list, tuple, float, int)):
            array = np.asarray(value) if not isinstance(value, (tf.Tensor, tf.Variable)) else value
            if array.dtype == np.float64:  # Python floats: default to TF's float32
                array = np.asarray(array, np.float32)
            array = tf.convert_to_tensor(array)
            if array.shape.rank is None or array.shape.rank == 0:
                raise ValueError(
                    f"{name} must have a first axis of examples, got shape {array.shape}."
                )
            n = int(array.shape[0])
            if batch_size is None:
                dataset = tf.data.Dataset.from_tensors(array).repeat()
            else:
                if batch_size > n:
                    raise ValueError(f"batch_size={batch_size} exceeds the {n} examples in {name}.")
                dataset = tf.data.Dataset.from_tensor_slices(array)
                dataset = dataset.shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
                dataset = dataset.batch(batch_size, drop_remainder=True)
        else:
            raise TypeError(
                f"{name} must be a NumPy array, a tf.Tensor, a tf.data.Dataset or a placeholder "
                f"(adinfer.placeholder or keras.Input), got {type(value).__name__}."
            )
        if not isinstance(dataset.element_spec, tf.TensorSpec):
            raise TypeError(
                f"{name}: a dataset must yield single tensors, got {dataset.element_spec}."
            )
        self.dataset = dataset.prefetch(tf.data.AUTOTUNE)
        self.spec = self.dataset.element_spec
        self.iterator = iter(self.dataset)

    @property
    def input_signature(self):
        """The compiled step's arguments: the fed batch, if any."""
        if self.placeholder is None:
            return ()
        return (tf.TensorSpec([None] + self.spec.shape[1:].as_list(), self.spec.dtype),)

    def feed_args(self, feed_dict):
        """Validates `feed_dict` against the placeholder; returns the step's arguments."""
        if feed_dict is None:
            feed_dict = {}
        if not isinstance(feed_dict, dict):
            raise TypeError(f"feed_dict must be a dict, got {type(feed_dict).__name__}.")
        if self.placeholder is None:
            if feed_dict:
                raise ValueError(f"feed_dict: {self.name} is bound to data; nothing is fed.")
            return ()
        unknown = [key for key in feed_dict if key is not self._key]
        if unknown:
            raise ValueError(f"feed_dict: unknown key {unknown[0]!r}; feed {self._key!r}.")
        if not feed_dict:
            raise ValueError(f"feed_dict must feed the placeholder {self._key!r}.")
        value = next(iter(feed_dict.values()))
        try:  # as TF1's feed_dict: numbers are cast to the placeholder's dtype
            value = tf.cast(tf.convert_to_tensor(value), self.spec.dtype)
        except (TypeError, ValueError, tf.errors.UnimplementedError) as e:
            raise TypeError(
                f"feed_dict: {self._key!r} expects dtype {self.spec.dtype.name}; "
                f"cannot use the value fed ({e})."
            ) from None
        if not self.spec.shape.is_compatible_with(value.shape):
            raise ValueError(
                f"feed_dict: {self._key!r} expects shape {self.spec.shape}, got {value.shape}."
            )
        return (value,)

    def next(self, fed):
        """The next batch, inside the compiled step."""
        if self.placeholder is not None:
            return fed[0]
        return None if self.iterator is None else next(self.iterator)

    def example_batch(self, batch_size=None):
        """Zeros shaped like one batch, to build and inspect the networks once."""
        if self.spec is None:
            return None
        shape = self.spec.shape.as_list()
        shape[0] = shape[0] or batch_size or 2
        return tf.zeros(shape, self.spec.dtype)
