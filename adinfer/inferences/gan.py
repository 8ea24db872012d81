"""Generative adversarial networks (Goodfellow et al., 2014)."""
import tensorflow as tf

from adinfer import losses
from adinfer.inferences.inference import Inference


class GANInference(Inference):
    """Parameter estimation with GAN-style training.

    The generator is a program `fake(batch_size)` drawing a batch of generated
    data x_fake (its noise drawn inside); observed data x_true are bound to it,
    `data={fake: x_true}`. A discriminator D(x) returns logits. With
    CE(y, l) = sigmoid_cross_entropy_with_logits(labels=y, logits=l), Edward's
    objectives are, means over the batch,

      loss_d = mean(CE(1, D(x_true)) + CE(0, D(x_fake))) + Σ reg("Disc")
      loss   = mean(CE(1, D(x_fake)))                    + Σ reg("Gen")

    the discriminator's cross-entropy and the non-saturating generator loss
    (Goodfellow et al., 2014, Sec. 3). "Gen" holds every trainable variable the
    generated data depends on, "Disc" those of the discriminator.

    Any pair from `adinfer.losses` replaces them: `loss="wasserstein"`, or
    `loss=(generator_loss, discriminator_loss)`, each `fn(d_real, d_fake)`.

    #### Examples

    ```python
    generator = keras.Sequential([keras.layers.Dense(4, "relu"), keras.layers.Dense(1)])
    fake = lambda n: generator(tf.random.normal([n, 1]))
    inference = adinfer.GANInference({fake: x_train}, discriminator, batch_size=64)
    inference.run(n_iter=1000, optimizer="sgd", optimizer_d="sgd")
    ```
    """

    def __init__(self, data, discriminator, loss="non_saturating", batch_size=None, seed=None):
        """
        Args:
          data: `{fake: x_true}`: a program `fake(batch_size) -> x_fake` (or a TFP
            distribution) bound to observations (array, tensor, `tf.data.Dataset`
            or placeholder).
          discriminator: `D(x) -> logits` of shape [batch] or [batch, 1].
          loss: a name from `adinfer.losses.get` or a pair of callables
            `(generator_loss, discriminator_loss)`.
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
        """
        if not callable(discriminator):
            raise TypeError("discriminator must be a callable function.")
        if isinstance(data, dict):
            for key in data:
                if not callable(key) and not hasattr(key, "sample"):
                    raise TypeError("data keys must be programs fake(batch_size) -> x_fake or "
                                    f"distributions, got {type(key).__name__}.")
        self.generator_loss, self.discriminator_loss = losses.get(loss)
        super().__init__(data, batch_size=batch_size, seed=seed)
        (self.fake,) = self.data.keys()
        self.discriminator = discriminator

    def objectives(self, x_true):
        x_fake = self.call("Gen", self.fake, self.batch_size_of(x_true))
        _check_like(x_fake, x_true, "data: the generated batch fake(batch_size)", "the observed batch")
        d_true = self.call("Disc", self.discriminator, x_true)
        d_fake = self.call("Disc", self.discriminator, x_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, _concat(d_true, d_fake)


def _check_like(a, b, name_a, name_b):
    """Raises TypeError unless `a` and `b` agree in dtype and non-batch shape."""
    a, b = tf.convert_to_tensor(a), tf.convert_to_tensor(b)
    if a.dtype != b.dtype:
        raise TypeError(f"{name_a} has dtype {a.dtype.name} but {name_b} has dtype {b.dtype.name}.")
    if not a.shape[1:].is_compatible_with(b.shape[1:]) or a.shape.rank != b.shape.rank:
        raise TypeError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; "
                        "they must agree past the batch axis.")


def _concat(*tensors):
    return tf.concat([tf.reshape(x, [-1]) for x in tensors], axis=0)
