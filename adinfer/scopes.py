"""The "Gen" and "Disc" groups: naming, variable discovery and regularization.

Edward grouped variables with `tf.variable_scope("Disc")` and summed the graph's
regularization-loss collection into each objective by scope. TF2 and Keras 3 have
neither, so adinfer finds each group by *running* its programs:

* every call adinfer makes runs inside `keras.name_scope(group)`, so variables that
  networks create lazily carry `Gen/...` and `Disc/...` in their names and paths;
* the variables a group's programs read (seen by a `tf.GradientTape`) form the group;
* the Keras layers reachable from a program (the program itself, or the networks
  its closure, globals or `self` refer to) give the trainable flags, the weight
  regularizers and the activity losses of the group.
"""

import collections
import functools
import inspect

import keras
import tensorflow as tf

GROUPS = ("Gen", "Disc")

_added_losses = collections.defaultdict(list)


def scope(name):
    """Context manager naming variables created inside it `name/...`.

    The TF2 form of Edward's `tf.variable_scope("Gen")`: networks built inside
    `adinfer.scope("Disc")` carry `Disc/` in their variables' names and paths.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope name must be a non-empty str, got {name!r}.")
    return keras.name_scope(name)


def group_of(scope_name):
    """Edward's rule: "Disc" terms go to the discriminator, all others to "Gen"."""
    return "Disc" if scope_name == "Disc" else "Gen"


def add_loss(loss, scope="Gen"):
    """Adds a regularization term to the objective of group `scope`.

    Args:
      loss: a zero-argument callable returning a scalar tensor (evaluated at
        every step, so it follows the current values of variables), or a
        scalar tensor/number (a constant).
      scope: "Disc" adds the term to `loss_d`; any other name to `loss`.
    """
    if not isinstance(scope, str):
        raise TypeError(f"scope must be a str, got {type(scope).__name__}.")
    if scope != "Disc" and scope.lower() in ("disc", "discriminator", "dis"):
        raise ValueError(
            f'scope={scope!r} would add the term to "Gen" (only "Disc", spelled so, '
            'is the discriminator\'s group); pass scope="Disc".'
        )
    if not callable(loss):
        try:
            value = tf.convert_to_tensor(loss)
        except (TypeError, ValueError):
            raise TypeError(
                "loss must be a zero-argument callable or a scalar number/tensor, "
                f"got {type(loss).__name__}."
            ) from None
        if not (value.dtype.is_floating or value.dtype.is_integer):
            raise TypeError(
                "loss must be a zero-argument callable or a scalar number/tensor, "
                f"got dtype {value.dtype.name}."
            )
        if value.shape.rank != 0:
            raise ValueError(f"loss must be a scalar, got shape {value.shape}.")
        loss = functools.partial(tf.identity, value)
    _added_losses[group_of(scope)].append(loss)
    return loss


def clear_losses():
    """Forgets every term added with `add_loss`."""
    _added_losses.clear()


def added_losses(group):
    return [fn() for fn in _added_losses.get(group, [])]


def find_layers(program, depth=3):
    """Keras layers reachable from `program`: itself, its closure, globals, `self`."""
    found, seen = {}, set()

    def visit(obj, depth):
        if id(obj) in seen or depth < 0:
            return
        seen.add(id(obj))
        if isinstance(obj, keras.layers.Layer):
            found[id(obj)] = obj
            return
        if isinstance(obj, (list, tuple, set)):
            for item in obj:
                visit(item, depth - 1)
        elif isinstance(obj, dict):
            for item in obj.values():
                visit(item, depth - 1)
        elif isinstance(obj, functools.partial):
            visit(obj.func, depth - 1)
            visit(obj.args, depth - 1)
            visit(obj.keywords, depth - 1)
        elif inspect.ismethod(obj):
            visit(obj.__self__, depth - 1)
            visit(obj.__func__, depth)
        elif inspect.isfunction(obj):
            try:
                refs = inspect.getclosurevars(obj)
            except (TypeError, ValueError):
                return
            for value in list(refs.nonlocals.values()) + list(refs.globals.values()):
                if not inspect.ismodule(value) and not inspect.isclass(value):
                    visit(value, depth - 1)
        elif hasattr(obj, "__dict__") and not inspect.ismodule(obj) and not inspect.isclass(obj):
            if not isinstance(obj, (tf.Tensor, tf.Variable)):
                visit(vars(obj), depth)

    visit(program, depth)
    # Keep the outermost layers only, so a nested layer is never counted twice.
    nested = {
        id(sub) for layer in found.values() for sub in layer._flatten_layers(include_self=False)
    }
    return [layer for key, layer in found.items() if key not in nested]


def activity_losses(layers):
    """Losses the layers added during their most recent call (activity regularizers,
    `self.add_loss` in `call`). Weight regularizers are excluded: adinfer adds
    those once per step from the group's variables.
    """
    terms = []
    for layer in layers:
        for sub in layer._flatten_layers(include_self=True):
            terms.extend(sub._get_own_losses())
    return terms


def weight_regularization(variables):
    """Σ regularizer(w) over the Keras variables that carry a regularizer."""
    return [v.regularizer(v) for v in variables if getattr(v, "regularizer", None) is not None]


def raw_variable(variable):
    """The `tf.Variable` behind a Keras variable (or the variable itself)."""
    return variable if isinstance(variable, tf.Variable) else variable.value


def keras_variables(layers):
    """Maps id(tf.Variable) -> the Keras variable that wraps it."""
    return {id(raw_variable(v)): v for layer in layers for v in layer.variables}


def is_trainable(variable):
    return bool(getattr(variable, "trainable", True))


def name_of(variable):
    return getattr(variable, "path", None) or variable.name
