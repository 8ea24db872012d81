"""Checks of the arrays the metrics take, in `adinfer.validate`'s style.

Every message reads "<name> must be <what was expected>, got <what was given>.",
with a `TypeError` for the wrong kind of value (a string, a boolean array) and a
`ValueError` for the right kind with a bad value (a wrong rank, too few rows, a
NaN). `adinfer.validate` checks scalars, callables and paths; these check arrays
and tensors of features, samples and images.

Static shapes are checked at once; in a `tf.function` with unknown shapes the
rank and row-count checks become run-time assertions, and the finiteness check
(which needs values) is skipped.
"""

import numpy as np
import tensorflow as tf

from adinfer import validate


def _rows(n):
    return f"{n} row" + ("" if n == 1 else "s")


def real_tensor(value, name):
    """`value` as a float64 tensor; a TypeError unless it holds real numbers."""
    if value is None or isinstance(value, (str, bytes)):
        validate.fail(TypeError, name, "a numeric array or tensor", value)
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as e:
        validate.fail(
            TypeError, name, "a numeric array or tensor", given=f"{type(value).__name__} ({e})"
        )
    if tensor.dtype == tf.bool or not (tensor.dtype.is_floating or tensor.dtype.is_integer):
        validate.fail(
            TypeError, name, "of a real (floating or integer) dtype", given=tensor.dtype.name
        )
    return tf.cast(tensor, tf.float64)


def finite_values(value, name):
    """Raises ValueError if `value` (array or eager tensor) holds NaN or Inf,
    saying how many entries and where the first is. Symbolic tensors pass.
    """
    if tf.is_tensor(value):
        if not tf.executing_eagerly() or not hasattr(value, "numpy"):
            return
        if not (value.dtype.is_floating or value.dtype.is_complex):
            return
        if bool(tf.reduce_all(tf.math.is_finite(value))):
            return
        value = value.numpy()
    value = np.asarray(value)
    if not np.issubdtype(value.dtype, np.inexact):
        return
    bad = ~np.isfinite(value)
    count = int(np.count_nonzero(bad))
    if count:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        validate.fail(
            ValueError,
            name,
            "finite (no NaN or Inf)",
            given=f"{count} non-finite entries of {value.size}, the first at {first}: "
            f"{value[first]}",
        )


def feature_matrix(value, name, min_rows=1, finite=True):
    """`value` as a float64 tensor `[num_samples, num_features]` with at least
    `min_rows` rows and, when `finite`, no NaN or Inf.
    """
    tensor = real_tensor(value, name)
    rank = tensor.shape.rank
    if rank is None:
        with tf.control_dependencies(
            [tf.debugging.assert_rank(tensor, 2, message=f"{name} must be rank 2")]
        ):
            tensor = tf.identity(tensor)
    elif rank != 2:
        validate.fail(
            ValueError,
            name,
            "a rank-2 array [num_samples, num_features]",
            given=f"shape {tuple(tensor.shape)}",
        )
    n = tensor.shape[0]
    if n is None:
        if min_rows > 0:
            with tf.control_dependencies(
                [
                    tf.debugging.assert_greater_equal(
                        tf.shape(tensor)[0],
                        min_rows,
                        message=f"{name} must have at least {min_rows} rows",
                    )
                ]
            ):
                tensor = tf.identity(tensor)
    elif n < min_rows:
        validate.fail(ValueError, name, f"an array of at least {_rows(min_rows)}", given=_rows(n))
    if tensor.shape.rank == 2 and tensor.shape[1] == 0:
        validate.fail(ValueError, name, "an array of at least 1 feature column", given="0 columns")
    if finite:
        finite_values(tensor, name)
    return tensor


def same_width(first, second, first_name, second_name):
    """ValueError unless the matrices `first` and `second` have as many columns;
    returns that number (which must be static in one of them at least).
    """
    a, b = first.shape[-1], second.shape[-1]
    if a is not None and b is not None and a != b:
        validate.fail(
            ValueError,
            second_name,
            f"an array with the same number of features as {first_name} ({a} columns)",
            given=f"{b} columns",
        )
    if a is None and b is None:
        validate.fail(
            ValueError,
            f"the number of columns of {first_name} and {second_name}",
            "static",
            given="None",
        )
    return a if a is not None else b


def numpy_real(value, name):
    """`value` as a float64 NumPy array; a TypeError unless it holds real numbers."""
    if value is None or isinstance(value, (str, bytes)):
        validate.fail(TypeError, name, "a numeric array", value)
    if tf.is_tensor(value):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        validate.fail(TypeError, name, "a numeric array", given=f"{type(value).__name__} ({e})")
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        validate.fail(TypeError, name, "of a real (floating or integer) dtype", given=array.dtype)
    return array.astype(np.float64)


def numpy_matrix(value, name, min_rows=1, finite=True):
    """`value` as a float64 NumPy array `[num, features]` with at least
    `min_rows` rows and, when `finite`, no NaN or Inf.
    """
    array = numpy_real(value, name)
    if array.ndim != 2:
        validate.fail(
            ValueError,
            name,
            "a rank-2 array [num_samples, num_features]",
            given=f"shape {array.shape}",
        )
    if array.shape[0] < min_rows:
        validate.fail(
            ValueError, name, f"an array of at least {_rows(min_rows)}", given=_rows(array.shape[0])
        )
    if finite:
        finite_values(array, name)
    return array


def feature_batch(value, name, width=None):
    """A batch for a streaming accumulator: a finite float64 NumPy matrix with
    at least one row and, when `width` is given, `width` columns.
    """
    batch = feature_matrix(value, name, min_rows=1).numpy()
    if width is not None and batch.shape[1] != width:
        validate.fail(
            ValueError,
            name,
            f"an array with {width} features, as the features before",
            given=f"{batch.shape[1]} columns",
        )
    return batch
