"""Variables as state: identity, creation order, and putting values back.

Evaluation, frozen networks, failed restores and swapped weights all need the
same thing: run something, then put every variable it may have written back
as it was (`kept`).
"""

import contextlib

import tensorflow as tf


def unique(variables):
    """`variables` without repeats (by identity), in order."""
    return list({id(v): v for v in variables}.values())


def distributed(variable):
    """The distributed (e.g. mirrored) variable `variable` is a copy of, if any."""
    if isinstance(variable, tf.distribute.DistributedValues):
        return variable
    # TF marks a copy by a weak reference on its handle (see its value_container).
    container = getattr(getattr(variable, "handle", None), "_distributed_container", None)
    container = container() if container is not None else None
    return variable if container is None else container


def creation_order(variable):
    """The process-wide counter TensorFlow gives a variable when created: the
    same order in every process that runs the same program.
    """
    suffix = getattr(variable, "_unique_id", "").rpartition("_")[2]
    return int(suffix) if suffix.isdigit() else -1


@contextlib.contextmanager
def kept(variables, on_error_only=False):
    """Puts `variables` back as they were when the block ends (eagerly), or
    only when it raises with `on_error_only`: a restore that fails leaves
    nothing half-written.
    """
    variables = list(variables)
    before = [v.read_value() for v in variables]
    try:
        yield
    except BaseException:
        for v, value in zip(variables, before):
            v.assign(value)
        raise
    if not on_error_only:
        for v, value in zip(variables, before):
            v.assign(value)
