"""Generative adversarial networks (Goodfellow et al., 2014)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import distribute, losses, scopes, validate
from adinfer.engine import serving
from adinfer.inferences import contracts
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
    generated data depends on, "Disc" those of the discriminator. Any pair from
    `adinfer.losses` replaces them: `loss="wasserstein"`, or
    `loss=(generator_loss, discriminator_loss)`, each `fn(d_real, d_fake)`.

    With `pack=m` the discriminator judges m samples at once, concatenated along
    the last axis, which penalises mode collapse (PacGAN; Lin et al., 2018).

    Penalties on the discriminator (TF-GAN's argument names), with x̂ = ε x_true
    + (1 − ε) x_fake, ε ~ U(0, 1) once per sample, norms over all non-batch axes
    and s = sqrt(‖∇x̂ D(x̂)‖₂² + 1e-10) (TF-GAN's slopes):

      loss_d += λ_gp · mean((s / c − 1)²)     gradient_penalty_weight = λ_gp, _target = c
                (max(0, s / c − 1)² when gradient_penalty_one_sided)
      loss_d += λ_r1 · mean(‖∇x D(x_true)‖₂²) r1_penalty_weight = λ_r1

    ((s / c − 1)² = (s − c)² / c²: a target other than 1 also scales the penalty
    by 1/c²; Gulrajani et al., 2017; Petzka et al., 2018, one-sided; Mescheder
    et al., 2018, R1 with γ = 2 λ_r1). With `pack=m` the penalties see the
    packed inputs. WGAN-GP is `loss="wasserstein", gradient_penalty_weight=10.0`,
    or `WGANInference`.

    #### Structured data and conditional GANs (Mirza & Osindero, 2014)

    Observations may be a tuple or dict of arrays; `fake(batch_size)` then
    returns the same structure, and D is called `D(*x)` for a tuple, `D(x)` for
    a dict (the gradient penalty interpolates every component, one ε per sample).

    A generator of two required arguments, `fake(batch_size, y)`, or a
    `condition` argument, makes the GAN conditional: `data={fake: (x_true,
    y_true)}`, and D judges pairs. With y_fake = y_true (no `condition`) or n
    draws of `condition`, and x_fake = fake(n, y_fake),

      loss_d = mean(CE(1, D(x_true, y_true)) + CE(0, D(x_fake, y_fake))) + Σ reg("Disc")
      loss   = mean(CE(1, D(x_fake, y_fake)))                           + Σ reg("Gen")

    The gradient penalty interpolates x only, scored by D(x̂, y_fake); R1 is
    taken at D(x_true, y_true). `sample(n)` returns pairs `(x, y)` with y ~
    condition; `sample(n, y)` generates for given labels; `export` serves
    `sample(n)` (with `condition`) and `sample_given(y) -> x`.

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
        condition=None,
        augment=None,
    ):
        """
        Args:
          data: `{fake: x_true}`: a program `fake(batch_size) -> x_fake` (or a TFP
            distribution) bound to observations (array, tensor, `tf.data.Dataset`
            or placeholder, or a tuple or dict of them); for a conditional GAN,
            `{fake: (x_true, y_true)}` with `fake(batch_size, y) -> x_fake`.
          discriminator: `D(x) -> logits` of shape [batch] or [batch, 1].
          loss: a name from `adinfer.losses.get` or a pair of callables
            `(generator_loss, discriminator_loss)`.
          pack: number of samples the discriminator sees together (PacGAN); the
            batch size must be a multiple of it.
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
          gradient_penalty_weight: λ_gp ≥ 0; None or 0 for none.
          gradient_penalty_target: the norm c > 0 the penalty pulls toward.
          gradient_penalty_one_sided: penalise only norms above c.
          r1_penalty_weight: λ_r1 ≥ 0 of the R1 penalty; None or 0 for none.
          condition: the labels of a conditional GAN's generated batch, a TFP
            distribution or `condition(batch_size) -> y`; None uses the real ones.
          augment: a differentiable augmentation `T(x) -> x` applied to the
            observations in every discriminator call, D(T(x)) (DiffAugment, Zhao
            et al., 2020; e.g. `adinfer.augment.DiffAugment("color,translation")`).
            Not with `pack` > 1.
        """
        # Validate arguments.
        validate.function(augment, "augment", "T(x) -> x", allow_none=True)
        if augment is not None and pack != 1:
            raise ValueError(
                "augment with pack > 1: T would act on packed samples; augment or pack, not both."
            )
        self.gradient_penalty_weight = validate.nonnegative(
            gradient_penalty_weight, "gradient_penalty_weight"
        )
        self.gradient_penalty_target = validate.positive(
            gradient_penalty_target, "gradient_penalty_target", allow_none=False
        )
        self.gradient_penalty_one_sided = validate.boolean(
            gradient_penalty_one_sided, "gradient_penalty_one_sided"
        )
        self.r1_penalty_weight = validate.nonnegative(r1_penalty_weight, "r1_penalty_weight")
        self._check_discriminator(discriminator)
        self._check_data(data)
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            validate.fail(ValueError, "pack", "a positive int", pack)
        batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
        if batch_size is not None and batch_size % pack:
            raise ValueError(f"batch_size={batch_size} must be a multiple of pack={pack}.")
        if condition is not None and not (
            callable(condition) or isinstance(condition, tfp.distributions.Distribution)
        ):
            validate.fail(
                TypeError,
                "condition",
                "a TFP distribution or a program condition(batch_size) -> y",
                condition,
            )
        self.generator_loss, self.discriminator_loss = losses.get(loss)

        super().__init__(data, batch_size=batch_size, seed=seed)
        self.pack = pack
        with self.replicas.scope():
            # ε of the gradient penalty: a seeded stream that checkpoints hold,
            # drawn for the global batch and split like it (`replica_part`).
            self._penalty_seeds = keras.random.SeedGenerator(seed)
        (self.fake,) = self.data.keys()
        self.augment = augment
        self.discriminator = discriminator if augment is None else augmented(discriminator, augment)
        self.condition = condition
        self.conditional = condition is not None or self._takes_condition(self.fake)
        structure = self.stream.structure
        if self.conditional and not (isinstance(structure, tuple) and len(structure) == 2):
            raise ValueError(
                "data: a conditional GAN (a generator fake(batch_size, y), or condition=) "
                "binds pairs of observations and labels, {fake: (x_true, y_true)}, got "
                f"{type(next(iter(self.data.values()))).__name__} observations."
            )

    _takes_condition = staticmethod(contracts.takes_two_arguments)
    _check_data = staticmethod(contracts.check_generator_binding)

    @staticmethod
    def _check_discriminator(discriminator):
        validate.function(discriminator, "discriminator", "function D(x) -> logits")

    def objectives(self, x_true):
        if self.conditional:
            return self.conditional_objectives(*self.conditioned_batch(*x_true))
        x_fake = self.call("Gen", self.fake, self.batch_size_of(x_true))
        contracts.check_like_nest(
            x_fake,
            x_true,
            "data: the generated batch fake(batch_size)",
            "the observed batch",
            self.stream.names,
        )
        critic = self.discriminator
        if isinstance(x_true, dict):  # a tuple for the joint critic, the dict for D
            keys = sorted(x_true)
            x_true, x_fake = (tuple(x[k] for k in keys) for x in (x_true, x_fake))
            critic = lambda *c: self.discriminator(dict(zip(keys, c)))
        x_true, x_fake = pack_nest(x_true, self.pack), pack_nest(x_fake, self.pack)
        args = lambda x: x if isinstance(x, tuple) else (x,)
        d_true = contracts.check_logits(self.call("Disc", critic, *args(x_true)), x_true)
        d_fake = contracts.check_logits(self.call("Disc", critic, *args(x_fake)), x_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(x_true, x_fake, loss_d.dtype, critic)
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, concat_outputs(d_true, d_fake)

    def conditioned_batch(self, x_true, y_true):
        """`(x_true, y_true, x_fake, y_fake)` of a conditional GAN: y_fake is
        y_true, or n draws of `condition`; x_fake = fake(n, y_fake).
        """
        n = self.batch_size_of(x_true)
        y_fake = y_true if self.condition is None else self._draw_condition(n, y_true)
        x_fake = self.call("Gen", self.fake, n, y_fake)
        contracts.check_like(
            x_fake,
            x_true,
            "data: the generated batch fake(batch_size, y)",
            f"the observed batch ({self.stream.names[0]})",
        )
        return x_true, y_true, x_fake, y_fake

    def _draw_condition(self, n, like):
        y = tf.cast(tf.convert_to_tensor(self.call("Gen", self.condition, n)), like.dtype)
        contracts.check_like(
            y, like, "condition: its draws", f"the labels ({self.stream.names[1]})"
        )
        return y

    def conditional_objectives(self, x_true, y_true, x_fake, y_fake):
        """The conditional GAN's objectives (see the class docstring)."""
        m = self.pack
        x_true, y_true, x_fake, y_fake = (pack(v, m) for v in (x_true, y_true, x_fake, y_fake))
        d_true = self.call("Disc", self.discriminator, x_true, y_true)
        d_fake = self.call("Disc", self.discriminator, x_fake, y_fake)
        d_true, d_fake = (
            contracts.check_logits(d_true, x_true),
            contracts.check_logits(d_fake, x_fake),
        )
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(
            x_true,
            x_fake,
            loss_d.dtype,
            critic=lambda x: self.discriminator(x, y_fake),
            real_critic=lambda x: self.discriminator(x, y_true),
        )
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, concat_outputs(d_true, d_fake)

    def penalties(self, real, fake, dtype, critic=None, real_critic=None):
        """λ_gp · gradient penalty + λ_r1 · R1 at the discriminator's inputs
        `real` (R1's side) and `fake`, tensors or tuples for a joint critic;
        `critic` (the discriminator by default) is what the gradient penalty
        differentiates, `real_critic` (`critic` by default) what R1 does. The
        discriminator is called directly, so activity regularizers are counted
        for its calls on real and generated data only.
        """
        critic = critic or self.discriminator
        real_critic = real_critic or critic
        total = tf.zeros([], dtype)
        with scopes.scope("Disc"):
            if self.gradient_penalty_weight:
                n = tf.shape(tf.nest.flatten(real)[0])[0]
                alpha = distribute.replica_part(
                    lambda m: keras.random.uniform([m], seed=self._penalty_seeds), n
                )
                gp = losses.gradient_penalty(
                    critic,
                    real,
                    fake,
                    target=self.gradient_penalty_target,
                    one_sided=self.gradient_penalty_one_sided,
                    alpha=alpha,
                )
                total += tf.cast(self.gradient_penalty_weight, dtype) * tf.cast(gp, dtype)
            if self.r1_penalty_weight:
                r1 = losses.r1_penalty(real_critic, real)
                total += tf.cast(self.r1_penalty_weight, dtype) * tf.cast(r1, dtype)
        return total

    # -- Sampling -------------------------------------------------------------------

    def _check_sampling(self):
        """Raises ValueError when `sample(n)` has nothing to draw from."""
        if self.conditional and self.condition is None:
            raise ValueError(
                "sample: this conditional GAN has no condition= to draw labels from; "
                "pass them, sample(n, y)."
            )

    def generate(self, n, y=None):
        """n generated examples; for a conditional GAN the pair `(x, y)`, y
        given or drawn from `condition`.
        """
        if not self.conditional:
            return self.call("Gen", self.fake, n)
        if y is None:
            self._check_sampling()
            y = self._draw_condition(n, self.stream.example_batch(self.batch_size)[1])
        return self.call("Gen", self.fake, n, y), y

    def sample(self, n, y=None, ema=True):
        """`n` generated examples as NumPy data shaped like the observations,
        from the averaged weights when kept (`initialize(ema_decay=...)`) unless
        `ema=False`. A conditional GAN returns pairs `(x, y)`: labels y drawn
        from `condition`, or those given, one label (repeated n times) or n labels.
        """
        if y is None:
            self._check_sampling()
            return super().sample(n, ema=ema)
        if not self.conditional:
            raise ValueError("sample: y is for conditional GANs (fake(batch_size, y)).")
        n = validate.integer(n, "n", minimum=0)
        spec = self.stream.spec[1]
        y = tf.cast(tf.convert_to_tensor(y), spec.dtype)
        label = spec.shape[1:]
        if y.shape.rank == label.rank and label.is_compatible_with(y.shape):
            y = tf.broadcast_to(y, [n] + y.shape.as_list())
        if y.shape.rank != spec.shape.rank or not label.is_compatible_with(y.shape[1:]):
            raise ValueError(
                f"sample: y must be one label of shape {label} or n labels, got {y.shape}."
            )
        if y.shape[0] != n:
            raise ValueError(f"sample: got {y.shape[0]} labels for n={n}.")
        return self.serving.function("sample_given", ema)(y).numpy(), y.numpy()

    def serving_functions(self):
        """`sample(n)` (structured like the observations); for a conditional
        GAN, `sample_given(y) -> x` too, and `sample(n)` only with `condition`.
        """
        functions = {}
        if not self.conditional or self.condition is not None:
            functions = super().serving_functions()
        if self.conditional:
            draw = lambda y: self.call("Gen", self.fake, tf.shape(y)[0], y)
            batch = self.batch_size or 256
            functions["sample_given"] = serving.map_function(draw, self.stream.spec[1], batch)
        return functions


def pack_nest(x, m):
    """`pack` applied to each component of a (possibly structured) batch."""
    return tf.nest.map_structure(lambda c: pack(c, m), x)


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
    moved = tf.transpose(grouped, [0] + list(range(2, rank - 1)) + [1, rank - 1])
    return tf.reshape(moved, tf.concat([[-1], shape[1:-1], [m * shape[-1]]], 0))


def concat_outputs(*outputs):
    """Discriminator outputs flattened into one vector (the histogram summary's)."""
    return tf.concat([tf.reshape(x, [-1]) for x in outputs], axis=0)


def augmented(discriminator, augment):
    """D(T(x), ...): the discriminator seeing the augmented observations."""

    def with_augment(x, *rest):
        return discriminator(augment(x) if tf.is_tensor(x) else x, *rest)

    return with_augment
