"""PacGAN packing (`pack=m`): shapes the discriminator receives, objectives
against NumPy for GAN and BiGAN, image-shaped inputs, and argument errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer
from adinfer.inferences.critics import pack

BATCH = 6


def np_ce(labels, logits):
    """sigmoid cross-entropy, the stable form, independently of TF."""
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def np_pack(x, m):
    """[x_0 x_1 ... x_{m-1}], [x_m ...], ... concatenated along the last axis."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    return np.concatenate([x[i::m] for i in range(m)], axis=-1)


def dense_np(layer, x):
    w, b = layer.get_weights()
    return x @ w + b


class Recorder:
    """A discriminator wrapper remembering the static shapes of its inputs."""

    def __init__(self, net):
        self.net = net
        self.shapes = []

    def __call__(self, *inputs):
        self.shapes.append(tuple(tuple(x.shape) for x in inputs))
        return self.net(*inputs)


class GANNets:
    """Linear/tanh generator and discriminator with fixed (seeded) weights."""

    def __init__(self, m, x_shape=(2,), seed=0):
        keras.utils.set_random_seed(seed)
        self.x_shape = x_shape
        width = int(np.prod(x_shape))
        rng = np.random.default_rng(seed)
        self.z = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.x = rng.normal(size=(BATCH,) + x_shape).astype(np.float32)
        self.gen = keras.Sequential(
            [
                keras.layers.Dense(4, "tanh"),
                keras.layers.Dense(width),
                keras.layers.Reshape(x_shape),
            ]
        )
        self.disc_net = keras.Sequential(
            [keras.layers.Flatten(), keras.layers.Dense(5, "tanh"), keras.layers.Dense(1)]
        )
        self.disc = Recorder(self.disc_net)

    def fake(self, n):
        return self.gen(tf.constant(self.z)[:n])

    def np_gen(self):
        h = np.tanh(dense_np(self.gen.layers[0], self.z))
        return dense_np(self.gen.layers[1], h).reshape((BATCH,) + self.x_shape)

    def np_disc(self, x):
        x = x.reshape(len(x), -1)
        return dense_np(self.disc_net.layers[2], np.tanh(dense_np(self.disc_net.layers[1], x)))[
            :, 0
        ]


def zero_sgd():
    return dict(optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0))


class PackFunctionTest(tf.test.TestCase):
    def test_rank_2_concatenates_consecutive_samples(self):
        x = np.arange(12, dtype=np.float32).reshape(6, 2)
        self.assertAllEqual(pack(x, 2), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
        self.assertAllEqual(pack(x, 3), np_pack(x, 3))
        self.assertAllEqual(pack(x, 1), x)

    def test_rank_1_becomes_columns(self):
        x = np.arange(6, dtype=np.float32)
        self.assertAllEqual(pack(x, 2), [[0, 1], [2, 3], [4, 5]])

    def test_images_concatenate_channels(self):
        x = np.random.default_rng(0).normal(size=(4, 3, 5, 2)).astype(np.float32)
        packed = pack(x, 2)
        self.assertEqual(packed.shape, (2, 3, 5, 4))
        self.assertAllEqual(packed, np.concatenate([x[0::2], x[1::2]], axis=-1))
        self.assertAllEqual(packed[1, ..., :2], x[2])
        self.assertAllEqual(packed[1, ..., 2:], x[3])


class GANPackTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def objective_values(self, nets, m):
        """Objectives on the fed batch nets.x (in order), read with SGD(0.0)."""
        x_ph = adinfer.placeholder([None] + list(nets.x_shape))
        # batch_size: the size of the batch the networks are first built with.
        inference = adinfer.GANInference({nets.fake: x_ph}, nets.disc, pack=m, batch_size=BATCH)
        inference.initialize(**zero_sgd())
        nets.disc.shapes.clear()
        info = inference.update(feed_dict={x_ph: nets.x})
        return info["loss"], info["loss_d"]

    def received_shapes(self, nets, m):
        """Static shapes the discriminator receives when training on an array."""
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=m, batch_size=BATCH)
        inference.initialize(**zero_sgd())
        nets.disc.shapes.clear()
        inference.update()
        return nets.disc.shapes

    def check_objectives(self, nets, m, loss, loss_d):
        d_true = nets.np_disc(np_pack(nets.x, m))
        d_fake = nets.np_disc(np_pack(nets.np_gen(), m))
        self.assertEqual(d_true.shape, (BATCH // m,))
        self.assertAllClose(
            loss_d, np.mean(np_ce(1, d_true)) + np.mean(np_ce(0, d_fake)), atol=1e-5
        )
        self.assertAllClose(loss, np.mean(np_ce(1, d_fake)), atol=1e-5)

    @pytest.mark.slow
    def test_pack_2_doubles_width_and_matches_numpy(self):
        nets = GANNets(2)
        # One trace of the update: the real batch, then the generated batch.
        self.assertEqual(self.received_shapes(nets, 2), [((BATCH // 2, 4),), ((BATCH // 2, 4),)])
        self.assertEqual(nets.disc_net.layers[1].kernel.shape, (4, 5))
        loss, loss_d = self.objective_values(nets, 2)
        self.assertEqual(nets.disc.shapes, [((None, 4),), ((None, 4),)])  # fed: batch unknown
        self.check_objectives(nets, 2, loss, loss_d)

    def test_pack_3_matches_numpy(self):
        nets = GANNets(3, seed=2)
        self.assertEqual(self.received_shapes(nets, 3), [((BATCH // 3, 6),)] * 2)
        loss, loss_d = self.objective_values(nets, 3)
        self.check_objectives(nets, 3, loss, loss_d)

    def test_pack_1_is_unpacked(self):
        nets = GANNets(1, seed=3)
        self.assertEqual(self.received_shapes(nets, 1), [((BATCH, 2),)] * 2)
        loss, loss_d = self.objective_values(nets, 1)
        self.check_objectives(nets, 1, loss, loss_d)

    def test_images_pack_along_channels(self):
        nets = GANNets(2, x_shape=(3, 3, 2), seed=4)
        # [b, h, w, c] -> [b / 2, h, w, 2c]
        self.assertEqual(self.received_shapes(nets, 2), [((BATCH // 2, 3, 3, 4),)] * 2)
        self.assertEqual(nets.disc_net.layers[1].kernel.shape, (36, 5))
        loss, loss_d = self.objective_values(nets, 2)
        self.check_objectives(nets, 2, loss, loss_d)

    def test_training_step_runs_packed(self):
        nets = GANNets(2, seed=5)
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=2, batch_size=BATCH)
        inference.run(n_iter=3, n_print=0, optimizer="sgd", optimizer_d="sgd")
        self.assertEqual(int(inference.t), 3)

    def test_pack_must_divide_batch_size(self):
        nets = GANNets(2)
        with self.assertRaisesRegex(ValueError, "multiple of pack"):
            adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=4, batch_size=BATCH)
        with self.assertRaisesRegex(ValueError, "multiple of pack"):
            adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=5, batch_size=BATCH)

    def test_pack_must_be_positive_int(self):
        nets = GANNets(2)
        for bad in (0, -2):
            with self.assertRaisesRegex(ValueError, "pack must be a positive int"):
                adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=bad, batch_size=BATCH)
        for bad in (1.5, True, "2"):  # the wrong kind of value: a TypeError
            with self.assertRaisesRegex(TypeError, "pack must be an int"):
                adinfer.GANInference({nets.fake: nets.x}, nets.disc, pack=bad, batch_size=BATCH)


class BiGANNets:
    """Linear/tanh encoder, decoder and joint discriminator with fixed weights."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.z = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.x = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.enc = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(2)])
        self.dec = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(3)])
        self.joint = keras.Sequential([keras.layers.Dense(5, "tanh"), keras.layers.Dense(1)])
        self.disc = Recorder(lambda x, z: self.joint(tf.concat([x, z], axis=-1)))
        self.disc.joint = self.joint  # reachable by adinfer's layer discovery

    def prior(self, n):
        return tf.constant(self.z)[:n]

    @staticmethod
    def np_mlp(net, x):
        return dense_np(net.layers[1], np.tanh(dense_np(net.layers[0], x)))

    def np_disc(self, x, z):
        return self.np_mlp(self.joint, np.concatenate([x, z], axis=-1))[:, 0]


class BiGANPackTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_pack_2_doubles_widths_and_matches_numpy(self):
        nets = BiGANNets()
        x_ph = adinfer.placeholder([None, 3])
        inference = adinfer.BiGANInference(
            {nets.prior: nets.enc}, {nets.dec: x_ph}, nets.disc, pack=2
        )
        inference.initialize(**zero_sgd())
        nets.disc.shapes.clear()
        info = inference.update(feed_dict={x_ph: nets.x})
        # (x, z) pairs arrive packed: x width 2 * 3, z width 2 * 2.
        widths = [tuple(shape[-1] for shape in call) for call in nets.disc.shapes]
        self.assertEqual(widths, [(6, 4), (6, 4)])
        self.assertEqual(nets.joint.layers[0].kernel.shape, (10, 5))

        x_fake = nets.np_mlp(nets.dec, nets.z)
        z_fake = nets.np_mlp(nets.enc, nets.x)
        d_true = nets.np_disc(np_pack(x_fake, 2), np_pack(nets.z, 2))  # (decoder(z), z): label 1
        d_fake = nets.np_disc(np_pack(nets.x, 2), np_pack(z_fake, 2))  # (x, encoder(x)): label 0
        self.assertEqual(d_true.shape, (BATCH // 2,))
        self.assertAllClose(
            info["loss_d"], np.mean(np_ce(1, d_true)) + np.mean(np_ce(0, d_fake)), atol=1e-5
        )
        self.assertAllClose(
            info["loss"], np.mean(np_ce(0, d_true)) + np.mean(np_ce(1, d_fake)), atol=1e-5
        )

    def test_pack_must_divide_batch_size(self):
        nets = BiGANNets()
        with self.assertRaisesRegex(ValueError, "multiple of pack"):
            adinfer.BiGANInference(
                {nets.prior: nets.enc}, {nets.dec: nets.x}, nets.disc, pack=4, batch_size=BATCH
            )
        with self.assertRaisesRegex(ValueError, "pack must be a positive int"):
            adinfer.BiGANInference(
                {nets.prior: nets.enc}, {nets.dec: nets.x}, nets.disc, pack=0, batch_size=BATCH
            )
