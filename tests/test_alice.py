"""ALICEInference: both conditional-entropy forms against NumPy, a short toy run
that reconstructs better than BiGAN, and `encode`/`reconstruct` with `mean=True`.
"""

import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from test_bigan import Networks, np_ce

import adinfer

tfd = tfp.distributions


class CycleNetworks(Networks):
    """BiGAN's networks plus a tanh pair discriminator D_c(x, x'), in NumPy too."""

    def __init__(self, seed=0):
        super().__init__(seed=seed)
        self.cnet = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)])

    def cycle_disc(self, x, x_other):
        return self.cnet(tf.concat([x, x_other], axis=-1))

    def np_cycle_disc(self, x, x_other):
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in self.cnet.layers]
        return (np.tanh(np.concatenate([x, x_other], -1) @ w1 + b1) @ w2 + b2)[:, 0]


def objective_values(nets, **kwargs):
    x_ph = adinfer.placeholder([None, 3])
    inference = adinfer.ALICEInference(
        {nets.prior: nets.enc}, {nets.dec: x_ph}, nets.disc, **kwargs
    )
    inference.initialize(optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0))
    info = inference.update(feed_dict={x_ph: nets.x})
    return inference, info["loss"], info["loss_d"]


def bigan_reference(nets):
    d_true = nets.np_disc(nets.np_dec(nets.z), nets.z)  # D(x_fake, z_true)
    d_fake = nets.np_disc(nets.x, nets.np_enc(nets.x))  # D(x_true, z_fake)
    loss_d = np.mean(np_ce(1, d_true) + np_ce(0, d_fake))
    loss = np.mean(np_ce(0, d_true) + np_ce(1, d_fake))
    return loss, loss_d


class ALICEObjectiveTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_explicit_form_matches_numpy(self):
        nets = Networks()
        _, loss, loss_d = objective_values(nets, cycle_weight=0.7, latent_cycle_weight=0.3)
        loss_0, loss_d_0 = bigan_reference(nets)
        x_rec = nets.np_dec(nets.np_enc(nets.x))
        z_rec = nets.np_enc(nets.np_dec(nets.z))
        cycle = 0.7 * np.mean(np.sum((nets.x - x_rec) ** 2, axis=1))
        cycle_z = 0.3 * np.mean(np.sum((nets.z - z_rec) ** 2, axis=1))
        self.assertGreater(cycle, 0.1)  # the terms are not negligible at 1e-5
        self.assertGreater(cycle_z, 0.1)
        self.assertAllClose(loss, loss_0 + cycle + cycle_z, atol=1e-5)
        self.assertAllClose(loss_d, loss_d_0, atol=1e-5)  # the critic's objective is BiGAN's

    def test_adversarial_form_matches_numpy(self):
        nets = CycleNetworks()
        inference, loss, loss_d = objective_values(
            nets, cycle_weight=2.0, cycle_discriminator=nets.cycle_disc
        )
        loss_0, loss_d_0 = bigan_reference(nets)
        x_rec = nets.np_dec(nets.np_enc(nets.x))
        d_same, d_rec = nets.np_cycle_disc(nets.x, nets.x), nets.np_cycle_disc(nets.x, x_rec)
        cycle_d = 2.0 * np.mean(np_ce(1, d_same) + np_ce(0, d_rec))
        cycle = 2.0 * np.mean(np_ce(0, d_same) + np_ce(1, d_rec))
        self.assertAllClose(loss, loss_0 + cycle, atol=1e-5)
        self.assertAllClose(loss_d, loss_d_0 + cycle_d, atol=1e-5)
        # The pair discriminator is trained with the joint one, in "Disc".
        disc = {v.path for v in inference.variables["Disc"]}
        self.assertEqual(disc, {v.path for v in nets.dnet.weights + nets.cnet.weights})
        self.assertTrue(all(p.startswith("Disc/") for p in disc))

    def test_zero_weight_is_bigan(self):
        nets = Networks()
        _, loss, loss_d = objective_values(nets, cycle_weight=0.0)
        self.assertAllClose((loss, loss_d), bigan_reference(nets), atol=1e-5)

    def test_bad_arguments_raise_before_anything_changes(self):
        nets = CycleNetworks()
        x = np.zeros((4, 3), np.float32)
        with self.assertRaisesRegex(ValueError, "cycle_weight"):
            adinfer.ALICEInference(
                {nets.prior: nets.enc}, {nets.dec: x}, nets.disc, cycle_weight=-1
            )
        with self.assertRaisesRegex(ValueError, "latent_cycle_weight"):
            adinfer.ALICEInference(
                {nets.prior: nets.enc}, {nets.dec: x}, nets.disc, latent_cycle_weight=-0.5
            )
        with self.assertRaisesRegex(TypeError, "cycle_discriminator"):
            adinfer.ALICEInference(
                {nets.prior: nets.enc}, {nets.dec: x}, nets.disc, cycle_discriminator="D"
            )
        nets.cnet = keras.Sequential([keras.layers.Dense(2)])  # two logits per example
        inference = adinfer.ALICEInference(
            {nets.prior: nets.enc}, {nets.dec: x}, nets.disc, cycle_discriminator=nets.cycle_disc
        )
        with self.assertRaisesRegex(ValueError, "cycle_discriminator must return one logit"):
            inference.initialize(optimizer="sgd", optimizer_d="sgd")


class EncodeMeanTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_mean_of_a_gaussian_encoder(self):
        adinfer.clear_losses()
        keras.utils.set_random_seed(1)
        enc = keras.Sequential([keras.layers.Dense(4)])
        dec = keras.Sequential([keras.layers.Dense(3)])
        dnet = keras.Sequential([keras.layers.Dense(1)])

        def encoder(x):
            loc, raw_scale = tf.split(enc(x), 2, axis=-1)
            return tfd.Normal(loc, tf.nn.softplus(raw_scale) + 0.5)

        decoder = lambda z: tfd.Normal(dec(z), 0.3)  # noqa: E731
        x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
        inference = adinfer.BiGANInference(
            {lambda n: tf.random.normal([n, 2]): encoder},
            {decoder: x},
            lambda x, z: dnet(tf.concat([x, z], -1)),
            batch_size=4,
        )
        inference.initialize(optimizer="adam", optimizer_d="adam")
        inference.update()
        w, b = enc.layers[0].get_weights()
        loc = (x @ w + b)[:, :2]
        wd, bd = dec.layers[0].get_weights()
        # 10 examples in batches of 4: the mean is exact for each.
        self.assertAllClose(inference.encode(x, mean=True), loc, atol=1e-5)
        self.assertAllClose(inference.reconstruct(x, mean=True), loc @ wd + bd, atol=1e-5)
        # Without mean=True, draws: the scale is at least 0.5, so far from the mean.
        self.assertGreater(np.abs(inference.encode(x) - loc).max(), 0.1)
        with self.assertRaisesRegex(TypeError, "mean"):
            inference.encode(x, mean="yes")
        path = os.path.join(tempfile.mkdtemp(), "bigan")
        loaded = tf.saved_model.load(inference.export(path))
        self.assertAllClose(loaded.encode_mean(x), loc, atol=1e-5)
        self.assertAllClose(loaded.reconstruct_mean(x), loc @ wd + bd, atol=1e-5)


# ALICE's toy: 5 Gaussians at (0, 0) and (±2, ±2), covariance 0.04 I.
TOY_MEANS = np.array([[0, 0], [2, 2], [2, -2], [-2, 2], [-2, -2]], np.float32)


def toy(n, seed):
    rng = np.random.default_rng(seed)
    return (TOY_MEANS[rng.integers(0, 5, n)] + 0.2 * rng.normal(size=(n, 2))).astype(np.float32)


def toy_reconstruction_mse(cycle_weight, n_iter=600, seed=0):
    """Held-out reconstruction MSE per coordinate after a short fixed-seed run."""
    adinfer.clear_losses()
    keras.utils.set_random_seed(seed)

    def mlp(out):
        return keras.Sequential(
            [
                keras.layers.Dense(64, "relu"),
                keras.layers.Dense(64, "relu"),
                keras.layers.Dense(out),
            ]
        )

    enc, dec, dnet = mlp(2), mlp(2), mlp(1)
    inference = adinfer.ALICEInference(
        {lambda n: tf.random.normal([n, 2]): enc},
        {dec: toy(10_000, seed)},
        lambda x, z: dnet(tf.concat([x, z], -1)),
        cycle_weight=cycle_weight,
        batch_size=128,
        seed=seed,
    )
    adam = lambda: keras.optimizers.Adam(1e-3, beta_1=0.5)  # noqa: E731
    inference.run(n_iter=n_iter, n_print=0, optimizer=adam(), optimizer_d=adam())
    x_test = toy(2000, seed + 100)
    return float(np.mean((inference.reconstruct(x_test) - x_test) ** 2))


class ToyReconstructionTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_alice_reconstructs_better_than_bigan(self):
        """Same networks, seed and budget (600 updates); λ = 0 is plain BiGAN."""
        bigan, alice = toy_reconstruction_mse(0.0), toy_reconstruction_mse(1.0)
        print(f"toy reconstruction MSE per coordinate: BiGAN {bigan:.4f}, ALICE {alice:.4f}")
        # Points sent to a random mode give ~5; the nearest mode's mean 0.04.
        self.assertLess(alice, 0.5 * bigan)
        self.assertLess(alice, 0.5)
