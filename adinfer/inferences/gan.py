"""Generative adversarial networks (Goodfellow et al., 2014)."""

import keras
import tensorflow as tf

from adinfer import losses
from adinfer.engine import serving
from adinfer.inferences import contracts, critics
from adinfer.inferences.critics import augmented, concat_outputs, pack_nest
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
    Logits of any shape [batch, ...] (PatchGAN's [batch, h, w, 1]; Isola et
    al., 2017) are averaged over all elements by every loss and penalty, as in
    TF-GAN; D may return `(logits, features, ...)`. With `pack=m` D judges m
    samples at once, concatenated along the last axis (PacGAN; Lin et al., 2018).

    Penalties on D (TF-GAN's names), with x̂ = ε x_true + (1 − ε) x_fake, ε ~
    U(0, 1) per sample, s = sqrt(‖∇x̂ Σ D(x̂)‖₂² + 1e-10) (TF-GAN's slopes):

      loss_d += λ_gp · mean((s / c − 1)²)     gradient_penalty_weight = λ_gp, _target = c
                (max(0, s / c − 1)² when gradient_penalty_one_sided)
      loss_d += λ_r1 · mean(‖∇x Σ D(x_true)‖₂²) r1_penalty_weight = λ_r1

    (Gulrajani et al., 2017; Petzka et al., 2018; Mescheder et al., 2018, R1
    with γ = 2 λ_r1; c ≠ 1 also scales by 1/c²). WGAN-GP is
    `loss="wasserstein", gradient_penalty_weight=10.0`, or `WGANInference`.

    A generator term ℓ(model) of TF-GAN's model fields (`adinfer.losses.GANModel`;
    an L1 pixel loss, a feature loss) joins L_adv, the generator loss above, by
    TF-GAN's `combine_adversarial_loss` (Shrivastava et al., 2017):

      loss = ℓ + w · L_adv                               weight_factor = w
      loss = ℓ + sg(‖∇ℓ‖ / (‖∇L_adv‖ + ε) / r) · L_adv    gradient_ratio = r

    with ∇ over the "Gen" variables (from the engine's persistent "Gen" tape)
    and sg a stop-gradient.

    #### Structured data, conditional GANs (Mirza & Osindero, 2014), inputs

    Observations may be a tuple or dict of arrays, `fake(batch_size)` returning
    the same structure; D is called `D(*x)` for a tuple, `D(x)` for a dict.
    A generator `fake(batch_size, y)`, or a `condition`, makes the GAN
    conditional: `data={fake: (x_true, y_true)}`, y_fake = y_true or n draws of
    `condition`, x_fake = fake(n, y_fake), and D judges pairs,

      loss_d = mean(CE(1, D(x_true, y_true)) + CE(0, D(x_fake, y_fake))) + Σ reg("Disc")
      loss   = mean(CE(1, D(x_fake, y_fake)))                           + Σ reg("Gen")

    the gradient penalty at D(x̂, y_fake), R1 at D(x_true, y_true). With
    `generator_inputs=u_true` (TF-GAN's `generator_inputs=images`; pix2pix,
    Isola et al., 2017), x_fake = G(u_true), u_true batched with x_true, and
    D is D(x), or D(x, u) when it takes two arguments (y = u above).
    `sample(n, y)` and `export`'s `sample_given(y)` generate for given labels
    or inputs; `sample(n)` draws y from `condition`. Programs with a `training`
    parameter get `training=True` while training, `sample`'s `training` when
    serving. README: "A tour", "Conditional GANs", "Porting from TF-GAN".
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
        generator_inputs=None,
        non_adversarial_loss=None,
        weight_factor=None,
        gradient_ratio=None,
        gradient_ratio_epsilon=1e-6,
    ):
        """
        Args:
          data: `{fake: x_true}`, `fake(batch_size) -> x_fake` (or a TFP
            distribution) and observations (array, tensor, `tf.data.Dataset`,
            placeholder, or a tuple or dict of them); `{fake: (x_true, y_true)}`
            with `fake(batch_size, y)`; `{generator: x_true}` with `generator_inputs`.
          discriminator: `D(x) -> logits` [batch, ...], or `(logits, ...)`.
          loss: a name of `adinfer.losses.get`, or `(generator_loss, discriminator_loss)`.
          pack: number of samples D sees together (divides the batch size).
          batch_size, seed: examples per update, seed of the data shuffling.
          gradient_penalty_weight, r1_penalty_weight: λ_gp, λ_r1 ≥ 0 (None: none).
          gradient_penalty_target: c > 0; gradient_penalty_one_sided: a bool.
          condition: a TFP distribution or `condition(batch_size) -> y` of the
            generated labels; None uses the real ones.
          augment: a differentiable `T(x) -> x` for every D call on x, D(T(x))
            (DiffAugment, Zhao et al., 2020); not with `pack` > 1.
          generator_inputs: the generator's observed inputs u_true (array, tensor
            or placeholder), one per observation.
          non_adversarial_loss: ℓ(model) -> scalar (`model` an `adinfer.losses.GANModel`)
            with one of `weight_factor`, `gradient_ratio` (`gradient_ratio_epsilon`: 1e-6).
        """
        # Validate arguments.
        penalties = contracts.check_penalties(
            gradient_penalty_weight,
            gradient_penalty_target,
            gradient_penalty_one_sided,
            r1_penalty_weight,
        )
        self._check_discriminator(discriminator)
        batch_size = contracts.check_gan_arguments(pack, batch_size, condition, augment)
        contracts.check_non_adversarial(
            non_adversarial_loss, weight_factor, gradient_ratio, gradient_ratio_epsilon
        )
        if generator_inputs is None:
            self._check_data(data)
        bound = data if generator_inputs is None else contracts.paired(data, generator_inputs)
        self.generator_loss, self.discriminator_loss = losses.get(loss)
        super().__init__(bound, batch_size=batch_size, seed=seed)
        self.gradient_penalty_weight, self.gradient_penalty_target = penalties[:2]
        self.gradient_penalty_one_sided, self.r1_penalty_weight = penalties[2:]
        self.data, self.pack, self.paired = data, pack, generator_inputs is not None
        self.non_adversarial_loss, self.weight_factor = non_adversarial_loss, weight_factor
        self.gradient_ratio, self.gradient_ratio_epsilon = gradient_ratio, gradient_ratio_epsilon
        if gradient_ratio is not None:
            self.persistent_tapes = ("Gen",)
        with self.replicas.scope():
            # ε of the gradient penalty: a seeded stream that checkpoints hold,
            # drawn for the global batch and split like it (`replica_part`).
            self.penalty_seeds = keras.random.SeedGenerator(seed)
        (self.fake,) = self.data.keys()
        self.augment, self.condition = augment, condition
        self.discriminator = discriminator if augment is None else augmented(discriminator, augment)
        self.conditional = condition is not None or self._takes_condition(self.fake)
        self.judges_inputs = self.paired and contracts.takes_two_arguments(discriminator)
        if not self.paired:
            contracts.check_conditional_structure(self.conditional, self.stream, data)

    _takes_condition = staticmethod(contracts.takes_two_arguments)
    _check_data = staticmethod(contracts.check_generator_binding)

    _check_discriminator = staticmethod(contracts.check_discriminator)

    def objectives(self, x_true):
        if self.paired:
            x_true, inputs = x_true
            x_fake = self.call("Gen", self.fake, inputs)
            contracts.check_like(
                x_fake, x_true, "data: the generator's output", "the observed batch"
            )
            y = inputs if self.judges_inputs else None
            return self.adversarial_objectives(x_true, x_fake, y, y, inputs)
        if self.conditional:
            return self.conditional_objectives(*self.conditioned_batch(*x_true))
        n = self.batch_size_of(x_true)
        x_fake = self.call("Gen", self.fake, n)
        contracts.check_like_nest(
            x_fake,
            x_true,
            "data: the generated batch fake(batch_size)",
            "the observed batch",
            self.stream.names,
        )
        return self.adversarial_objectives(x_true, x_fake, inputs=n)

    def conditioned_batch(self, x_true, y_true):
        """`(x_true, y_true, x_fake, y_fake)` of a conditional GAN: y_fake is
        y_true, or n draws of `condition`; x_fake = fake(n, y_fake).
        """
        n = self.batch_size_of(x_true)
        y_fake = y_true if self.condition is None else self._draw_condition(n, y_true)
        x_fake = self.call("Gen", self.fake, n, y_fake)
        observed = f"the observed batch ({self.stream.names[0]})"
        contracts.check_like(
            x_fake, x_true, "data: the generated batch fake(batch_size, y)", observed
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
        return self.adversarial_objectives(x_true, x_fake, y_true, y_fake, y_fake)

    def adversarial_objectives(self, x_true, x_fake, y_true=None, y_fake=None, inputs=None):
        """`(loss, loss_d, d_outputs)` of D judging x_true against x_fake, or
        the pairs (x, y) of a conditional D when y_true is given; `inputs` are
        the generator's (the model's `generator_inputs`).
        """
        model_data = x_true, x_fake
        x_true, x_fake, critic = critics.joint(x_true, x_fake, self.discriminator)
        x_true, x_fake, y_true, y_fake = (
            pack_nest(v, self.pack) for v in (x_true, x_fake, y_true, y_fake)
        )
        args = lambda x, y: (x if isinstance(x, tuple) else (x,)) + (() if y is None else (y,))
        out_true = self.call("Disc", critic, *args(x_true, y_true))
        out_fake = self.call("Disc", critic, *args(x_fake, y_fake))
        d_true, d_fake = (
            contracts.check_logits(contracts.logits_of(out), x, patches=True)
            for out, x in ((out_true, x_true), (out_fake, x_fake))
        )
        loss_d = self.discriminator_loss(d_true, d_fake)
        given = lambda y: critic if y is None else (lambda x: self.discriminator(x, y))
        loss_d += self.penalties(x_true, x_fake, loss_d.dtype, given(y_fake), given(y_true))
        loss = self.generator_loss(d_true, d_fake)
        if self.non_adversarial_loss is not None:
            fields = inputs, *model_data, out_true, out_fake
            loss = self.combined_generator_loss(losses.GANLoss(loss, loss_d), *fields)
        return loss, loss_d, concat_outputs(d_true, d_fake)

    def combined_generator_loss(self, gan_loss, *fields):
        """ℓ(model) and L_adv combined by TF-GAN's rule, `model` the batch's
        `GANModel` (`fields`: generator inputs, real and generated data, D's
        outputs on each), both recorded ("loss/non_adversarial",
        "loss/adversarial"). Without a "Gen" tape (the build, a "Disc" update)
        no ratio is needed and 1 stands in.
        """
        u, x_true, x_fake, d_true, d_fake = fields
        tape, gen_vars = self.trainer.tapes.get("Gen", (None, self.variables.get("Gen", [])))
        disc = self.variables.get("Disc", []), "Disc", self.discriminator
        model = losses.GANModel(
            u, x_fake, gen_vars, "Gen", self.fake, x_true, d_true, d_fake, *disc
        )
        main = contracts.scalar_objective(self.non_adversarial_loss(model), gan_loss)
        self.record({"loss/non_adversarial": main, "loss/adversarial": gan_loss.generator_loss})
        weights = (self.weight_factor, self.gradient_ratio)
        if self.gradient_ratio is not None and tape is None:
            weights = (1.0, None)
        epsilon = self.gradient_ratio_epsilon
        combined = losses.combine_adversarial_loss(
            gan_loss, model, main, *weights, epsilon, False, False, tape=tape
        )
        return combined.generator_loss

    penalties = critics.penalties  # penalties(real, fake, dtype, critic=D, real_critic=critic)

    # -- Sampling -------------------------------------------------------------------

    def _check_sampling(self):
        """Raises ValueError when `sample(n)` has nothing to draw from."""
        contracts.check_sampling(self.paired, self.conditional, self.condition)

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

    def sample(self, n, y=None, ema=True, training=None):
        """`Inference.sample`; a conditional GAN returns pairs `(x, y)`, labels y
        drawn from `condition` or given (one, repeated n times, or n); with
        `generator_inputs`, `sample(n, u)` returns G(u).
        """
        if y is None:
            self._check_sampling()
            return super().sample(n, ema=ema, training=training)
        y = serving.given_inputs(y, self.stream, n, self.conditional or self.paired)
        x = self.serving.function("sample_given", ema, training)(y).numpy()
        return x if self.paired else (x, y.numpy())

    def serving_functions(self):
        """`sample(n)`, for a conditional GAN only with `condition`, and
        `sample_given(y) -> x` for a conditional one or G(u) with inputs.
        """
        functions = {}
        if not (self.paired or (self.conditional and self.condition is None)):
            functions = super().serving_functions()
        if self.conditional or self.paired:
            self.build()
            args = (lambda y: (y,)) if self.paired else (lambda y: (tf.shape(y)[0], y))
            draw = lambda y: self.call("Gen", self.fake, *args(y))
            batch = self.batch_size or 256
            functions["sample_given"] = serving.map_function(draw, self.stream.spec[1], batch)
        return functions
