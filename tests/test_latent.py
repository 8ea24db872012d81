"""LatentInference: TF-GAN's latent GAN estimator test, inversion, projection,
frozen networks, restoring, summaries and argument errors.
"""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer

C = 1.0  # input_clip


def l1(model, target):
    return tf.reduce_sum(tf.abs(model.generated_data - target))


def mse(model, target):
    return tf.reduce_mean(tf.square(model.generated_data - target))


def clip_checked(loss_fn, c=C):
    """`loss_fn` plus an in-graph check, at every step (fused `run()` chunks
    included), that the z the step starts from lies in [−c, c].
    """

    def checked(model, target):
        z = model.generator_inputs
        check = tf.debugging.assert_less_equal(
            tf.reduce_max(tf.abs(z)), tf.cast(c, z.dtype), message="z left [-c, c]"
        )
        with tf.control_dependencies([check]):
            return tf.identity(loss_fn(model, target))

    return checked


def linear_generator(seed=0):
    """G(z) = tanh(W z), W 3 → 8 with orthonormal columns: every singular value
    of W is 1, so z is recovered from G(z) without ambiguity.
    """
    rng = np.random.default_rng(seed)
    w, _ = np.linalg.qr(rng.normal(size=(8, 3)))
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, "tanh", use_bias=False)])
    generator.layers[0].set_weights([w.T.astype(np.float32)])
    return generator


def bn_networks():
    """A generator and a discriminator with batch norm (and dropout), their
    statistics set away from the defaults, called with training=True.
    """
    generator = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(8), keras.layers.BatchNormalization()]
        + [keras.layers.Dense(4)]
    )
    discriminator = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(6), keras.layers.BatchNormalization()]
        + [keras.layers.Dropout(0.3), keras.layers.Dense(1)]
    )
    rng = np.random.default_rng(1)
    for net in (generator, discriminator):
        bn = net.layers[1]
        bn.moving_mean.assign(rng.normal(size=bn.moving_mean.shape))
        bn.moving_variance.assign(rng.uniform(0.5, 2.0, size=bn.moving_variance.shape))
    return generator, discriminator


def values(networks, checkpointed=False):
    """Every variable's value; `checkpointed`: all but dropout's random state,
    which checkpoints do not hold.
    """
    return [
        v.numpy().copy()
        for net in networks
        for v in net.variables
        if not (checkpointed and "seed_generator" in v.path)
    ]


def assert_bitwise_equal(test, before, networks, checkpointed=False):
    after = values(networks, checkpointed)
    test.assertLen(after, len(before))
    for a, b in zip(before, after):
        test.assertEqual(a.tobytes(), b.tobytes())


class LatentInferenceTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()
        keras.utils.set_random_seed(0)

    def test_tf_gan_latent_gan_estimator(self):
        """TF-GAN's test: G(z) = z × ones, target [[1, −1], [−1, 1]], L1 loss,
        Adam with learning rate 1, input_clip 1, 10 updates: z is the target
        exactly, and `ones` did not move.
        """
        target = np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32)
        ones = tf.Variable(tf.ones([2]), name="ones")
        generator = lambda z: z * ones
        inference = adinfer.LatentInference(generator, l1, target=target, z_shape=[2], input_clip=1)
        inference.initialize(n_iter=10, optimizer="adam", learning_rate=1.0, n_print=0)
        for _ in range(10):
            info = inference.update()
        self.assertEqual(info, {"t": 10, "loss": 0.0, "loss_d": 0.0})
        self.assertAllEqual(inference.z.numpy(), target)
        self.assertEqual(ones.numpy().tobytes(), np.ones(2, np.float32).tobytes())
        self.assertEqual(inference.variables, {"Gen": [inference.z]})
        # The same with the fused run().
        fused = adinfer.LatentInference(generator, l1, target=target, z_shape=[2], input_clip=1)
        fused.run(n_iter=10, learning_rate=1.0, n_print=0)
        self.assertAllEqual(fused.z.numpy(), target)
        self.assertAllEqual(fused.sample(2), target)

    def test_inversion(self):
        """G(z) = tanh(W z), W with unit singular values, target y = G(z*) for
        z* drawn in [−0.8, 0.8]³ (4 codes). The initial z (truncated normal)
        reconstructs y with mean squared error above 1e-2; 300 Adam updates
        bring it below 1e-8 and z within 1e-3 of z*. z stays in [−1, 1] at every
        step: checked in the graph of every step, inside the fused run().
        """
        generator = linear_generator()
        z_star = np.random.default_rng(2).uniform(-0.8, 0.8, size=(4, 3)).astype(np.float32)
        target = generator(z_star).numpy()
        inference = adinfer.LatentInference(
            generator, clip_checked(mse), target=target, input_clip=C
        )
        self.assertEqual(inference.z_shape, [3])  # read from the generator's input
        self.assertEqual(inference.batch_size, 4)  # read from the target
        error = lambda: float(np.mean((generator(inference.z).numpy() - target) ** 2))
        self.assertGreater(error(), 1e-2)
        inference.run(n_iter=300, n_print=100, learning_rate=0.05)
        self.assertLess(error(), 1e-8)
        self.assertAllClose(inference.z.numpy(), z_star, atol=1e-3)

    def test_projection_binds_at_every_step(self):
        """z* has coordinates ±1.5, outside [−1, 1]: each projected update leaves
        z in the box (checked after every update() and, in the graph, at the
        start of every step of the fused run()), and those coordinates end
        exactly on the bound. Without input_clip the same in-graph check fails,
        so it is live.
        """
        generator = linear_generator()
        z_star = np.array([[1.5, -0.2, 0.3], [0.1, -1.5, 0.4]], np.float32)
        target = generator(z_star).numpy()
        inference = adinfer.LatentInference(
            generator, clip_checked(mse), target=target, input_clip=C
        )
        inference.initialize(n_iter=50, learning_rate=0.1, n_print=0)
        for _ in range(50):
            inference.update()
            self.assertLessEqual(np.abs(inference.z.numpy()).max(), C)
        inference.run(n_iter=200, n_print=50, learning_rate=0.1)  # chunks of 50 fused steps
        z = inference.z.numpy()
        self.assertEqual(z[0, 0], 1.0)
        self.assertEqual(z[1, 1], -1.0)
        unclipped = adinfer.LatentInference(
            generator, clip_checked(mse), target=target, z_initializer="zeros"
        )
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "z left"):
            unclipped.run(n_iter=200, n_print=50, learning_rate=0.1)

    def test_networks_stay_frozen(self):
        """Generator and discriminator with batch norm called with training=True
        (and dropout): every variable, trainable or not, is bitwise unchanged
        after run(), update() and sample(); the optimizer has slots for z only.
        """
        generator, discriminator = bn_networks()
        gen = lambda z: generator(z, training=True)
        disc = lambda x: discriminator(x, training=True)
        before = values([generator, discriminator])
        gen(tf.ones([4, 3]))  # the check is live: a bare call moves the statistics
        self.assertNotEqual(values([generator])[4].tobytes(), before[4].tobytes())
        generator.layers[1].moving_mean.assign(before[4])
        before = values([generator, discriminator])

        def loss_fn(model, target):
            d = model.discriminator_gen_outputs
            return mse(model, target) + 0.1 * tf.reduce_mean(tf.nn.softplus(-d))

        target = np.random.default_rng(3).normal(size=(4, 4)).astype(np.float32)
        inference = adinfer.LatentInference(
            gen, loss_fn, target=target, z_shape=[3], discriminator=disc, input_clip=2.0
        )
        z0 = inference.z.numpy()
        inference.run(n_iter=20, n_print=5, optimizer="adam", learning_rate=0.1)
        inference.update()
        inference.sample(4)
        assert_bitwise_equal(self, before, [generator, discriminator])
        self.assertFalse(np.array_equal(inference.z.numpy(), z0))
        optimizer = inference.optimizers["Gen"]
        self.assertEqual(list(inference.optimizers), ["Gen"])
        slots = [v for v in optimizer.variables if v.shape.rank]
        self.assertLen(slots, 2)  # Adam's two moments of z
        for slot in slots:
            self.assertEqual(slot.shape, inference.z.shape)
        with self.assertRaisesRegex(ValueError, "variables"):
            inference.update(variables="Disc")

    @pytest.mark.slow
    def test_restore_from_gan_checkpoint(self):
        """A GANInference whose program calls an embedding network, then the
        generator, writes a checkpoint; fresh networks of the same architecture
        restored from it reproduce the trained ones exactly (the generator is
        networks/Gen/1, found by its variables).
        """
        keras.utils.set_random_seed(1)
        embed = keras.Sequential([keras.layers.Dense(5)])
        generator, discriminator = bn_networks()
        fake = lambda n: generator(embed(tf.random.normal([n, 2]))[:, :3], training=True)
        x = np.random.default_rng(4).normal(size=(64, 4)).astype(np.float32)
        gan = adinfer.GANInference({fake: x}, discriminator, batch_size=16)
        directory = os.path.join(self.get_temp_dir(), "gan")
        gan.run(n_iter=5, n_print=0, checkpoint_dir=directory)
        networks = list(gan.networks["Gen"])
        self.assertEqual(networks.index(generator), 1)

        fresh_g, fresh_d = bn_networks()
        z = tf.random.normal([4, 3])
        self.assertNotAllClose(fresh_g(z), generator(z))
        inference = adinfer.LatentInference(
            fresh_g, mse, target=np.zeros([4, 4], np.float32), discriminator=fresh_d,
            restore_from=directory,
        )  # fmt: skip
        trained = values([generator, discriminator], checkpointed=True)
        assert_bitwise_equal(self, trained, [fresh_g, fresh_d], checkpointed=True)
        self.assertAllEqual(fresh_g(z), generator(z))
        # A checkpoint path works as the directory does.
        latest = tf.train.latest_checkpoint(directory)
        other, _ = bn_networks()
        adinfer.LatentInference(other, mse, target=np.zeros([4, 4]), restore_from=latest)
        self.assertAllEqual(other(z), generator(z))
        # warm_start=False leaves the networks as they are.
        untouched, _ = bn_networks()
        before = values([untouched])
        adinfer.LatentInference(
            untouched, mse, target=np.zeros([4, 4]), restore_from=directory, warm_start=False
        )
        assert_bitwise_equal(self, before, [untouched])
        self.assertIsNotNone(inference.z)

    def test_restore_networks_of_one_shape_by_position(self):
        """Two Gen networks of the same shapes: a program calling both, in the
        same order, gets each from its own position; a single network, which
        both would fit, is an error.
        """
        dense = lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
        first, second = dense(), dense()
        x = np.zeros([16, 3], np.float32)
        gan = adinfer.GANInference(
            {lambda n: first(second(tf.random.normal([n, 3]))): x},
            keras.Sequential([keras.layers.Dense(1)]),
        )
        directory = os.path.join(self.get_temp_dir(), "gan")
        gan.run(n_iter=2, n_print=0, checkpoint_dir=directory)
        self.assertEqual(list(gan.networks["Gen"]), [first, second])
        new_first, new_second = dense(), dense()
        adinfer.LatentInference(
            lambda z: new_first(new_second(z)), mse, target=x[:2], z_shape=[3],
            restore_from=directory,
        )  # fmt: skip
        assert_bitwise_equal(self, values([first, second]), [new_first, new_second])
        with self.assertRaisesRegex(ValueError, r"networks/Gen/\[0, 1\] .* all fit"):
            adinfer.LatentInference(dense(), mse, target=x[:2], restore_from=directory)

    def test_restore_from_keras_weights(self):
        generator, _ = bn_networks()
        path = os.path.join(self.get_temp_dir(), "generator.weights.h5")
        generator.save_weights(path)
        fresh, _ = bn_networks()
        fresh.layers[0].kernel.assign(tf.zeros_like(fresh.layers[0].kernel))
        adinfer.LatentInference(fresh, mse, target=np.zeros([4, 4]), restore_from=path)
        z = tf.random.normal([4, 3])
        self.assertAllEqual(fresh(z), generator(z))

    def test_restore_names_what_does_not_fit(self):
        generator, discriminator = bn_networks()
        directory = os.path.join(self.get_temp_dir(), "gan")
        x = np.zeros([16, 4], np.float32)
        gan = adinfer.GANInference({lambda n: generator(tf.ones([n, 3])): x}, discriminator)
        gan.run(n_iter=1, n_print=0, checkpoint_dir=directory)
        wider = keras.Sequential([keras.Input((3,)), keras.layers.Dense(7), keras.layers.Dense(4)])
        before = values([wider])
        with self.assertRaisesRegex(ValueError, "restore_from: no network .* fits the generator"):
            adinfer.LatentInference(wider, mse, target=np.zeros([4, 4]), restore_from=directory)
        assert_bitwise_equal(self, before, [wider])

    def test_checkpoints_and_resume(self):
        """z, its optimizer and t are checkpointed; a new inference resumes."""
        generator = linear_generator()
        target = generator(np.full([2, 3], 0.5, np.float32)).numpy()
        directory = os.path.join(self.get_temp_dir(), "latent")
        first = adinfer.LatentInference(generator, mse, target=target)
        first.run(n_iter=10, n_print=0, learning_rate=0.05, checkpoint_dir=directory)
        second = adinfer.LatentInference(generator, mse, target=target)
        second.initialize(n_iter=10, learning_rate=0.05, checkpoint_dir=directory)
        self.assertEqual(int(second.t), 10)
        self.assertAllEqual(second.z, first.z)

    def test_summaries(self):
        """loss, gradient norm, a histogram of z and images of G(z)."""
        generator = keras.Sequential([keras.layers.Dense(16), keras.layers.Reshape((4, 4, 1))])
        target = np.zeros([3, 4, 4, 1], np.float32)
        inference = adinfer.LatentInference(generator, mse, target=target, z_shape=[2])
        logdir = self.get_temp_dir()
        inference.run(n_iter=10, n_print=5, logdir=logdir, log_timestamp=False)
        tags = {}
        for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*")):
            for record in tf.data.TFRecordDataset(path):
                event = tf.compat.v1.Event.FromString(record.numpy())
                for value in event.summary.value:
                    tags.setdefault(value.tag, []).append(event.step)
        for tag in ("loss", "gradient_norm/Gen", "z", "generated_data"):
            self.assertEqual(sorted(tags[tag]), [1, 5, 10], tag)
        self.assertNotIn("loss/discriminative", tags)

    def test_optimizer_arguments(self):
        generator = linear_generator()
        target = np.zeros([2, 8], np.float32)
        inference = adinfer.LatentInference(generator, mse, target=target)
        inference.initialize(
            optimizer="adam", learning_rate=0.3, optimizer_kwargs={"beta_1": 0.5}, n_print=0
        )
        optimizer = inference.optimizers["Gen"]
        self.assertIsInstance(optimizer, keras.optimizers.Adam)
        self.assertAllClose(float(optimizer.learning_rate), 0.3)
        self.assertAllClose(optimizer.beta_1, 0.5)
        sgd = keras.optimizers.SGD(0.1)
        inference.initialize(optimizer=sgd, n_print=0)
        self.assertIs(inference.optimizers["Gen"], sgd)
        with self.assertRaisesRegex(ValueError, "learning_rate"):
            inference.initialize(optimizer=keras.optimizers.SGD(0.1), learning_rate=0.1)
        with self.assertRaisesRegex(ValueError, "optimizer: unknown"):
            inference.initialize(optimizer="newton")
        with self.assertRaisesRegex(TypeError, "optimizer_kwargs"):
            inference.initialize(optimizer="sgd", optimizer_kwargs={"beta_9": 1.0})
        for name in ("var_list", "optimizer_d", "warm_start_from"):
            with self.assertRaisesRegex(TypeError, name):
                inference.initialize(**{name: None})

    def test_z_initializer(self):
        generator = linear_generator()
        codes = np.full([2, 3], 0.25, np.float32)
        inference = adinfer.LatentInference(
            generator, mse, target=np.zeros([2, 8]), z_initializer=lambda shape: codes
        )
        self.assertAllEqual(inference.z, codes)
        zeros = adinfer.LatentInference(
            generator, mse, target=np.zeros([2, 8]), z_initializer=keras.initializers.Zeros()
        )
        self.assertAllEqual(zeros.z, np.zeros([2, 3]))
        clipped = adinfer.LatentInference(
            generator, lambda model, _: tf.reduce_sum(model.generated_data), batch_size=2,
            z_initializer="ones", input_clip=0.5,
        )  # fmt: skip
        self.assertAllEqual(clipped.z, np.full([2, 3], 0.5))
        with self.assertRaisesRegex(ValueError, "z_initializer"):
            adinfer.LatentInference(generator, mse, batch_size=3, z_initializer=lambda s: codes)


class LatentInferenceErrorsTest(tf.test.TestCase):
    """Misuse raises a TypeError/ValueError naming the argument before any state changes."""

    def setUp(self):
        adinfer.clear_losses()
        keras.utils.set_random_seed(0)

    def test_checkpoint_dir_is_the_restore_directory(self):
        generator = linear_generator()
        directory = os.path.join(self.get_temp_dir(), "trained")
        manager = tf.train.CheckpointManager(
            tf.train.Checkpoint(networks={"Gen": [generator]}), directory, 1
        )
        manager.save()
        inference = adinfer.LatentInference(
            generator, mse, target=np.zeros([2, 8]), restore_from=directory
        )
        z = inference.z.numpy()
        files = sorted(os.listdir(directory))
        for checkpoint_dir in (directory, directory + os.sep):
            with self.assertRaisesRegex(ValueError, "checkpoint_dir .* restore_from"):
                inference.run(n_iter=5, checkpoint_dir=checkpoint_dir)
        self.assertAllEqual(inference.z, z)
        self.assertEqual(int(inference.t), 0)
        self.assertEqual(sorted(os.listdir(directory)), files)

    def test_missing_checkpoint(self):
        generator = linear_generator()
        missing = os.path.join(self.get_temp_dir(), "nothing_here")
        with self.assertRaisesRegex(ValueError, "restore_from: no checkpoint"):
            adinfer.LatentInference(generator, mse, target=np.zeros([2, 8]), restore_from=missing)
        with self.assertRaisesRegex(ValueError, "restore_from: no weights file"):
            adinfer.LatentInference(generator, mse, restore_from=missing + ".weights.h5")
        with self.assertRaisesRegex(TypeError, "restore_from"):
            adinfer.LatentInference(generator, mse, restore_from=3)

    def test_z_shape_the_generator_cannot_take(self):
        generator, _ = bn_networks()  # takes z of shape [batch, 3]
        gen = lambda z: generator(z, training=True)
        before = values([generator])
        with self.assertRaisesRegex(ValueError, r"z_shape=\[5\]"):
            adinfer.LatentInference(gen, mse, target=np.zeros([4, 4]), z_shape=[5])
        assert_bitwise_equal(self, before, [generator])
        with self.assertRaisesRegex(ValueError, "z_shape is needed"):
            adinfer.LatentInference(gen, mse, target=np.zeros([4, 4]))
        with self.assertRaisesRegex(ValueError, "z_shape"):
            adinfer.LatentInference(gen, mse, target=np.zeros([4, 4]), z_shape=[0])

    def test_loss_fn_not_a_scalar(self):
        generator, _ = bn_networks()
        gen = lambda z: generator(z, training=True)
        before = values([generator])
        per_example = lambda model, y: tf.reduce_mean(tf.square(model.generated_data - y), 1)
        with self.assertRaisesRegex(ValueError, "loss_fn must return a scalar"):
            adinfer.LatentInference(gen, per_example, target=np.zeros([4, 4]), z_shape=[3])
        assert_bitwise_equal(self, before, [generator])
        with self.assertRaisesRegex(TypeError, "loss_fn"):
            adinfer.LatentInference(gen, "mse", target=np.zeros([4, 4]), z_shape=[3])
        with self.assertRaisesRegex(TypeError, "loss_fn"):
            adinfer.LatentInference(gen, lambda m, y: None, target=np.zeros([4, 4]), z_shape=[3])

    def test_target_that_cannot_meet_the_generated_data(self):
        generator, _ = bn_networks()  # x has shape [batch, 4]
        gen = lambda z: generator(z, training=True)
        before = values([generator])
        with self.assertRaisesRegex(ValueError, r"target: .* shape \[4, 5\]"):
            adinfer.LatentInference(gen, mse, target=np.zeros([4, 5]), z_shape=[3])
        assert_bitwise_equal(self, before, [generator])
        with self.assertRaisesRegex(TypeError, "target"):
            adinfer.LatentInference(gen, mse, target=np.array(["a", "b"]), z_shape=[3])

    def test_other_arguments(self):
        generator = linear_generator()
        target = np.zeros([2, 8])
        with self.assertRaisesRegex(TypeError, "generator"):
            adinfer.LatentInference(None, mse, target=target)
        with self.assertRaisesRegex(TypeError, "discriminator"):
            adinfer.LatentInference(generator, mse, target=target, discriminator=3)
        for clip, error in ((0.0, ValueError), (-1, ValueError), ("1", TypeError)):
            with self.assertRaisesRegex(error, "input_clip"):
                adinfer.LatentInference(generator, mse, target=target, input_clip=clip)
        with self.assertRaisesRegex(TypeError, "warm_start"):
            adinfer.LatentInference(generator, mse, target=target, warm_start="yes")
        with self.assertRaisesRegex(ValueError, "batch_size"):
            adinfer.LatentInference(generator, mse, target=target, batch_size=0)
        inference = adinfer.LatentInference(generator, mse, target=target)
        with self.assertRaisesRegex(ValueError, "n_critic"):
            inference.run(n_iter=2, n_critic=1)
        self.assertEqual(int(inference.t), 0)
