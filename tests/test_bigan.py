"""BiGANInference: objectives against NumPy, groups, binding errors."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer

tfd = tfp.distributions
BATCH = 5


def np_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


class Networks:
    """Linear encoder/decoder and a tanh joint discriminator, mirrored in NumPy."""

    def __init__(self, reg_g=None, reg_d=None, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.enc = keras.Sequential([keras.layers.Dense(2, kernel_regularizer=reg_g)])
        self.dec = keras.Sequential([keras.layers.Dense(3)])
        self.dnet = keras.Sequential(
            [keras.layers.Dense(4, "tanh", kernel_regularizer=reg_d), keras.layers.Dense(1)]
        )
        self.z = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.x = rng.normal(size=(BATCH, 3)).astype(np.float32)

    def prior(self, n):
        return tf.constant(self.z)[:n]

    def disc(self, x, z):
        return self.dnet(tf.concat([x, z], axis=-1))

    def np_disc(self, x, z):
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in self.dnet.layers]
        return (np.tanh(np.concatenate([x, z], -1) @ w1 + b1) @ w2 + b2)[:, 0]

    def np_enc(self, x):
        w, b = self.enc.layers[0].get_weights()
        return x @ w + b

    def np_dec(self, z):
        w, b = self.dec.layers[0].get_weights()
        return z @ w + b


def objective_values(nets, **kwargs):
    x_ph = adinfer.placeholder([None, 3])
    inference = adinfer.BiGANInference(
        {nets.prior: nets.enc}, {nets.dec: x_ph}, nets.disc, **kwargs
    )
    inference.initialize(optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0))
    info = inference.update(feed_dict={x_ph: nets.x})
    return inference, info["loss"], info["loss_d"]


class BiGANObjectiveTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def reference(self, nets):
        d_true = nets.np_disc(nets.np_dec(nets.z), nets.z)  # D(x_fake, z_true)
        d_fake = nets.np_disc(nets.x, nets.np_enc(nets.x))  # D(x_true, z_fake)
        loss_d = np.mean(np_ce(1, d_true) + np_ce(0, d_fake))
        loss = np.mean(np_ce(0, d_true) + np_ce(1, d_fake))
        return loss, loss_d

    def test_objectives_match_numpy(self):
        nets = Networks()
        _, loss, loss_d = objective_values(nets)
        expected = self.reference(nets)
        self.assertAllClose(loss, expected[0], atol=1e-5)
        self.assertAllClose(loss_d, expected[1], atol=1e-5)

    def test_regularizers_go_to_their_group(self):
        nets = Networks(reg_g=keras.regularizers.L2(0.2), reg_d=keras.regularizers.L2(0.7))
        _, loss, loss_d = objective_values(nets)
        loss_0, loss_d_0 = self.reference(nets)
        reg_g = 0.2 * np.sum(nets.enc.layers[0].kernel.numpy() ** 2)
        reg_d = 0.7 * np.sum(nets.dnet.layers[0].kernel.numpy() ** 2)
        self.assertAllClose(loss, loss_0 + reg_g, atol=1e-5)
        self.assertAllClose(loss_d, loss_d_0 + reg_d, atol=1e-5)

    def test_groups(self):
        nets = Networks()
        inference, _, _ = objective_values(nets)
        gen = {v.path for v in inference.variables["Gen"]}
        disc = {v.path for v in inference.variables["Disc"]}
        self.assertEqual(gen, {v.path for v in nets.enc.weights + nets.dec.weights})
        self.assertEqual(disc, {v.path for v in nets.dnet.weights})
        self.assertTrue(all(p.startswith("Gen/") for p in gen))
        self.assertTrue(all(p.startswith("Disc/") for p in disc))

    def test_update_groups(self):
        nets = Networks()
        inference = adinfer.BiGANInference({nets.prior: nets.enc}, {nets.dec: nets.x}, nets.disc)
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        enc_before, d_before = nets.enc.get_weights(), nets.dnet.get_weights()
        inference.update(variables="Disc")
        self.assertAllEqual(nets.enc.get_weights()[0], enc_before[0])
        self.assertNotAllClose(nets.dnet.get_weights()[0], d_before[0])
        d_before = nets.dnet.get_weights()
        inference.update(variables="Gen")
        self.assertNotAllClose(nets.enc.get_weights()[0], enc_before[0])
        self.assertAllEqual(nets.dnet.get_weights()[0], d_before[0])

    def test_distributions_as_prior_encoder_decoder(self):
        """A TFP prior and programs returning distributions are sampled."""
        enc = keras.Sequential([keras.layers.Dense(4)])
        dec = keras.Sequential([keras.layers.Dense(3)])
        prior = tfd.Independent(tfd.Normal(tf.zeros(2), 1.0), 1)

        def encoder(x):
            loc, log_scale = tf.split(enc(x), 2, axis=-1)
            return tfd.Normal(loc, tf.exp(log_scale))

        def decoder(z):
            return tfd.Normal(dec(z), 0.1)

        dnet = keras.Sequential([keras.layers.Dense(1)])
        inference = adinfer.BiGANInference(
            {prior: encoder},
            {decoder: np.ones((8, 3), np.float32)},
            lambda x, z: dnet(tf.concat([x, z], -1)),
            batch_size=4,
        )
        inference.initialize(optimizer="adam", optimizer_d="adam")
        kernel = enc.layers[0].kernel.numpy().copy()
        info = inference.update()
        self.assertEqual(info["t"], 1)
        # The encoder's scale enters through the reparameterized sample.
        self.assertNotAllClose(enc.layers[0].kernel, kernel)


class BiGANBindingTest(tf.test.TestCase):
    def test_reversed_latent_vars_are_named(self):
        """Edward's example bound {encoder: prior}; shapes tell the sides apart."""
        enc = keras.Sequential([keras.layers.Dense(3)])
        dec = keras.Sequential([keras.layers.Dense(2)])
        prior = lambda n: tf.random.normal([n, 2])
        d = lambda x, z: tf.reduce_sum(x, -1) + tf.reduce_sum(z, -1)
        inference = adinfer.BiGANInference({prior: enc}, {dec: np.ones((4, 2), np.float32)}, d)
        with self.assertRaisesRegex(
            TypeError, r"encoder's output .* shape \(4, 3\) .* prior's draws"
        ):
            inference.initialize()

    def test_latent_vars_type_errors(self):
        x = np.ones((4, 2), np.float32)
        dec = lambda z: z
        d = lambda x, z: x
        with self.assertRaisesRegex(TypeError, "latent_vars must have type dict"):
            adinfer.BiGANInference([1], {dec: x}, d)
        with self.assertRaisesRegex(TypeError, "the value must be the encoder"):
            adinfer.BiGANInference({lambda n: n: "enc"}, {dec: x}, d)
        with self.assertRaisesRegex(TypeError, "the key must be the prior"):
            adinfer.BiGANInference({3.0: dec}, {dec: x}, d)
        with self.assertRaisesRegex(ValueError, "one pair"):
            adinfer.BiGANInference({}, {dec: x}, d)


if __name__ == "__main__":
    tf.test.main()
