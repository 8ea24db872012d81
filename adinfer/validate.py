"""Argument checks: every public entry point of adinfer validates here.

One message style for every check, naming the argument and what was expected:

    "<name> must be <what was expected>, got <what was given>."

A `TypeError` when the kind of value is wrong (a str for a count), a
`ValueError` when the kind is right and the value is not (a negative count).
Checks run before any state changes, and cost nothing per training step: they
run in Python, at construction, `initialize` or the first call.

What programs *return* (logits, generated batches, encoder outputs) is checked
in `adinfer.inferences.contracts`, which uses the same style.
"""

import math
import numbers
import os

import numpy as np
import tensorflow as tf


def describe(value):
    """How a message shows a given value: its type, and the value when short."""
    kind = type(value).__name__
    if value is None or isinstance(value, (bool, numbers.Number, str)):
        text = repr(value)
        return kind if value is None else f"{kind} {text}" if len(text) <= 40 else kind
    return kind


def fail(error, name, expected, value=None, given=None):
    """Raises `error("<name> must be <expected>, got <given>.")`; `given`
    defaults to the value's type and value for a TypeError, its repr otherwise.
    """
    if given is None:
        given = describe(value) if error is TypeError else repr(value)
    raise error(f"{name} must be {expected}, got {given}.")


def integer(value, name, minimum=1, allow_none=False):
    """`value` as an int ≥ `minimum` (any int when `minimum` is None), or None
    when allowed. Python and NumPy integers pass; bools, floats and strings do not.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(TypeError, name, "an int" + (" or None" if allow_none else ""), value)
    if minimum is not None and value < minimum:
        bound = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int ≥ {minimum}")
        fail(ValueError, name, bound, value)
    return int(value)


def number(value, name, low=None, high=None, low_open=False, high_open=False, allow_none=False):
    """`value` as a finite float in the interval given (open or closed at each
    end; unbounded where None), or None when allowed.
    """
    if value is None and allow_none:
        return None
    if low == 0 and high is None:
        bound = "a finite positive number" if low_open else "a finite non-negative number"
    elif low is None and high is None:
        bound = "a finite number"
    else:
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        bound = f"a number in {left}{'-inf' if low is None else low}, "
        bound += f"{'inf' if high is None else high}{right}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(TypeError, name, bound + (" or None" if allow_none else ""), value)
    value = float(value)
    outside = not math.isfinite(value)
    if low is not None:
        outside |= value <= low if low_open else value < low
    if high is not None:
        outside |= value >= high if high_open else value > high
    if outside:
        fail(ValueError, name, bound, value)
    return value


def positive(value, name, allow_none=True):
    """A finite number > 0 (or None when allowed)."""
    return number(value, name, low=0, low_open=True, allow_none=allow_none)


def nonnegative(value, name, allow_none=True):
    """A finite number ≥ 0 (or None when allowed)."""
    return number(value, name, low=0, allow_none=allow_none)


def boolean(value, name):
    if not isinstance(value, (bool, np.bool_)):
        fail(TypeError, name, "a bool", value)
    return bool(value)


def function(value, name, form, allow_none=False):
    """`value` must be callable; `form` shows how it is called ("D(x) -> logits")."""
    if value is None and allow_none:
        return None
    if not callable(value):
        fail(TypeError, name, f"a callable {form}" + (" or None" if allow_none else ""), value)
    return value


def one_of(value, name, options):
    """`value` must be one of `options` (compared with ==, types checked first)."""
    if value not in options:
        error = ValueError if isinstance(value, type(next(iter(options)))) else TypeError
        fail(error, name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def binding(value, name, form):
    """`value` must be a dict holding one pair (`form` shows it: "{fake: observations}").
    The wording is Edward's ("data must have type dict"), which its users know.
    """
    if not isinstance(value, dict):
        raise TypeError(f"{name} must have type dict, {form}, got {describe(value)}.")
    if len(value) != 1:
        raise ValueError(f"{name} must hold exactly one pair, {form}, got {len(value)} pairs.")
    return value


def path(value, name, allow_none=True):
    """A file-system path (str or os.PathLike, not bytes, not empty) as a str."""
    if value is None and allow_none:
        return None
    expected = "a path (str or os.PathLike)" + (" or None" if allow_none else "")
    if not isinstance(value, (str, os.PathLike)) or isinstance(value, bytes):
        fail(TypeError, name, expected, value)
    value = os.fspath(value)
    if not isinstance(value, str):
        fail(TypeError, name, expected, value)
    if not value:
        fail(ValueError, name, "a non-empty path", value)
    return value


def writable_directory(value, name):
    """`value` as a str after creating the directory (None stays None); a
    ValueError when it cannot be created or written, so that nothing fails
    later inside a compiled step or a save.
    """
    value = path(value, name)
    if value is None:
        return None
    if os.path.exists(value) and not os.path.isdir(value):
        fail(ValueError, name, "a directory", given=f"{value!r}, a file")
    try:
        tf.io.gfile.makedirs(value)
    except (tf.errors.OpError, OSError) as e:
        reason = getattr(e, "message", None) or str(e)
        fail(
            ValueError,
            name,
            "a directory you can write",
            given=f"{name}={value!r}, which cannot be created ({reason})",
        )
    if "://" not in value and not os.access(value, os.W_OK | os.X_OK):
        fail(ValueError, name, "a directory you can write", given=f"{name}={value!r}, not writable")
    return value


def finite(value, name):
    """Raises ValueError if the floating-point `value` (array or tensor) holds
    NaN or Inf, naming `name`, how many entries are not finite and the first.
    """
    if tf.is_tensor(value):
        if not (value.dtype.is_floating or value.dtype.is_complex):
            return
        if not bool(tf.reduce_all(tf.math.is_finite(value))):
            finite(value.numpy() if hasattr(value, "numpy") else np.asarray(value), name)
        return
    value = np.asarray(value)
    if not (
        np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.complexfloating)
    ):
        return
    bad = ~np.isfinite(value)
    count = int(np.count_nonzero(bad))
    if count:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} holds {count} non-finite entries (NaN or Inf) of {value.size}, the first "
            f"at index {first}: {value[first]}; it must be finite: remove or impute them, "
            "since training on them makes every loss NaN."
        )


def broadcasts_to(shape, target):
    """True unless the static `shape` is known not to broadcast to `target`
    without growing it: a higher rank, or a trailing dimension other than 1 or
    `target`'s.
    """
    shape, target = tf.TensorShape(shape), tf.TensorShape(target)
    if shape.rank is None or target.rank is None:
        return True
    trailing = target.as_list()[target.rank - shape.rank :] if shape.rank else []
    return shape.rank <= target.rank and all(
        a is None or b is None or a in (1, b) for a, b in zip(shape.as_list(), trailing)
    )


def array_list(values, name, shapes):
    """`values`: a list or tuple of arrays, one per entry of `shapes`, each of
    that shape (Keras's `set_weights` contract).
    """
    if not isinstance(values, (list, tuple)):
        fail(TypeError, name, f"a list of {len(shapes)} arrays", values)
    if len(values) != len(shapes):
        fail(ValueError, name, f"a list of {len(shapes)} arrays", given=f"{len(values)}")
    for i, (value, shape) in enumerate(zip(values, shapes)):
        given = tuple(np.shape(value))
        if given != shape:
            fail(ValueError, f"{name}[{i}]", f"an array of shape {shape}", given=f"shape {given}")
    return values


def learning_rate(optimizer, name):
    """A Keras optimizer whose learning rate (a schedule's at its current step)
    is finite and non-negative: a NaN, infinite or negative rate would make or
    undo every update rather than train.
    """
    try:
        rate = float(np.asarray(optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return optimizer  # a custom optimizer without one scalar rate
    if not math.isfinite(rate) or rate < 0:
        fail(
            ValueError,
            f"{name}'s learning rate",
            "a finite non-negative number",
            given=f"{rate:.6g} ({type(optimizer).__name__})",
        )
    return optimizer


def optimizer_variables(optimizer, variables, name):
    """A Keras optimizer that is new, or was built for `variables`: one built
    for others (by another inference, or for another var_list) can update only
    those, which Keras would find at the first update, after `initialize`.
    """
    known = getattr(optimizer, "_check_variables_are_known", None)  # Keras's own check
    if not getattr(optimizer, "built", False) or known is None:
        return optimizer
    try:
        known(list(variables))
    except (ValueError, KeyError):
        fail(
            ValueError,
            name,
            "a new optimizer, or one built for this inference's variables",
            given=f"a {type(optimizer).__name__} already built for other variables (by "
            "another inference, or for another var_list); pass a new one",
        )
    return optimizer


def program_output(out, program, group, args):
    """What a program of `group` returned for `args`: no None anywhere, and,
    for a program called with a batch size (`fake(n)`, `prior(n)`), `n`
    examples in every component. Runs when the objective is traced, not per step.
    """
    name = getattr(program, "__name__", None) or type(program).__name__
    what = f"the {group} program {name!r}"
    if out is None or any(v is None for v in tf.nest.flatten(out)):
        raise TypeError(f"{what} must return a tensor or a nest of tensors, got None.")
    n = args[0] if args else None
    if isinstance(n, numbers.Integral) and not isinstance(n, bool):
        for value in tf.nest.flatten(out):
            shape = getattr(value, "shape", None)
            known = shape is not None and getattr(shape, "rank", 0) is not None  # not unknown rank
            rows = tuple(shape)[0] if known and len(tuple(shape)) > 0 else None
            if rows is not None and rows != n:
                raise ValueError(
                    f"{what} must return a batch of {n} examples, as it is called with the "
                    f"batch size {n}, got shape {tuple(shape)}."
                )
    return out
