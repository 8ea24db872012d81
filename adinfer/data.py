"""Observed data -> batches, the TF2 form of Edward's `data={x_fake: x_ph}` values.

A value bound to a model is one of
* a NumPy array or `tf.Tensor` of examples (first axis): shuffled, repeated and
  batched by adinfer (the whole array every step when `batch_size` is None);
* a `tf.data.Dataset`: of single examples when `batch_size` is given (adinfer
  shuffles, repeats and batches them), otherwise used as batched by the user
  (and repeated);
* a placeholder (`adinfer.placeholder` or `keras.Input`): fed by the caller
  with `update(feed_dict={x_ph: batch})`.

Bad values are refused with a `TypeError` or `ValueError` naming the argument
before anything is trained. Non-finite observations (NaN, Inf) are checked
where the check is cheap and once:

* arrays and tensors: once, when they are bound (the inference's constructor);
* batches fed through `feed_dict`: at every `update`, in NumPy, before the step;
* `tf.data.Dataset`s: only with `initialize(debug=True)`, by an in-graph
  `tf.debugging.assert_all_finite` on every batch read (`Stream.checked`), which names the data value. A dataset is read inside
  the compiled step and may be endless, so checking it always would cost
  every step; without `debug`, a batch holding NaN shows up as a non-finite
  objective of that update.
"""

import keras
import numpy as np
import tensorflow as tf

from adinfer import validate


def shape_fits(dims, shape):
    """Whether `shape` (a tuple, or a `TensorShape`) fits `dims`, where None
    matches any size: `TensorShape.is_compatible_with`, in plain Python.
    """
    return len(shape) == len(dims) and all(d is None or d == n for d, n in zip(dims, shape))


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
        self.dims = tuple(shape.as_list())  # checked at every feed, as plain ints

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


def is_structured(value):
    """True for a structured data value: a dict, or a tuple holding an array,
    tensor, dataset or placeholder (a tuple of numbers or lists stays one array).
    """
    if isinstance(value, dict):
        return True
    return isinstance(value, tuple) and any(
        isinstance(c, (np.ndarray, tf.Tensor, tf.Variable, tf.data.Dataset)) or is_placeholder(c)
        for c in value
    )


def component_names(structure, name):
    """The names of the components of `structure` (a tuple or dict, or None for a
    single value) in `tf.nest.flatten` order: `name[0]`, `name['y']`, ...
    """
    if structure is None:
        return [name]
    if isinstance(structure, dict):
        return [f"{name}[{key!r}]" for key in sorted(structure)]
    return [f"{name}[{i}]" for i in range(len(structure))]


def _skeleton(value):
    """The structure of a one-level tuple or dict with 0 as leaves, for
    `tf.nest.pack_sequence_as` (a list component stays one leaf).
    """
    if isinstance(value, dict):
        return {key: 0 for key in value}
    if hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*[0] * len(value))
    return (0,) * len(value)


def _components(value):
    """The components of a one-level tuple or dict, in `tf.nest.flatten` order."""
    if isinstance(value, dict):
        return [value[key] for key in sorted(value)]
    return list(value)


def _flat_structure(value, name):
    """Checks that a structured `value` is one level deep (a non-empty tuple or
    dict of leaves); returns its components in `tf.nest.flatten` order.
    """
    if not value:
        raise ValueError(
            f"{name} is an empty {type(value).__name__}; a structured value needs components."
        )
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        raise TypeError(f"{name}: a dict of observations must have str keys, got {list(value)!r}.")
    components = _components(value)
    for component, cname in zip(components, component_names(value, name)):
        if isinstance(component, (dict, tuple)):
            raise TypeError(
                f"{cname}: a structured value is one level deep (a tuple or dict of arrays, "
                f"tensors or placeholders), got a nested {type(component).__name__}."
            )
    return components


class Stream:
    """The observed side of an inference: placeholders fed by the caller, or an
    iterator over a `tf.data` pipeline read inside the compiled step.

    A structured value, a tuple or dict of arrays/tensors (batched together:
    one `from_tensor_slices` of the whole structure, so the components stay
    aligned under shuffling), a `tf.data.Dataset` of tuples or dicts, or a tuple
    or dict of placeholders (one `feed_dict` key each), yields batches of the
    same structure. Errors name the component: `data value[1]`,
    `data value['y']`.

    Args:
      value: the observations (see the module docstring), or None for none.
      batch_size: examples per batch drawn from arrays and unbatched datasets;
        None uses a whole array, or a dataset as the user batched it.
      seed: seed of the shuffling.
      name: how error messages call `value`.
      replicas: an `adinfer.distribute.Replicas`: with W > 1 workers, this
        worker reads its shard of each global batch (see `adinfer.distribute`).
    """

    def __init__(self, value, batch_size=None, seed=None, name="data", replicas=None):
        batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
        seed = validate.integer(seed, "seed", minimum=None, allow_none=True)
        self.name = name
        self.replicas = replicas
        self.placeholder = as_placeholder(value) if is_placeholder(value) else None
        self.placeholders = None  # the fed placeholders, flattened
        self.structure = None  # a structured value's tuple or dict
        self.names = [name]  # the components' names, flattened
        self.dataset = None
        self.iterator = None
        self.spec = None
        self._key = value
        self._keys = None  # the feed_dict keys, flattened
        if value is None:  # no observed data: every batch is None
            return
        if self.placeholder is not None:
            self.spec = self.placeholder.spec
            self.placeholders, self._keys = [self.placeholder], [value]
            return
        if is_structured(value):
            components = _flat_structure(value, name)
            self.structure = _skeleton(value)
            self.names = component_names(value, name)
            fed = [is_placeholder(c) for c in components]
            if all(fed):
                self.placeholders = [as_placeholder(c) for c in components]
                self._keys = components
                self.spec = tf.nest.pack_sequence_as(
                    self.structure, [p.spec for p in self.placeholders]
                )
                return
            if any(fed) or any(isinstance(c, tf.data.Dataset) for c in components):
                raise TypeError(
                    f"{name}: the components of a structured value must be all arrays or "
                    "tensors, or all placeholders; pass one tf.data.Dataset of tuples or dicts "
                    f"for a pipeline, got {[type(c).__name__ for c in components]}."
                )
            dataset = self._arrays(value, batch_size, seed)
        elif isinstance(value, tf.data.Dataset):
            dataset = self._dataset(value, batch_size, seed)
        elif isinstance(
            value, (np.ndarray, np.generic, tf.Tensor, tf.Variable, list, tuple, float, int)
        ):
            dataset = self._array(value, batch_size, seed)
        else:
            raise TypeError(
                f"{name} must be a NumPy array, a tf.Tensor, a tf.data.Dataset, a placeholder "
                "(adinfer.placeholder or keras.Input), or a tuple or dict of them, "
                f"got {type(value).__name__}."
            )
        self.dataset = dataset.prefetch(tf.data.AUTOTUNE)
        self.spec = self.dataset.element_spec
        self.iterator = iter(self.dataset)

    @staticmethod
    def _examples(value, name):
        """`value` as a tensor of examples (first axis), checked."""
        if isinstance(value, (tf.Tensor, tf.Variable)):
            array = tf.convert_to_tensor(value)
        else:
            try:
                array = np.asarray(value)
            except ValueError as e:  # ragged nested lists
                raise ValueError(f"{name} must be a rectangular array: {e}") from None
            if array.dtype == np.float64:  # Python floats: default to TF's float32
                array = np.asarray(array, np.float32)
            if array.dtype == object or array.dtype.kind in "USV":
                raise TypeError(
                    f"{name} must hold numbers, got an array of dtype {array.dtype} "
                    f"({type(value).__name__})."
                )
            array = tf.convert_to_tensor(array)
        if array.shape.rank is None or array.shape.rank == 0:
            raise ValueError(f"{name} must have a first axis of examples, got shape {array.shape}.")
        if int(array.shape[0]) == 0:
            raise ValueError(f"{name} holds no examples: its shape is {array.shape}.")
        validate.finite(array, name)
        return array

    def _array(self, value, batch_size, seed):
        return self._batched(self._examples(value, self.name), batch_size, seed)

    def _arrays(self, value, batch_size, seed):
        """A tuple or dict of arrays, batched together."""
        arrays = [self._examples(c, n) for c, n in zip(_components(value), self.names)]
        n = int(arrays[0].shape[0])
        for array, cname in zip(arrays[1:], self.names[1:]):
            if int(array.shape[0]) != n:
                raise ValueError(
                    f"{cname} holds {int(array.shape[0])} examples but {self.names[0]} holds "
                    f"{n}; the components of {self.name} must share their first axis."
                )
        return self._batched(tf.nest.pack_sequence_as(self.structure, arrays), batch_size, seed)

    def _batched(self, examples, batch_size, seed):
        name = self.name
        first = tf.nest.flatten(examples)[0]
        n = int(first.shape[0])
        if batch_size is None:
            return self._worker_batches(tf.data.Dataset.from_tensors(examples).repeat())
        if batch_size > n:
            shape = f"shape {first.shape}" if self.structure is None else f"{n} examples"
            raise ValueError(
                f"batch_size={batch_size} exceeds the {n} examples in {name} "
                f"({shape}); pass batch_size ≤ {n}."
            )
        dataset = tf.data.Dataset.from_tensor_slices(examples)
        dataset = dataset.shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
        return self._sharded_batches(dataset, batch_size)

    def _dataset(self, value, batch_size, seed):
        name = self.name
        spec = value.element_spec
        if not isinstance(spec, tf.TensorSpec):
            flat = (
                isinstance(spec, (tuple, dict))
                and spec
                and all(isinstance(s, tf.TensorSpec) for s in _components(spec))
            )
            if not flat:
                raise TypeError(
                    f"{name}: a dataset must yield single tensors, or a flat tuple or dict of "
                    f"tensors, got {spec}."
                )
            self.structure = _skeleton(spec)
            self.names = component_names(spec, name)
        specs = tf.nest.flatten(spec)
        cardinality = int(value.cardinality())
        if cardinality == 0:
            raise ValueError(f"{name} is an empty tf.data.Dataset.")
        for s, cname in zip(specs, self.names):
            if s.shape.rank is None:
                raise ValueError(
                    f"{cname}: a dataset's elements must have a known rank, got {s.shape}; "
                    "give from_generator an output_signature."
                )
        if batch_size is not None:
            if cardinality > 0 and batch_size > cardinality:
                raise ValueError(
                    f"batch_size={batch_size} exceeds the {cardinality} examples in {name} "
                    f"(a dataset of single examples); pass batch_size ≤ {cardinality}."
                )
            for s, cname in zip(specs, self.names):
                if not s.shape.is_fully_defined():
                    raise ValueError(
                        f"{cname}: with batch_size, a dataset must yield single examples of a "
                        f"fixed shape, got element shape {s.shape}."
                    )
            return self._sharded_batches(value.shuffle(10_000, seed=seed).repeat(), batch_size)
        for s, cname in zip(specs, self.names):
            if s.shape.rank == 0 or not s.shape[1:].is_fully_defined():
                raise ValueError(
                    f"{cname}: without batch_size, a dataset is used as batched and must yield "
                    f"batches [batch, ...] of a fixed shape past the batch axis, got element "
                    f"shape {s.shape}; pass batch_size to batch a dataset of single examples."
                )
        return self._worker_batches(value.repeat())

    def _sharded_batches(self, examples, batch_size):
        """Global batches of a stream of examples; with W workers, this worker's
        shard of each: the examples k ≡ i (mod W) of the same shuffled stream.
        """
        workers = self.replicas.workers if self.replicas else 1
        if workers > 1:
            examples = examples.shard(workers, self.replicas.worker_index)
        return examples.batch(batch_size // workers, drop_remainder=True)

    def _worker_batches(self, batches):
        """Batches as given, cut to this worker's part with W workers."""
        if not self.replicas or self.replicas.workers == 1:
            return batches
        return batches.map(lambda *b: self.replicas.worker_part(b[0] if len(b) == 1 else b))

    @property
    def fed(self):
        """Whether the batches are fed by the caller (placeholders)."""
        return self.placeholders is not None

    @property
    def input_signature(self):
        """The compiled step's arguments: the fed batches, one per placeholder."""
        if not self.fed:
            return ()
        return tuple(
            tf.TensorSpec([None] + p.spec.shape[1:].as_list(), p.spec.dtype)
            for p in self.placeholders
        )

    def feed_args(self, feed_dict):
        """Validates `feed_dict` against the placeholders; returns the step's
        arguments, one batch per placeholder. Nothing is changed when it raises.

        Raises:
          TypeError, ValueError: naming `feed_dict`, for a key that is not one of
            the placeholders, a missing feed, a batch of the wrong dtype or shape,
            an empty batch, batches of different sizes, or one holding NaN or Inf.
        """
        if feed_dict is None:
            feed_dict = {}
        if not isinstance(feed_dict, dict):
            raise TypeError(f"feed_dict must be a dict, got {type(feed_dict).__name__}.")
        if not self.fed:
            if feed_dict:
                raise ValueError(
                    f"feed_dict: the {self.name} is not a placeholder (it is "
                    f"{type(self._key).__name__}), so nothing is fed; got keys "
                    f"{list(feed_dict)!r}."
                )
            return ()
        keys = self._keys
        unknown = [key for key in feed_dict if not any(key is k for k in keys)]
        if unknown:
            expected = ", ".join(repr(k) for k in keys)
            raise ValueError(f"feed_dict: unknown key {unknown[0]!r}; feed {expected}.")
        values = []
        for key, ph, cname in zip(keys, self.placeholders, self.names):
            match = [v for k, v in feed_dict.items() if k is key]
            if not match:
                where = "" if self.structure is None else f" ({cname})"
                raise ValueError(f"feed_dict must feed the placeholder {key!r}{where}.")
            # NumPy, the common case, is told apart first: `tf.is_tensor`'s
            # protocol check costs more than the rest of this loop.
            value = match[0]
            is_tensor = not isinstance(value, np.ndarray) and tf.is_tensor(value)
            try:  # as TF1's feed_dict: numbers are cast to the placeholder's dtype
                if is_tensor:
                    value = tf.cast(value, ph.spec.dtype)
                else:  # NumPy: converted once, by the compiled step's call
                    value = np.asarray(value, dtype=ph.spec.dtype.as_numpy_dtype)
            except (TypeError, ValueError, tf.errors.UnimplementedError) as e:
                raise TypeError(
                    f"feed_dict: {key!r} expects dtype {ph.spec.dtype.name}; "
                    f"cannot use the value fed ({e})."
                ) from None
            if not shape_fits(ph.dims, value.shape):
                raise ValueError(
                    f"feed_dict: {key!r} expects shape {ph.spec.shape}, got {value.shape}."
                )
            if value.shape[0] == 0:
                raise ValueError(f"feed_dict: the batch fed for {key!r} is empty.")
            if is_tensor or (value.dtype.kind in "fc" and not np.isfinite(value).all()):
                validate.finite(value, f"feed_dict: the batch fed for {key!r}")
            values.append(value)
        sizes = [int(v.shape[0]) for v in values]
        if len(set(sizes)) > 1:
            raise ValueError(
                "feed_dict: the batches fed must have one size, got "
                + ", ".join(f"{n} for {cname}" for n, cname in zip(sizes, self.names))
                + "."
            )
        if self.replicas is not None:
            self.replicas.check_batch(sizes[0], "feed_dict: the batch size fed")
        return tuple(values)

    def next(self, fed, check_finite=False):
        """The next batch (a structure for a structured value), inside the
        compiled step: this worker's part of the global batch (see
        `adinfer.distribute`).

        Args:
          fed: the step's arguments from `feed_args`.
          check_finite: check a batch read from the data pipeline (`checked`).
        """
        if self.fed:
            batch = (
                fed[0]
                if self.structure is None
                else tf.nest.pack_sequence_as(self.structure, list(fed))
            )
            return self.replicas.worker_part(batch) if self.replicas else batch
        if self.iterator is None:
            return None
        batch = next(self.iterator)
        return self.checked(batch) if check_finite else batch

    def checked(self, batch):
        """`batch` with an in-graph check that it holds no NaN or Inf, naming
        the component (the inference's `debug` mode).
        """
        if batch is None or self.fed:  # fed batches are checked in `feed_args`
            return batch
        checked = []
        for component, cname in zip(tf.nest.flatten(batch), self.names):
            if component.dtype.is_floating or component.dtype.is_complex:
                component = tf.debugging.assert_all_finite(
                    component, f"{cname}: a batch read from the data holds NaN or Inf"
                )
            checked.append(component)
        return tf.nest.pack_sequence_as(batch, checked)

    def example_batch(self, batch_size=None):
        """Zeros shaped like one batch, to build and inspect the networks once."""
        if self.spec is None:
            return None

        def zeros(spec):
            shape = spec.shape.as_list()
            shape[0] = shape[0] or batch_size or 2
            return tf.zeros(shape, spec.dtype)

        return tf.nest.map_structure(zeros, self.spec)
