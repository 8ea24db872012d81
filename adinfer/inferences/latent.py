"""Latent-space optimisation through frozen networks (TF-GAN's latent GAN estimator)."""

import collections

import keras
import tensorflow as tf

from adinfer import checkpoints, scopes, validate
from adinfer import optimizers as optimizers_lib
from adinfer.engine import state
from adinfer.inferences import contracts
from adinfer.inferences.inference import Inference

LatentModel = collections.namedtuple(
    "LatentModel", ["generator_inputs", "generated_data", "discriminator_gen_outputs"]
)
LatentModel.__doc__ = """What `loss_fn(model, target)` receives, in TF-GAN's field names:
`generator_inputs` is z, `generated_data` is G(z), `discriminator_gen_outputs`
is D(G(z)) (None without a discriminator)."""


class LatentInference(Inference):
    """Trains the input z of a frozen generator: GAN inversion, in-painting.

    A generator G trained before (and optionally its discriminator D) is a
    black box that gradients pass through; neither changes. Only z, a batch of
    latent codes of shape [batch_size] + z_shape, is trained on the user's
    objective ℓ (TF-GAN's `get_latent_gan_estimator`):

      z* = argmin_{z ∈ [−c, c]^(batch_size × z_shape)}  ℓ(z, G(z), D(G(z)); target) + Σ reg("Gen")

    by projected gradient descent: after every optimizer step,

      z ← clip(z, −c, c)                                    input_clip = c

    (no projection without `input_clip`). In-painting (Yeh et al., 2017,
    "Semantic Image Inpainting with Deep Generative Models") takes
    ℓ = ‖m ⊙ (G(z) − y)‖₁ + λ · mean(CE(1, D(G(z)))), a reconstruction of
    the known pixels m of y plus a term keeping G(z) on the data manifold;
    inversion (Creswell & Bharath, 2018) takes ‖G(z) − y‖².

    `loss_fn(model, target)` returns ℓ as a scalar, reading a `LatentModel`
    (`model.generator_inputs` = z, `model.generated_data` = G(z),
    `model.discriminator_gen_outputs` = D(G(z)) or None) and `target`, any
    nest of arrays or tensors (floating ones cast to G(z)'s dtype). "Gen" is
    exactly [z]; `loss_d` is 0. Every variable of G and D stays bitwise as it
    was, their non-trainable state too: batch-norm statistics (and dropout's
    random state) that a program calling them with `training=True` would move
    are put back after each call.

    `restore_from` loads the networks, before any training, from an adinfer
    checkpoint (a directory or a checkpoint path; each network is matched to
    the entry of its group in the checkpoint's `networks` whose variables all
    fit) or from a Keras `.weights.h5` file (the generator's weights). z and the
    optimizer are never restored from it; `initialize(checkpoint_dir=...)`
    checkpoints and resumes this training like any inference's, and must not be
    the directory restored from.

    With `initialize(logdir=...)`, TensorBoard also receives a histogram of z
    and, when G(z) is a batch of images (rank 4 with 1, 3 or 4 channels), the
    images, min-max scaled. `sample(batch_size)` returns G(z).

    #### Examples

    ```python
    mask = np.zeros([8, 8, 1], "float32"); mask[:4] = 1.0  # the known upper half
    loss_fn = lambda model, y: tf.reduce_mean(tf.abs(mask * (model.generated_data - y)))
    inference = adinfer.LatentInference(generator, loss_fn, target=images, z_shape=[16],
                                        input_clip=2.0, restore_from="gan_checkpoints")
    inference.run(n_iter=500, learning_rate=0.05)
    completed = inference.sample(len(images))
    ```
    """

    groups = ("Gen",)

    def __init__(
        self,
        generator,
        loss_fn,
        target=None,
        z_shape=None,
        batch_size=None,
        discriminator=None,
        input_clip=None,
        restore_from=None,
        warm_start=True,
        z_initializer=None,
    ):
        """
        Args:
          generator: `G(z) -> x`, a Keras model or a program calling networks.
          loss_fn: `loss_fn(model, target) -> scalar`, `model` a `LatentModel`.
          target: what `loss_fn` compares against: a nest of arrays or tensors,
            or None.
          z_shape: the shape of one latent code; by default the generator's
            input shape (a Keras model with known inputs).
          batch_size: codes trained at once; by default the first axis of
            `target`'s first array, or 1 without a target.
          discriminator: `D(x) -> logits` (or None), as frozen as the generator.
          input_clip: c > 0: z is projected into [−c, c] after every update
            (and its initial value too); None for no projection.
          restore_from: None, an adinfer checkpoint (directory or checkpoint
            path) or a Keras `.weights.h5` file of the generator.
          warm_start: restore every network variable from `restore_from` (not z
            or the optimizer). False restores nothing, as TF-GAN's
            `warmstart_options=False`: the networks keep their weights and
            `restore_from` only names the directory that `checkpoint_dir` must
            not be.
          z_initializer: None (a truncated normal, TF-GAN's), a Keras
            initializer (or its name), or a callable `fn(shape) -> tensor`,
            e.g. `lambda shape: encoder(x)` to start from an encoder's codes.
        """
        # Validate arguments.
        validate.function(generator, "generator", "G(z) -> x")
        validate.function(loss_fn, "loss_fn", "loss_fn(model, target) -> scalar")
        validate.function(discriminator, "discriminator", "D(x) -> logits", allow_none=True)
        validate.boolean(warm_start, "warm_start")
        self.input_clip = validate.positive(input_clip, "input_clip")
        self.restore_from, self._restore_dir = checkpoints.resolve_weights(restore_from)
        self._target = contracts.latent_target(target)
        self.z_shape = contracts.latent_shape(z_shape, generator)
        batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
        if batch_size is None:
            leaves = tf.nest.flatten(self._target)
            batch_size = int(leaves[0].shape[0]) if leaves and leaves[0].shape.rank else 1
        super().__init__(None, batch_size=batch_size)
        self.generator, self.loss_fn, self.discriminator = generator, loss_fn, discriminator
        self._layers = scopes.find_layers(generator) + (
            scopes.find_layers(discriminator) if discriminator is not None else []
        )
        initial = contracts.latent_initial(z_initializer, [self.batch_size] + self.z_shape)
        self.z = tf.Variable(self._project(initial), name="z")
        self.build()  # builds the networks; z_shape, target and loss_fn errors raise here
        if self.restore_from is not None and warm_start:
            model = generator if isinstance(generator, keras.Model) else None
            checkpoints.restore_networks(self.restore_from, self.networks, model=model)

    # -- The objective ------------------------------------------------------------

    def objectives(self, x_true):
        z = tf.convert_to_tensor(self.z)
        with self._frozen():
            x = self._generator(z)
            d = None if self.discriminator is None else self.call("Disc", self.discriminator, x)
            model = LatentModel(z, x, d)
            loss = self._loss(model)
        self._summaries(model)
        d_outputs = None if d is None else tf.reshape(d, [-1])
        return loss, tf.zeros_like(loss), d_outputs

    def after_update(self, group):
        if self.input_clip is not None:  # the projection onto [−c, c]
            self.z.assign(self._project(self.z))

    def generate(self, n):
        with self._frozen():
            return self._generator(tf.convert_to_tensor(self.z))

    def sample(self, n, ema=True, training=None):
        """G(z) of the first n ≤ `batch_size` codes z (more would repeat rows)."""
        n = validate.integer(n, "n", minimum=0)
        if n > self.batch_size:
            validate.fail(
                ValueError, "n", f"at most batch_size={self.batch_size}, the codes z trained", n
            )
        return super().sample(n, ema, training)

    def _project(self, z):
        if self.input_clip is None:
            return z
        c = tf.cast(self.input_clip, z.dtype)
        return tf.clip_by_value(z, -c, c)

    def _generator(self, z):
        try:
            return self.call("Gen", self.generator, z)
        except (ValueError, TypeError, tf.errors.InvalidArgumentError) as e:
            if self.grouping.built:
                raise
            raise ValueError(
                f"z_shape={self.z_shape}: the generator cannot take z of shape "
                f"{z.shape.as_list()} ([batch_size] + z_shape): {e}"
            ) from None

    def _loss(self, model):
        x = model.generated_data
        dtype = getattr(x, "dtype", None)
        floating = dtype is not None and tf.as_dtype(dtype).is_floating
        cast = lambda t: tf.cast(t, dtype) if t.dtype.is_floating and floating else t
        target = None if self._target is None else tf.nest.map_structure(cast, self._target)
        try:
            loss = self.loss_fn(model, target)
        except (ValueError, TypeError, tf.errors.InvalidArgumentError) as e:
            if self.grouping.built:
                raise
            shapes = tf.nest.map_structure(lambda t: t.shape.as_list(), self._target)
            raise ValueError(
                f"target: loss_fn(model, target) failed with generated data of shape "
                f"{getattr(x, 'shape', None)} and a target of shape {shapes}: {e}"
            ) from None
        return contracts.scalar_loss(loss, "loss_fn")

    def _frozen(self):
        """Puts back the networks' non-trainable variables (batch-norm
        statistics, random states) after the calls inside, so that a program
        calling them with `training=True` leaves them as they were.
        """
        return state.kept(
            state.unique(
                scopes.raw_variable(v)
                for layer in self._layers
                for v in layer.non_trainable_variables
            )
        )

    def _summaries(self, model):
        if self.reporting.writer is None:
            return
        with self.summaries():
            tf.summary.histogram("z", model.generator_inputs)
            x = model.generated_data
            if isinstance(x, tf.Tensor) and x.shape.rank == 4 and x.shape[-1] in (1, 3, 4):
                x = tf.cast(x, tf.float32)
                low, high = tf.reduce_min(x), tf.reduce_max(x)
                tf.summary.image(
                    "generated_data", (x - low) / tf.maximum(high - low, 1e-12), max_outputs=8
                )

    # -- Lifecycle ----------------------------------------------------------------

    def initialize(
        self,
        n_iter=1000,
        optimizer="adam",
        learning_rate=None,
        optimizer_kwargs=None,
        logdir=None,
        checkpoint_dir=None,
        **kwargs,
    ):
        """Prepares the training of z.

        Args:
          n_iter: number of updates `run` performs.
          optimizer: a name ("adam", "sgd", "rmsprop", "adagrad", "adadelta",
            "ftrl", "momentum", "gradientdescent", or any Keras optimizer name),
            built with `learning_rate` and `optimizer_kwargs` (TF-GAN's
            `optimizer`, `learning_rate`, `opt_kwargs`); a Keras optimizer; or
            None (Edward's default).
          learning_rate: the learning rate of a named optimizer (0.01 by default,
            as Edward's names), a float or a Keras schedule.
          optimizer_kwargs: other arguments of a named optimizer, e.g.
            `{"beta_1": 0.5}`.
          logdir: TensorBoard directory (loss, gradient norm, z, images).
          checkpoint_dir: this training's checkpoints (z, optimizer, `t`); not
            the directory `restore_from` names.
          **kwargs: passed to `Inference.initialize` (`n_print`, `debug`,
            `jit_compile`, `checkpoint_every`, ...).
        """
        contracts.latent_initialize_arguments(kwargs)
        optimizer = optimizers_lib.build(
            optimizer,
            learning_rate=learning_rate,
            optimizer_kwargs=optimizer_kwargs,
            keras_names=True,
        )
        contracts.latent_checkpoint_dir(checkpoint_dir, self._restore_dir)
        Inference.initialize(
            self,
            n_iter=n_iter,
            optimizer=optimizer,
            var_list=[self.z],
            logdir=logdir,
            checkpoint_dir=checkpoint_dir,
            **kwargs,
        )
