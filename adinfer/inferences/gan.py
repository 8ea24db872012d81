"""Generative adversarial networks (Goodfellow et al., 2014)."""

import inspect
import math
import numbers

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import data as data_lib
from adinfer import distribute, losses, scopes
from adinfer.inferences.inference import Inference, _ceil_div, _count


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
    sample, norms over all non-batch axes and s = sqrt(‖∇x̂ D(x̂)‖₂² + 1e-10)
    (TF-GAN's slopes),

      loss_d += λ_gp · mean((s / c − 1)²)          gradient_penalty_weight = λ_gp,
                                                  gradient_penalty_target = c > 0
                (max(0, s / c − 1)² when gradient_penalty_one_sided)
      loss_d += λ_r1 · mean(‖∇x D(x_true)‖₂²)      r1_penalty_weight = λ_r1

    (s / c − 1)² = (s − c)² / c², TF-GAN's form: a target other than 1 also
    scales the penalty by 1/c².

    (Gulrajani et al., 2017, "Improved Training of Wasserstein GANs"; Petzka et
    al., 2018, for the one-sided form; Mescheder et al., 2018, for R1, whose γ
    is λ_r1 = γ/2). With `pack=m` the penalties see the packed inputs, the
    samples the discriminator itself judges. WGAN-GP is
    `GANInference(..., loss="wasserstein", gradient_penalty_weight=10.0)`, or
    `WGANInference`.

    #### Structured data

    Observations may be a tuple or dict of arrays (a dataset of tuples or
    dicts, a tuple or dict of placeholders); `fake(batch_size)` then returns
    the same structure, and the discriminator is called `D(*x)` for a tuple,
    `D(x)` for a dict. The gradient penalty interpolates all components with
    one ε per sample.

    #### Conditional GANs (Mirza & Osindero, 2014)

    A generator program of two required arguments, `fake(batch_size, y)`, or
    a `condition` argument, makes the GAN conditional: observations are pairs
    `data={fake: (x_true, y_true)}` (arrays, a dataset of pairs or two
    placeholders), and the discriminator judges pairs, `D(x, y)`. The labels
    of the generated batch are

      y_fake = y_true                         (condition=None: the real batch's)
      y_fake ~ condition, n draws, cast to the dtype of y_true  (otherwise)

    and, with x_fake = fake(n, y_fake),

      loss_d = mean(CE(1, D(x_true, y_true)) + CE(0, D(x_fake, y_fake))) + Σ reg("Disc")
      loss   = mean(CE(1, D(x_fake, y_fake)))                           + Σ reg("Gen")

    (or the pair of any `loss`). The gradient penalty interpolates x only,
    x̂ = ε x_true + (1 − ε) x_fake, scored by D(x̂, y_fake) (TF-GAN's
    conditional critic sees the generator's labels); R1 is taken at
    D(x_true, y_true) with respect to x. With `pack=m`, x and y are packed
    alike. `sample(n)` returns pairs `(x, y)` with y ~ condition (it needs
    `condition`); `sample(n, y)` generates for given labels, one label
    repeated n times or n labels. `export` serves `sample(n)` (with
    `condition`) and `sample_given(y) -> x`.

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
          pack: number of samples the discriminator sees together (PacGAN).
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
          gradient_penalty_weight: λ_gp ≥ 0 of the gradient penalty; None or 0
            for none.
          gradient_penalty_target: the norm c > 0 the gradient penalty pulls
            toward (1 in WGAN-GP).
          gradient_penalty_one_sided: penalise only norms above c.
          r1_penalty_weight: λ_r1 ≥ 0 of the R1 penalty; None or 0 for none.
          condition: the distribution of the generated batch's labels in a
            conditional GAN, a TFP distribution (or a program
            `condition(batch_size) -> y`); None uses the real batch's labels.
          augment: a differentiable augmentation `T(x) -> x` applied to the
            observations (x, not labels or codes) in every discriminator call,
            real and generated batches drawn separately: D(T(x)) (DiffAugment,
            Zhao et al., 2020; e.g. `adinfer.augment.DiffAugment(
            "color,translation,cutout")`). Not with `pack` > 1.
        """
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a callable T(x) -> x, got {type(augment).__name__}.")
        if augment is not None and pack != 1:
            raise ValueError(
                "augment with pack > 1: T would act on packed samples; augment or pack, not both."
            )
        penalties = _penalty_arguments(
            gradient_penalty_weight,
            gradient_penalty_target,
            gradient_penalty_one_sided,
            r1_penalty_weight,
        )
        self._check_discriminator(discriminator)
        self._check_data(data)
        if not isinstance(pack, int) or isinstance(pack, bool) or pack < 1:
            raise ValueError(f"pack must be a positive int, got {pack!r}.")
        batch_size = data_lib.check_int(batch_size, "batch_size", allow_none=True)
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
        if condition is not None and not (
            callable(condition) or isinstance(condition, tfp.distributions.Distribution)
        ):
            raise TypeError(
                "condition must be a TFP distribution or a program condition(batch_size) -> y, "
                f"got {type(condition).__name__}."
            )
        super().__init__(data, batch_size=batch_size, seed=seed)
        with self.replicas.scope():
            # ε of the gradient penalty: a seeded stream that checkpoints hold,
            # drawn for the global batch and split like it (`replica_part`).
            self._penalty_seeds = keras.random.SeedGenerator(seed)
        (self.fake,) = self.data.keys()
        self.augment = augment
        self.discriminator = (
            discriminator if augment is None else _augmented(discriminator, augment)
        )
        self.condition = condition
        self.conditional = condition is not None or self._takes_condition(self.fake)
        if self.conditional:
            structure = self.stream.structure
            if not (isinstance(structure, tuple) and len(structure) == 2):
                raise ValueError(
                    "data: a conditional GAN (a generator fake(batch_size, y), or condition=) "
                    "binds pairs of observations and labels, {fake: (x_true, y_true)}, got "
                    f"{type(next(iter(self.data.values()))).__name__} observations."
                )

    @staticmethod
    def _takes_condition(fake):
        """True for a program of two required positional arguments, `fake(n, y)`."""
        if isinstance(fake, tfp.distributions.Distribution):
            return False
        try:
            parameters = inspect.signature(fake).parameters.values()
        except (TypeError, ValueError):
            return False
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        required = [p for p in parameters if p.kind in positional and p.default is p.empty]
        return len(required) >= 2

    @staticmethod
    def _check_discriminator(discriminator):
        if not callable(discriminator):
            raise TypeError(
                "discriminator must be a callable function D(x) -> logits, "
                f"got {type(discriminator).__name__}."
            )

    @staticmethod
    def _check_data(data):
        """`data={fake: observations}`, `fake` a program of the batch size."""
        ((fake, _),) = _check_binding(data, "data", "{fake: observations}").items()
        if isinstance(fake, keras.layers.Layer):
            raise TypeError(
                f"data: the key is a Keras {type(fake).__name__}, a network called on "
                "tensors, but it must be a program fake(batch_size) -> x_fake: adinfer calls "
                "it with the batch size (an int) and it draws its own noise. Wrap the "
                "network: data={lambda n: generator(noise(n)): x_train}, with e.g. "
                "noise = lambda n: tf.random.normal([n, latent_dim])."
            )
        if not callable(fake) and not isinstance(fake, tfp.distributions.Distribution):
            raise TypeError(
                "data keys must be programs fake(batch_size) -> x_fake or "
                f"distributions, got {type(fake).__name__}."
            )

    def objectives(self, x_true):
        if self.conditional:
            return self.conditional_objectives(*self.conditioned_batch(*x_true))
        x_fake = self.call("Gen", self.fake, self.batch_size_of(x_true))
        _check_like_nest(
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
        d_true = _check_logits(self.call("Disc", critic, *args(x_true)), x_true)
        d_fake = _check_logits(self.call("Disc", critic, *args(x_fake)), x_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(x_true, x_fake, loss_d.dtype, critic)
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, _concat(d_true, d_fake)

    def conditioned_batch(self, x_true, y_true):
        """`(x_true, y_true, x_fake, y_fake)` of a conditional GAN: y_fake is
        y_true, or n draws of `condition`; x_fake = fake(n, y_fake).
        """
        n = self.batch_size_of(x_true)
        y_fake = y_true if self.condition is None else self._draw_condition(n, y_true)
        x_fake = self.call("Gen", self.fake, n, y_fake)
        _check_like(
            x_fake,
            x_true,
            "data: the generated batch fake(batch_size, y)",
            f"the observed batch ({self.stream.names[0]})",
        )
        return x_true, y_true, x_fake, y_fake

    def _draw_condition(self, n, like):
        y = tf.convert_to_tensor(self.call("Gen", self.condition, n))
        y = tf.cast(y, like.dtype)
        _check_like(y, like, "condition: its draws", f"the labels ({self.stream.names[1]})")
        return y

    def conditional_objectives(self, x_true, y_true, x_fake, y_fake):
        """The conditional GAN's objectives (see the class docstring)."""
        m = self.pack
        x_true, y_true, x_fake, y_fake = (pack(v, m) for v in (x_true, y_true, x_fake, y_fake))
        d_true = self.call("Disc", self.discriminator, x_true, y_true)
        d_fake = self.call("Disc", self.discriminator, x_fake, y_fake)
        d_true, d_fake = _check_logits(d_true, x_true), _check_logits(d_fake, x_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(
            x_true,
            x_fake,
            loss_d.dtype,
            critic=lambda x: self.discriminator(x, y_fake),
            real_critic=lambda x: self.discriminator(x, y_true),
        )
        loss = self.generator_loss(d_true, d_fake)
        return loss, loss_d, _concat(d_true, d_fake)

    def record(self, scalars):
        """Writes `{tag: scalar tensor}` from inside the objective to TensorBoard,
        at the updates the engine writes its own scalars (t = 1 and every
        `n_print`), and keeps them in `self.scalars`. Nothing is written
        without a `logdir`, while the networks are built, or under XLA.
        """
        self.scalars = dict(scalars)
        if (
            self._writer is None
            or self._discovery is not None
            or self.jit_compile
            or not tf.inside_function()
        ):
            return
        with self.summaries():
            for tag, value in self.scalars.items():
                tf.summary.scalar(tag, value)

    def _check_sampling(self):
        """Raises ValueError when `sample(n)` has nothing to draw from."""
        if self.conditional and self.condition is None:
            raise ValueError(
                "sample: this conditional GAN has no condition= to draw labels from; "
                "pass them, sample(n, y)."
            )

    def _generate(self, n, y=None):
        """n generated examples; for a conditional GAN the pair `(x, y)`, y
        given or drawn from `condition`.
        """
        if not self.conditional:
            return self.call("Gen", self.fake, n)
        if y is None:
            self._check_sampling()
            like = self.stream.example_batch(self.batch_size)[1]
            y = self._draw_condition(n, like)
        return self.call("Gen", self.fake, n, y), y

    def sample(self, n, y=None, ema=True):
        """`n` generated examples as NumPy data shaped like the observations,
        from the averaged weights when kept (`initialize(ema_decay=...)`) unless
        `ema=False`.

        A conditional GAN returns pairs `(x, y)`: labels y drawn from
        `condition`, or those given, `y` one label (repeated n times) or n labels.
        """
        if y is None:
            self._check_sampling()
            return super().sample(n, ema=ema)
        if not self.conditional:
            raise ValueError("sample: y is for conditional GANs (fake(batch_size, y)).")
        n = _count(n, "n")
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
        return self._served("sample_given", ema)(y).numpy(), y.numpy()

    def _exported_functions(self):
        """`sample(n)` (structured like the observations); for a conditional
        GAN, `sample_given(y) -> x` too, and `sample(n)` only with `condition`.
        """
        self._build()
        batch = self.batch_size or 256
        functions = {}
        if not self.conditional or self.condition is not None:

            def sample(n):
                return _map_nested(lambda i: self._generate(batch), _ceil_div(n, batch), n)

            functions["sample"] = tf.function(
                sample, input_signature=[tf.TensorSpec([], tf.int32)], autograph=False
            )
        if self.conditional:
            spec = self.stream.spec[1]

            def sample_given(y):
                n = tf.shape(y)[0]

                def chunk(i):
                    y_i = y[i * batch : (i + 1) * batch]
                    return self.call("Gen", self.fake, tf.shape(y_i)[0], y_i)

                return _map_nested(chunk, _ceil_div(n, batch), n)

            functions["sample_given"] = tf.function(
                sample_given,
                input_signature=[tf.TensorSpec([None] + spec.shape[1:].as_list(), spec.dtype)],
                autograph=False,
            )
        return functions

    def penalties(self, real, fake, dtype, critic=None, real_critic=None):
        """λ_gp · gradient penalty + λ_r1 · R1 at the discriminator's inputs
        `real` (R1's side) and `fake`, tensors or tuples for a joint critic.

        Args:
          critic: the function the gradient penalty differentiates, the
            discriminator by default (a closure with the labels fixed for a
            conditional GAN).
          real_critic: the function R1 differentiates, `critic` by default.

        The discriminator is called directly, so activity regularizers are
        counted for its calls on real and generated data only.
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


def _positive(value, name):
    """A finite number > 0 (None allowed), else TypeError/ValueError naming `name`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be None or a positive number, got {type(value).__name__}.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be None or a finite positive number, got {value!r}.")
    return float(value)


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
        raise TypeError("gradient_penalty_target must be a positive number, got None.")
    if target == 0:
        raise ValueError(
            "gradient_penalty_target must be positive (the penalty is (s / c − 1)²), got 0."
        )
    if not isinstance(gradient_penalty_one_sided, bool):
        raise TypeError(
            "gradient_penalty_one_sided must be a bool, got "
            f"{type(gradient_penalty_one_sided).__name__}."
        )
    r1 = _nonnegative(r1_penalty_weight, "r1_penalty_weight")
    return gp, target, gradient_penalty_one_sided, r1


def _check_binding(binding, name, form):
    """`binding` must be a dict holding one pair (`form` shows it); returns it."""
    if not isinstance(binding, dict):
        raise TypeError(f"{name} must have type dict, {form}, got {type(binding).__name__}.")
    if len(binding) != 1:
        raise ValueError(f"{name} must hold exactly one pair, {form}, got {len(binding)} pairs.")
    return binding


def _check_logits(d, x, name="discriminator"):
    """The discriminator's output on the batch `x` (a tensor, or a tuple for a
    joint critic): floating point, one value per example, [batch] or [batch, 1].
    """
    d = tf.convert_to_tensor(d)
    if not d.dtype.is_floating:
        raise TypeError(f"{name} must return floating-point logits, got dtype {d.dtype.name}.")
    x = x[0] if isinstance(x, tuple) else x
    batch = tf.TensorShape(x.shape[:1]) if x is not None else tf.TensorShape([None])
    if d.shape.rank is not None and not (
        (d.shape.rank == 1 or (d.shape.rank == 2 and d.shape[1] in (1, None)))
        and d.shape[:1].is_compatible_with(batch)
    ):
        n = batch[0] if batch[0] is not None else "batch"
        raise ValueError(
            f"{name} must return one logit per example, of shape [batch] or [batch, 1] "
            f"(here [{n}] or [{n}, 1]), got shape {d.shape}."
        )
    return d


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


def _check_like_nest(a, b, name_a, name_b, names):
    """`_check_like` per component of structured batches, naming the component."""
    if tf.nest.is_nested(b) or tf.nest.is_nested(a):
        try:
            tf.nest.assert_same_structure(a, b)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name_a} must be structured like {name_b}: got {tf.nest.map_structure(type, a)}"
                f" for {tf.nest.map_structure(lambda x: x.shape, b)}."
            ) from None
        for a_i, b_i, name in zip(tf.nest.flatten(a), tf.nest.flatten(b), names):
            suffix = name[name.index("[") :] if "[" in name else ""
            _check_like(a_i, b_i, f"{name_a}{suffix}", f"{name_b}{suffix}")
        return
    _check_like(a, b, name_a, name_b)


def _map_nested(fn, n_batches, n):
    """`concat([fn(i) for i in range(n_batches)])[:n]` per component of the
    (possibly structured) batches, in a `tf.while_loop`.
    """
    spec = (
        tf.function(fn, autograph=False)
        .get_concrete_function(tf.TensorSpec([], tf.int32))
        .structured_outputs
    )
    specs = tf.nest.flatten(spec)
    arrays = tuple(
        tf.TensorArray(s.dtype, size=n_batches, element_shape=[None] + s.shape[1:].as_list())
        for s in specs
    )
    _, arrays = tf.while_loop(
        lambda i, _: i < n_batches,
        lambda i, arrays: (
            i + 1,
            tuple(a.write(i, x) for a, x in zip(arrays, tf.nest.flatten(fn(i)))),
        ),
        (tf.constant(0), arrays),
    )
    return tf.nest.pack_sequence_as(spec, [a.concat()[:n] for a in arrays])


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
    moved = tf.transpose(
        grouped, [0] + list(range(2, rank - 1)) + [1, rank - 1]
    )  # [b/m, ..., m, c]
    return tf.reshape(moved, tf.concat([[-1], shape[1:-1], [m * shape[-1]]], 0))


def _concat(*tensors):
    return tf.concat([tf.reshape(x, [-1]) for x in tensors], axis=0)


def _augmented(discriminator, augment):
    """D(T(x), ...): the discriminator seeing the augmented observations."""

    def augmented(x, *rest):
        return discriminator(augment(x) if tf.is_tensor(x) else x, *rest)

    return augmented
