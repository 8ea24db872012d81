"""Edward's optimizer argument, mapped onto Keras optimizers."""

import keras

from adinfer import validate

# Edward's names, as Keras classes and the arguments Edward gave them.
_BY_NAME = {
    "gradientdescent": (keras.optimizers.SGD, {}),
    "sgd": (keras.optimizers.SGD, {}),
    "adadelta": (keras.optimizers.Adadelta, {}),
    "adagrad": (keras.optimizers.Adagrad, {}),
    "momentum": (keras.optimizers.SGD, {"momentum": 0.9}),
    "adam": (keras.optimizers.Adam, {}),
    "ftrl": (keras.optimizers.Ftrl, {}),
    "rmsprop": (keras.optimizers.RMSprop, {}),
}
NAMES = sorted(_BY_NAME)


def build(
    optimizer, argument="optimizer", learning_rate=None, optimizer_kwargs=None, keras_names=False
):
    """Returns a Keras optimizer for Edward's `optimizer` argument.

    `None` gives Edward's default, Adam with learning rate 0.1 decayed by 0.9 every
    100 steps (staircase); a name gives that optimizer with learning rate 0.01, as
    Edward did (or `learning_rate`, and `optimizer_kwargs` as further arguments:
    TF-GAN's `learning_rate` and `opt_kwargs`), and with `keras_names` any Keras
    optimizer's name too; a Keras optimizer is used as it is.
    """
    if optimizer_kwargs is not None and not isinstance(optimizer_kwargs, dict):
        validate.fail(TypeError, "optimizer_kwargs", "a dict or None", optimizer_kwargs)
    if not isinstance(optimizer, str) and (learning_rate is not None or optimizer_kwargs):
        raise ValueError(
            "learning_rate and optimizer_kwargs build a named optimizer; with an optimizer "
            "object, set them on it."
        )
    if optimizer is None:
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True)
        return keras.optimizers.Adam(schedule)
    if isinstance(optimizer, str):
        return _named(optimizer, argument, learning_rate, optimizer_kwargs, keras_names)
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return validate.learning_rate(optimizer, argument)
    if isinstance(optimizer, type) and issubclass(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"{argument} must be a keras.optimizers.Optimizer instance, got the class "
            f"{optimizer.__name__}; pass {optimizer.__name__}(learning_rate=...)."
        )
    raise TypeError(
        f"{argument} must be a keras.optimizers.Optimizer (e.g. keras.optimizers.Adam(1e-3); "
        f"TF1's tf.train optimizers are not supported), one of the names {NAMES}, or None, "
        f"got {type(optimizer).__name__}."
    )


def _named(name, argument, learning_rate, optimizer_kwargs, keras_names):
    cls, defaults = _BY_NAME.get(name.lower(), (None, {}))
    if cls is None and keras_names:
        try:
            cls = type(keras.optimizers.get(name.lower()))
        except ValueError:
            cls = None
    if cls is None:
        raise ValueError(
            f"{argument}: unknown optimizer {name!r}; "
            f"expected one of {NAMES}"
            + (", a Keras optimizer's name" if keras_names else "")
            + " or a keras.optimizers.Optimizer."
        )
    kwargs = {"learning_rate": 0.01 if learning_rate is None else learning_rate}
    kwargs.update(defaults, **(optimizer_kwargs or {}))
    try:
        optimizer = cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise TypeError(f"optimizer_kwargs do not fit {cls.__name__}: {e}") from None
    return validate.learning_rate(optimizer, argument)


def loss_scaled(optimizer, wrappers):
    """`optimizer` wrapped in Keras's `LossScaleOptimizer` under the
    "mixed_float16" policy (as `Model.compile` does), the same wrapper each time
    (`wrappers`, a dict the caller keeps, holds them).
    """
    if keras.mixed_precision.global_policy().name != "mixed_float16" or isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return optimizer
    if id(optimizer) not in wrappers:
        wrappers[id(optimizer)] = (optimizer, keras.optimizers.LossScaleOptimizer(optimizer))
    return wrappers[id(optimizer)][1]
