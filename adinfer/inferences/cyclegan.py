"""Cycle-consistent adversarial networks (Zhu et al., 2017)."""

import keras
import tensorflow as tf

from adinfer import data as data_lib
from adinfer import losses, validate
from adinfer.engine import serving
from adinfer.inferences import contracts
from adinfer.inferences.gan import concat_outputs
from adinfer.inferences.inference import Inference


class CycleGANInference(Inference):
    """Unpaired translation between two domains: two generators, two discriminators.

    Bind unpaired observations of domains X and Y, `data=(x, y)`; a generator
    G: X → Y (`generator_x2y`) and F: Y → X (`generator_y2x`), programs or
    networks of a batch; discriminators D_X and D_Y, each `D(x) -> logits`
    ([batch], or any [batch, ...], a PatchGAN's [batch, h, w, 1], whose losses
    average over every element, as TF-GAN's), judging the observations of
    their domain. With L_G, L_D the generator and
    discriminator losses of `loss` (least squares by default, as TF-GAN's
    `cyclegan_loss`) and |·| the mean absolute difference over all entries,

      y_fake = G(x),   x_fake = F(y)
      cycle    = (|x − F(y_fake)| + |y − G(x_fake)|) / 2
      identity = (|y − G(y)| + |x − F(x)|) / 2
      loss   = L_G(D_Y(y), D_Y(y_fake)) + L_G(D_X(x), D_X(x_fake))
               + λ_cyc · cycle + λ_id · identity + Σ reg("Gen")
      loss_d = L_D(D_Y(y), D_Y(pool_Y(y_fake))) + L_D(D_X(x), D_X(pool_X(x_fake)))
               + Σ reg("Disc")

    (Zhu et al., 2017, "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks", Eq. 1-3; the identity term of its
    Sec. 5.2, off by default). TF-GAN's `cyclegan_loss` gives each generator
    its own objective, the adversarial loss of its direction + λ_cyc · cycle;
    as neither adversarial term depends on the other generator, `loss` has the
    same gradient for every "Gen" variable. The cycle term is TF-GAN's
    `cycle_consistency_loss`. "Gen" holds both generators, "Disc" both
    discriminators. Zhu et al.'s λ_identity = 0.5 (relative to the cycle
    weight) is `identity_loss_weight = 0.5 * cycle_consistency_loss_weight`.

    With `pool_size` = k > 0, each discriminator sees a history of generated
    batches (TF-GAN's `tensor_pool`, Shrivastava et al., 2017): until k
    batches are stored, the new batch is stored and seen; then a stored batch,
    chosen uniformly, is taken out and the new one stored in its place, and D
    sees the stored batch with probability `pooling_probability`, else the new
    one. The pool lives in variables, written only by a "Disc" update that was
    taken, so checkpoints hold it and a resumed run continues exactly. TF-GAN's
    example pools batches of one image, as the paper's 50-image buffer does.

    `translate_x_to_y(x)` and `translate_y_to_x(y)` serve the generators (the
    averaged weights when `initialize(ema_decay=...)` keeps them); `export`
    writes both.

    #### Examples

    ```python
    inference = adinfer.CycleGANInference(
        (x_train, y_train), generator_x2y=G, generator_y2x=F,
        discriminator_x=D_X, discriminator_y=D_Y, pool_size=50, batch_size=1)
    inference.run(n_iter=1000)
    y_translated = inference.translate_x_to_y(x_test)
    ```
    """

    def __init__(
        self,
        data,
        generator_x2y,
        generator_y2x,
        discriminator_x,
        discriminator_y,
        loss="least_squares",
        cycle_consistency_loss_weight=10.0,
        identity_loss_weight=None,
        pool_size=0,
        pooling_probability=0.5,
        batch_size=None,
        seed=None,
    ):
        """
        Args:
          data: `(x, y)`, unpaired observations of the two domains: arrays,
            tensors or `tf.data.Dataset`s (each shuffled and batched on its own),
            or two placeholders fed together.
          generator_x2y: G, `G(x) -> y` for a batch.
          generator_y2x: F, `F(y) -> x` for a batch.
          discriminator_x: D_X, `D_X(x) -> logits`.
          discriminator_y: D_Y, `D_Y(y) -> logits`.
          loss: a name from `adinfer.losses.get` or a pair of callables
            `(generator_loss, discriminator_loss)`.
          cycle_consistency_loss_weight: λ_cyc ≥ 0 (TF-GAN's default 10).
          identity_loss_weight: λ_id ≥ 0; None or 0 for none.
          pool_size: k ≥ 0 generated batches kept per discriminator; 0 for no pool.
          pooling_probability: p in [0, 1], of seeing a stored batch.
          batch_size: examples of each domain per update.
          seed: seed of the data shuffling and of the pool's draws.
        """
        # Validate arguments.
        validate.function(generator_x2y, "generator_x2y", "G(x) -> y")
        validate.function(generator_y2x, "generator_y2x", "F(y) -> x")
        validate.function(discriminator_x, "discriminator_x", "D_X(x) -> logits")
        validate.function(discriminator_y, "discriminator_y", "D_Y(y) -> logits")
        self.generator_loss, self.discriminator_loss = losses.get(loss)
        self.cycle_consistency_loss_weight = validate.nonnegative(
            cycle_consistency_loss_weight, "cycle_consistency_loss_weight", allow_none=False
        )
        self.identity_loss_weight = validate.nonnegative(
            identity_loss_weight, "identity_loss_weight"
        )
        pool_size = validate.integer(pool_size, "pool_size", minimum=0)
        pooling_probability = validate.number(
            pooling_probability, "pooling_probability", low=0, high=1
        )
        batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
        seed = validate.integer(seed, "seed", minimum=None, allow_none=True)
        unpaired = unpaired_batches(data, batch_size, seed)

        super().__init__({generator_x2y: unpaired}, seed=seed)
        self.replicas.check_batch(batch_size)
        self.data, self.batch_size = data, batch_size
        self.generator_x2y, self.generator_y2x = generator_x2y, generator_y2x
        self.discriminator_x, self.discriminator_y = discriminator_x, discriminator_y
        spec_x, spec_y = self.stream.spec
        if self.identity_loss_weight and (
            spec_x.dtype != spec_y.dtype or spec_x.shape[1:] != spec_y.shape[1:]
        ):
            validate.fail(
                ValueError,
                "identity_loss_weight",
                "None or 0 for domains of different shapes (G(y) and F(x) need x and y alike)",
                identity_loss_weight,
            )
        self.pools = None
        if pool_size:
            shapes = [s.shape for s in tf.nest.flatten(self.stream.spec)]
            if not all(shape.is_fully_defined() for shape in shapes):
                validate.fail(
                    ValueError,
                    "pool_size",
                    "0 unless every batch has one size (arrays or datasets with batch_size)",
                    pool_size,
                )
            if self.replicas.distributed:
                validate.fail(
                    ValueError, "pool_size", "0 under a tf.distribute strategy", pool_size
                )
            with self.replicas.scope():
                self.pools = {
                    name: TensorPool(pool_size, pooling_probability, seed) for name in ("x", "y")
                }
        self.pool_writes = []

    def objectives(self, xy):
        x, y = xy
        G, F = self.generator_x2y, self.generator_y2x
        y_fake = self.call("Gen", G, x)
        x_fake = self.call("Gen", F, y)
        contracts.check_like(y_fake, y, "generator_x2y's output G(x)", "the batch of y")
        contracts.check_like(x_fake, x, "generator_y2x's output F(y)", "the batch of x")
        x_cycle, y_cycle = self.call("Gen", F, y_fake), self.call("Gen", G, x_fake)
        cycle = cycle_consistency_loss(x, x_cycle, y, y_cycle)
        loss = self.cycle_consistency_loss_weight * cycle
        scalars = {"loss/cycle_consistency": cycle}
        if self.identity_loss_weight:
            identity = cycle_consistency_loss(y, self.call("Gen", G, y), x, self.call("Gen", F, x))
            loss += self.identity_loss_weight * identity
            scalars["loss/identity"] = identity
        self.record(scalars)
        d_outputs, loss_d = [], 0.0
        self.pool_writes = []
        for D, real, fake, name in (
            (self.discriminator_y, y, y_fake, "y"),
            (self.discriminator_x, x, x_fake, "x"),
        ):
            d_real = contracts.check_logits(self.call("Disc", D, real), real, patches=True)
            d_fake = contracts.check_logits(self.call("Disc", D, fake), fake, patches=True)
            loss += self.generator_loss(d_real, d_fake)
            if self.pools is not None:
                fake, write = self.pools[name].query(tf.stop_gradient(fake), self.grouping.building)
                self.pool_writes.append((self.pools[name], write))
                d_fake = contracts.check_logits(self.call("Disc", D, fake), fake, patches=True)
            loss_d += self.discriminator_loss(d_real, d_fake)
            d_outputs += [d_real, d_fake]
        return loss, loss_d, concat_outputs(*d_outputs)

    def after_update(self, group):
        # The pools move with the discriminators, as TF-GAN's pool runs in
        # their train op: a "Gen" update or one not taken leaves them as they were.
        if group == "Disc":
            for pool, write in self.pool_writes:
                pool.write(*write)

    # -- Serving --------------------------------------------------------------------

    def translate_x_to_y(self, x, ema=True, training=None):
        """`G(x)` for a batch of X observations, as a NumPy array, computed in
        batches of `batch_size` (256 without one); the averaged weights when
        kept (`initialize(ema_decay=...)`) unless `ema=False`; `training` as in
        `Inference.sample`.
        """
        return self._map("translate_x_to_y", x, self.stream.spec[0], "x", ema, training)

    def translate_y_to_x(self, y, ema=True, training=None):
        """`F(y)` for a batch of Y observations, as a NumPy array."""
        return self._map("translate_y_to_x", y, self.stream.spec[1], "y", ema, training)

    def _map(self, name, batch, spec, argument, ema, training):
        batch = contracts.observations(batch, spec, argument)
        return self.serving.function(name, ema, training)(batch).numpy()

    def sample(self, n, ema=True, training=None):
        raise ValueError(
            "sample: a CycleGAN translates observations and draws nothing; use "
            "translate_x_to_y(x) or translate_y_to_x(y)."
        )

    def serving_functions(self):
        """`translate_x_to_y(x) -> y` and `translate_y_to_x(y) -> x`."""
        self.build()
        batch, (spec_x, spec_y) = self.batch_size or 256, self.stream.spec
        G = lambda x: self.call("Gen", self.generator_x2y, x)
        F = lambda y: self.call("Gen", self.generator_y2x, y)
        return {
            "translate_x_to_y": serving.map_function(G, spec_x, batch),
            "translate_y_to_x": serving.map_function(F, spec_y, batch),
        }


class TensorPool:
    """TF-GAN's `tensor_pool` (`tfgan.features.tensor_pool`) in variables.

    Holds up to `size` batches. `query(x)` returns what the caller sees: `x`
    while fewer than `size` are stored; afterwards a stored batch, chosen
    uniformly, with probability `probability`, else `x`. `write` then makes the
    matching change: `x` stored in a free slot, or in place of the chosen batch
    (taken out whether it was seen or not), as TF-GAN's queue dequeues one and
    enqueues `x`. Each stored batch is thus seen at most twice. The draws come
    from a `keras.random.SeedGenerator`, whose state, like the batches and
    their count, is a variable that checkpoints hold.
    """

    def __init__(self, size, probability, seed=None):
        self.size = validate.integer(size, "size")
        self.probability = validate.number(probability, "probability", low=0, high=1)
        self.seeds = keras.random.SeedGenerator(seed)
        self.values = self.count = None  # variables made on the first query

    def query(self, x, dry_run=False):
        """`(seen, write)`: the batch seen in place of `x`, and the arguments of
        the `write` that stores `x`. With `dry_run` (while networks are built),
        nothing is drawn and `x` is seen.
        """
        x = tf.convert_to_tensor(x)
        if self.values is None:
            if not x.shape.is_fully_defined():
                validate.fail(ValueError, "x", "a batch of a fixed shape", given=str(x.shape))
            self.values = tf.Variable(
                tf.zeros([self.size] + x.shape.as_list(), x.dtype), trainable=False, name="pool"
            )
            self.count = tf.Variable(0, trainable=False, name="pool_count")
        if dry_run:
            return x, None
        full = self.count >= self.size
        chosen = keras.random.randint([], 0, self.size, seed=self.seeds)
        from_pool = keras.random.uniform([], seed=self.seeds) < self.probability
        slot = tf.where(full, chosen, self.count)
        seen = tf.where(tf.logical_and(full, from_pool), self.values[slot], x)
        return seen, (slot, x)

    def write(self, slot, x):
        """Stores `x` at `slot` (from `query`)."""
        if slot is None:
            return
        self.values.scatter_nd_update([[slot]], x[None])
        self.count.assign(tf.minimum(self.count + 1, self.size))


def cycle_consistency_loss(x, x_reconstructed, y, y_reconstructed):
    """TF-GAN's `cycle_consistency_loss`: (|x − x_reconstructed| + |y −
    y_reconstructed|) / 2, each |·| a mean over all entries (the L1 error
    normalised by the data size, as Zhu et al.'s code, so that the weight does
    not depend on the image size).
    """
    return (l1(x, x_reconstructed) + l1(y, y_reconstructed)) / 2


def l1(a, b):
    """The mean absolute difference over all entries (TF-GAN's `absolute_difference`)."""
    return tf.reduce_mean(tf.abs(tf.cast(a, b.dtype) - b))


def unpaired_batches(data, batch_size, seed):
    """`data=(x, y)` as one stream of batch pairs, each side shuffled and
    batched on its own (the sides may differ in size); placeholders as given.
    """
    if not isinstance(data, tuple) or len(data) != 2:
        validate.fail(TypeError, "data", "a pair (x, y) of unpaired observations", data)
    fed = [data_lib.is_placeholder(side) for side in data]
    if all(fed):
        return data
    if any(fed):
        validate.fail(
            TypeError, "data", "two placeholders or no placeholder", given="one placeholder"
        )
    seeds = (seed, None if seed is None else seed + 1)  # two orders, even for equal sizes
    streams = [
        data_lib.Stream(side, batch_size, s, name=f"data[{i}]")
        for i, (side, s) in enumerate(zip(data, seeds))
    ]
    return tf.data.Dataset.zip(tuple(stream.dataset for stream in streams))
