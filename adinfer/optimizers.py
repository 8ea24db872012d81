"""Edward's optimizer argument, mapped onto Keras optimizers."""

import keras

# Edward's names; `momentum` used 0.9.
_BY_NAME = {
    "gradientdescent": keras.optimizers.SGD,
    "sgd": keras.optimizers.SGD,
    "adadelta": keras.optimizers.Adadelta,
    "adagrad": keras.optimizers.Adagrad,
    "momentum": lambda learning_rate: keras.optimizers.SGD(learning_rate, momentum=0.9),
    "adam": keras.optimizers.Adam,
    "ftrl": keras.optimizers.Ftrl,
    "rmsprop": keras.optimizers.RMSprop,
}


def build(optimizer, argument="optimizer"):
    """Returns a Keras optimizer for Edward's `optimizer` argument.

    `None` gives Edward's default, Adam with learning rate 0.1 decayed by 0.9 every
    100 steps (staircase); a name gives that optimizer with learning rate 0.01, as
    Edward did; a Keras optimizer is used as it is.
    """
    if optimizer is None:
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True)
        return keras.optimizers.Adam(schedule)
    if isinstance(optimizer, str):
        if optimizer.lower() not in _BY_NAME:
            raise ValueError(
                f"{argument}: unknown optimizer {optimizer!r}; "
                f"expected one of {sorted(_BY_NAME)} or a keras.optimizers.Optimizer."
            )
        return _BY_NAME[optimizer.lower()](learning_rate=0.01)
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if isinstance(optimizer, type) and issubclass(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"{argument} must be a keras.optimizers.Optimizer instance, got the class "
            f"{optimizer.__name__}; pass {optimizer.__name__}(learning_rate=...)."
        )
    raise TypeError(
        f"{argument} must be a keras.optimizers.Optimizer (e.g. keras.optimizers.Adam(1e-3); "
        "TF1's tf.train optimizers are not supported), one of the names "
        f"{sorted(_BY_NAME)}, or None, got {type(optimizer).__name__}."
    )
