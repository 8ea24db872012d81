"""Generative adversarial networks (Goodfellow et al., 2014)."""

import math
import numbers

import tensorflow as tf

from adinfer import losses, scopes
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

    With `pack=m` the discriminator judges m samples at once, concatenated along
    the last (feature or channel) axis, which penalises mode collapse (PacGAN;
    Lin et al., 2018); the batch size must be a multiple of m.

    Penalties on the discriminator are added to `loss_d` (TF-GAN's argument
    names). With x̂ = ε x_true + (1 - ε) x_fake, ε ~ U(0, 1) drawn once per
    sample, and norms over all non-batch axes,

      loss_d += λ_gp · mean((‖∇x̂ D(x̂)‖₂ − c)²)      gradient_penalty_weight = λ_gp,
                                                      gradient_penalty_target = c
                (relu(‖∇x̂ D(x̂)‖₂ − c)² when gradient_penalty_one_sided)
      loss_d += λ_r1 · mean(‖∇x D(x_true)‖₂²)          r1_penalty_weight = λ_r1

    (Gulrajani et al., 2017, "Improved Training of Wasserstein GANs"; Petzka et
    al., 2018, for the one-sided form; Mescheder et al., 2018, for R1, whose γ
    is λ_r1 = γ/2). With `pack=m` the penalties see the packed inputs, the
    samples the discriminator itself judges. WGAN-GP is
    `GANInference(..., loss="wasserstein", gradient_penalty_weight=10.0)`, or
    `WGANInference`.

    #### Examples

    ```python
    generator = keras.Sequential([keras.layers.Dense(4, "relu"), keras.layers.Dense(1)])
    fake = lambda n: generator(tf.random.normal([n, 1]))
    inference = adinfer.GANInference({fake: x_train}, discriminator, batch_size=64)
    inference.run(n_iter=1000, optimizer="sgd", optimizer_d="sgd")
    ```
    """

    def __init__(
        self,
        data,
        discriminator,
        loss="non_saturating",
        pack=1,
        batch_size=None,
        seed=None,
        gradient_penalty_weight=None,
        gradient_penalty_target=1.0,
        gradient_penalty_one_sided=False,
        r1_penalty_weight=None,
    ):
        """
        Args:
          data: `{fake: x_true}`: a program `fake(batch_size) -> x_fake` (or a TFP
            distribution) bound to observations (array, tensor, `tf.data.Dataset`
            or placeholder).
          discriminator: `D(x) -> logits` of shape [batch] or [batch, 1].
          loss: a name from `adinfer.losses.get` or a pair of callables
            `(generator_loss, discriminator_loss)`.
          pack: number of samples the discriminator sees together (PacGAN).
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
          gradient_penalty_weight: λ_gp ≥ 0 of the gradient penalty; None or 0
            for none.
          gradient_penalty_target: the norm c ≥ 0 the gradient penalty pulls
            toward (1 in WGAN-GP).
          gradient_penalty_one_sided: penalise only norms above c.
          r1_penalty_weight: λ_r1 ≥ 0 of the R1 penalty; None or 0 for none.
        """
        penalties = _penalty_arguments(
            gradient_penalty_weight,
            gradient_penalty_target,
            gradient_penalty_one_sided,
            r1_penalty_weight,
        )
        if not callable(discriminator):
            raise TypeError("discriminator must be a callable function.")
        if isinstance(data, dict):
            for key in data:
                if not callable(key) and not hasattr(key, "sample"):
                    raise TypeError(
                        "data keys must be programs fake(batch_size) -> x_fake or "
                        f"distributions, got {type(key).__name__}."
                    )
        if not isinstance(pack, int) or isinstance(pack, bool) or pack < 1:
            raise ValueError(f"pack must be a positive int, got {pack!r}.")
        if batch_size is not None and batch_size % pack:
            raise ValueError(f"batch_size={batch_size} must be a multiple of pack={pack}.")
        self.generator_loss, self.discriminator_loss = losses.get(loss)
        self.pack = pack
        (
            self.gradient_penalty_weight,
            self.gradient_penalty_target,
            self.gradient_penalty_one_sided,
            self.r1_penalty_weight,
        ) = penalties
        super().__init__(data, batch_size=batch_size, seed=seed)
        (self.fake,) = self.data.keys()
        self.discriminator = discriminator

    def objectives(self, x_true):
        x_fake = self.call("Gen", self.fake, self.batch_size_of(x_true))
        _check_like(
            x_fake, x_true, "data: the generated batch fake(batch_size)", "the observed batch"
        )
        x_true, x_fake = pack(x_true, self.pack), pack(x_fake, self.pack)
        d_true = self.call("Disc", self.discriminator, x_true)
        d_fake = self.call("Disc", self.discriminator, x_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(x_true, x_fake, loss_d.dtype)
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, _concat(d_true, d_fake)

    def penalties(self, real, fake, dtype):
        """λ_gp · gradient penalty + λ_r1 · R1 at the discriminator's inputs
        `real` (R1's side) and `fake`, tensors or tuples for a joint critic.

        The discriminator is called directly, so activity regularizers are
        counted for its calls on real and generated data only.
        """
        total = tf.zeros([], dtype)
        with scopes.scope("Disc"):
            if self.gradient_penalty_weight:
                gp = losses.gradient_penalty(
                    self.discriminator,
                    real,
                    fake,
                    target=self.gradient_penalty_target,
                    one_sided=self.gradient_penalty_one_sided,
                )
                total += tf.cast(self.gradient_penalty_weight, dtype) * tf.cast(gp, dtype)
            if self.r1_penalty_weight:
                r1 = losses.r1_penalty(self.discriminator, real)
                total += tf.cast(self.r1_penalty_weight, dtype) * tf.cast(r1, dtype)
        return total


def _nonnegative(value, name):
    """A finite number ≥ 0 (None allowed), else TypeError/ValueError naming `name`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be None or a non-negative number, got {type(value).__name__}."
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be None or a finite non-negative number, got {value!r}.")
    return float(value)


def _penalty_arguments(
    gradient_penalty_weight, gradient_penalty_target, gradient_penalty_one_sided, r1_penalty_weight
):
    """Validates the penalty arguments; returns them normalised."""
    gp = _nonnegative(gradient_penalty_weight, "gradient_penalty_weight")
    target = _nonnegative(gradient_penalty_target, "gradient_penalty_target")
    if target is None:
        raise TypeError("gradient_penalty_target must be a non-negative number, got None.")
    if not isinstance(gradient_penalty_one_sided, bool):
        raise TypeError(
            "gradient_penalty_one_sided must be a bool, got "
            f"{type(gradient_penalty_one_sided).__name__}."
        )
    r1 = _nonnegative(r1_penalty_weight, "r1_penalty_weight")
    return gp, target, gradient_penalty_one_sided, r1


def _check_like(a, b, name_a, name_b):
    """Raises TypeError unless `a` and `b` agree in dtype and non-batch shape."""
    a, b = tf.convert_to_tensor(a), tf.convert_to_tensor(b)
    if a.dtype != b.dtype:
        raise TypeError(f"{name_a} has dtype {a.dtype.name} but {name_b} has dtype {b.dtype.name}.")
    if not a.shape[1:].is_compatible_with(b.shape[1:]) or a.shape.rank != b.shape.rank:
        raise TypeError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; "
            "they must agree past the batch axis."
        )


def pack(x, m):
    """Concatenates each m consecutive samples along the last axis (PacGAN):
    [b, ..., c] -> [b / m, ..., m * c].
    """
    if m == 1:
        return x
    x = tf.convert_to_tensor(x)
    if x.shape.rank == 1:
        return tf.reshape(x, [-1, m])
    shape = tf.shape(x)
    grouped = tf.reshape(x, tf.concat([[-1, m], shape[1:]], 0))  # [b/m, m, ..., c]
    rank = x.shape.rank + 1
    moved = tf.transpose(
        grouped, [0] + list(range(2, rank - 1)) + [1, rank - 1]
    )  # [b/m, ..., m, c]
    return tf.reshape(moved, tf.concat([[-1], shape[1:-1], [m * shape[-1]]], 0))


def _concat(*tensors):
    return tf.concat([tf.reshape(x, [-1]) for x in tensors], axis=0)
