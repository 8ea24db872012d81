"""Penalties of GANInference and BiGANInference (gradient penalty, one-sided, target,
R1; packed inputs; a Wasserstein joint critic) against their formulas.

A linear critic D(x) = w·x + b has ∇D = w everywhere, so the gradient penalty is
λ (sqrt(‖w‖² + 1e-10) / c − 1)² ≈ λ (‖w‖ / c − 1)² (TF-GAN's `wasserstein_gradient_penalty`)
whatever interpolation coefficients were drawn, and R1 is λ ‖w‖²."""

import keras
import mirrors
import numpy as np
import pytest
import tensorflow as tf

import adinfer

BATCH = 6


def np_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def np_pack(x, m):
    return np.concatenate([x[i::m] for i in range(m)], axis=-1)


def zero_sgd():
    return dict(optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0))


class GANNets:
    """A linear generator on fixed noise and a linear (or tanh) discriminator, in NumPy too."""

    def __init__(self, kernel=None, tanh=False, in_dim=2, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.z = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.x = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.gen = keras.Sequential([keras.layers.Dense(2)])
        self.gen(self.z)
        layers = [keras.layers.Dense(4, "tanh")] if tanh else []
        self.disc = keras.Sequential(layers + [keras.layers.Dense(1)])
        self.disc(np.zeros((1, in_dim), np.float32))
        if kernel is not None:
            self.disc.layers[-1].set_weights(
                [np.asarray(kernel, np.float32).reshape(-1, 1), np.array([0.1], np.float32)]
            )

    def fake(self, n):
        return self.gen(tf.constant(self.z)[:n])

    def np_gen(self):
        w, b = self.gen.layers[0].get_weights()
        return self.z @ w + b

    def np_disc(self, x):
        return mirrors.dense_net(self.disc.layers, x)

    def np_grad_sq(self, x):
        """‖∇x D(x)‖² per sample."""
        return np.sum(mirrors.input_gradient(self.disc.layers, x) ** 2, axis=1)


def gan_values(nets, **kwargs):
    x_ph = adinfer.placeholder([None, 2])
    inference = adinfer.GANInference({nets.fake: x_ph}, nets.disc, **kwargs)
    inference.initialize(**zero_sgd())
    info = inference.update(feed_dict={x_ph: nets.x})
    return info["loss"], info["loss_d"]


class GANPenaltyTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def base(self, nets, m=1):
        d_true = nets.np_disc(np_pack(nets.x, m))
        d_fake = nets.np_disc(np_pack(nets.np_gen(), m))
        return np.mean(np_ce(1, d_fake)), np.mean(np_ce(1, d_true) + np_ce(0, d_fake))

    def check(self, kernel, expected_penalty, **kwargs):
        nets = GANNets(kernel)
        loss, loss_d = gan_values(nets, **kwargs)
        loss_0, loss_d_0 = self.base(nets)
        self.assertAllClose(loss, loss_0, atol=1e-5)  # the generator's objective: no penalty
        self.assertAllClose(loss_d, loss_d_0 + expected_penalty, atol=1e-5)

    @pytest.mark.slow
    def test_gradient_penalty(self):
        w = np.array([0.6, 1.3])  # ‖w‖ = 1.432
        norm = np.linalg.norm(w)
        self.check(w, 10.0 * (norm - 1) ** 2, gradient_penalty_weight=10.0)
        self.check(w / norm, 0.0, gradient_penalty_weight=10.0)  # unit norm: none
        self.check(w, 0.0, gradient_penalty_weight=0.0)
        self.check(w, 0.0)

    def test_target(self):
        """TF-GAN's target c divides the slope: λ (‖w‖ / c − 1)² = λ (‖w‖ − c)² / c²."""
        w = np.array([0.6, 1.3])
        norm = np.linalg.norm(w)
        self.check(
            w,
            2.0 * (norm / 3.0 - 1.0) ** 2,
            gradient_penalty_weight=2.0,
            gradient_penalty_target=3.0,
        )
        self.check(
            w,
            2.0 * (norm / 0.5 - 1.0) ** 2,
            gradient_penalty_weight=2.0,
            gradient_penalty_target=0.5,
        )
        # c = 0 has no meaning when the slope is divided by c.
        with self.assertRaisesRegex(ValueError, "target"):
            gan_values(GANNets(w), gradient_penalty_weight=2.0, gradient_penalty_target=0.0)

    @pytest.mark.slow
    def test_one_sided(self):
        w = np.array([0.6, 1.3])
        norm = np.linalg.norm(w)
        # Above the target: as the two-sided penalty; below it: zero (two-sided would not be).
        self.check(
            w, 5.0 * (norm - 1.0) ** 2, gradient_penalty_weight=5.0, gradient_penalty_one_sided=True
        )
        self.check(
            w,
            0.0,
            gradient_penalty_weight=5.0,
            gradient_penalty_one_sided=True,
            gradient_penalty_target=2.0,
        )
        self.check(
            w,
            5.0 * (norm / 2.0 - 1.0) ** 2,
            gradient_penalty_weight=5.0,
            gradient_penalty_target=2.0,
        )

    def test_r1(self):
        w = np.array([0.6, 1.3])
        self.check(w, 0.5 * np.sum(w**2), r1_penalty_weight=0.5)
        self.check(
            w,
            0.5 * np.sum(w**2) + 3.0 * (np.linalg.norm(w) - 1) ** 2,
            r1_penalty_weight=0.5,
            gradient_penalty_weight=3.0,
        )

    def test_r1_nonlinear_is_on_real_data(self):
        """R1 = mean ‖∇x D(x_true)‖², exact for a tanh discriminator (no interpolation)."""
        nets = GANNets(tanh=True, seed=2)
        loss, loss_d = gan_values(nets, r1_penalty_weight=0.7)
        loss_0, loss_d_0 = self.base(nets)
        r1_real = 0.7 * np.mean(nets.np_grad_sq(nets.x))
        r1_fake = 0.7 * np.mean(nets.np_grad_sq(nets.np_gen()))
        self.assertGreater(abs(r1_real - r1_fake), 1e-3)
        self.assertAllClose(loss_d, loss_d_0 + r1_real, atol=1e-5)
        self.assertAllClose(loss, loss_0, atol=1e-5)

    @pytest.mark.slow
    def test_packed_inputs(self):
        """pack=2: D sees [x_2i, x_2i+1] (4 features), and so do the penalties: a linear D
        on packed inputs has ∇D = w ∈ R⁴."""
        w = np.array([0.6, 1.3, -0.4, 0.9])
        norm = np.linalg.norm(w)
        for kwargs, penalty in (
            (dict(gradient_penalty_weight=10.0), 10.0 * (norm - 1) ** 2),
            (dict(r1_penalty_weight=0.5), 0.5 * norm**2),
            (
                dict(
                    gradient_penalty_weight=1.0,
                    gradient_penalty_target=3.0,
                    gradient_penalty_one_sided=True,
                ),
                0.0,
            ),
        ):
            nets = GANNets(w, in_dim=4)
            loss, loss_d = gan_values(nets, pack=2, **kwargs)
            loss_0, loss_d_0 = self.base(nets, m=2)
            self.assertAllClose(loss, loss_0, atol=1e-5)
            self.assertAllClose(loss_d, loss_d_0 + penalty, atol=1e-5)

    def test_penalty_argument_errors(self):
        nets = GANNets()
        for kwargs, error in (
            (dict(gradient_penalty_weight=-1.0), ValueError),
            (dict(gradient_penalty_weight="1"), TypeError),
            (dict(gradient_penalty_target=-0.5), ValueError),
            (dict(gradient_penalty_target=None), TypeError),
            (dict(gradient_penalty_one_sided=1), TypeError),
            (dict(r1_penalty_weight=float("inf")), ValueError),
            (dict(r1_penalty_weight=[1.0]), TypeError),
        ):
            (name,) = kwargs
            with self.assertRaisesRegex(error, name):
                adinfer.GANInference({nets.fake: nets.x}, nets.disc, **kwargs)
            with self.assertRaisesRegex(error, name):
                adinfer.BiGANInference(
                    {lambda n: tf.zeros([n, 2]): nets.gen},
                    {nets.gen: nets.x},
                    lambda x, z: x,
                    **kwargs,
                )


class BiGANNets:
    """Linear encoder/decoder and a joint critic D(x, z) = dnet([x, z]), in NumPy too."""

    def __init__(self, kernel=None, tanh=False, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.enc = keras.Sequential([keras.layers.Dense(2)])
        self.dec = keras.Sequential([keras.layers.Dense(3)])
        self.dnet = keras.Sequential(
            ([keras.layers.Dense(4, "tanh")] if tanh else []) + [keras.layers.Dense(1)]
        )
        self.z = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.x = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.enc(self.x), self.dec(self.z), self.dnet(np.zeros((1, 5), np.float32))
        if kernel is not None:
            self.dnet.layers[-1].set_weights(
                [np.asarray(kernel, np.float32).reshape(-1, 1), np.array([-0.3], np.float32)]
            )

    def prior(self, n):
        return tf.constant(self.z)[:n]

    def disc(self, x, z):
        return self.dnet(tf.concat([x, z], axis=-1))

    def np_disc(self, x, z):
        h = np.concatenate([x, z], -1)
        if len(self.dnet.layers) == 2:
            w, b = self.dnet.layers[0].get_weights()
            h = np.tanh(h @ w + b)
        w, b = self.dnet.layers[-1].get_weights()
        return (h @ w + b)[:, 0]

    def np_grad_sq(self, x, z):
        (w1, b1), (w2, _) = [layer.get_weights() for layer in self.dnet.layers]
        h = np.tanh(np.concatenate([x, z], -1) @ w1 + b1)
        return np.sum((((1 - h**2) * w2[:, 0]) @ w1.T) ** 2, axis=1)

    def np_sides(self):
        """(x_fake, z_true) and (x_true, z_fake)."""
        w, b = self.dec.layers[0].get_weights()
        x_fake = self.z @ w + b
        w, b = self.enc.layers[0].get_weights()
        return (x_fake, self.z), (self.x, self.x @ w + b)


def bigan_values(nets, **kwargs):
    x_ph = adinfer.placeholder([None, 3])
    inference = adinfer.BiGANInference(
        {nets.prior: nets.enc}, {nets.dec: x_ph}, nets.disc, **kwargs
    )
    inference.initialize(**zero_sgd())
    info = inference.update(feed_dict={x_ph: nets.x})
    return info["loss"], info["loss_d"]


class BiGANWassersteinTest(tf.test.TestCase):
    """loss="wasserstein" with a gradient penalty on the joint critic:

    loss_d = mean(D(x_true, z_fake)) − mean(D(x_fake, z_true)) + λ mean((‖∇(x̂, ẑ) D‖ − 1)²)
    loss   = mean(D(x_fake, z_true)) − mean(D(x_true, z_fake))
    """

    def setUp(self):
        adinfer.clear_losses()

    def test_objectives_match_formulas(self):
        w = np.array([0.6, 1.3, -0.4, 0.9, 0.5])  # over the concatenated (x, z): 3 + 2
        norm = np.linalg.norm(w)
        nets = BiGANNets(w)
        real, fake = nets.np_sides()
        d_real, d_fake = nets.np_disc(*real), nets.np_disc(*fake)
        for weight in (10.0, 0.0):
            loss, loss_d = bigan_values(nets, loss="wasserstein", gradient_penalty_weight=weight)
            self.assertAllClose(
                loss_d, d_fake.mean() - d_real.mean() + weight * (norm - 1) ** 2, atol=1e-5
            )
            self.assertAllClose(loss, d_real.mean() - d_fake.mean(), atol=1e-5)
        # The norm is taken jointly over x and z: with w_x alone of unit norm, still penalised.
        w_unit_x = np.concatenate([w[:3] / np.linalg.norm(w[:3]), w[3:]])
        nets = BiGANNets(w_unit_x)
        real, fake = nets.np_sides()
        d_real, d_fake = nets.np_disc(*real), nets.np_disc(*fake)
        _, loss_d = bigan_values(nets, loss="wasserstein", gradient_penalty_weight=10.0)
        joint = 10.0 * (np.linalg.norm(w_unit_x) - 1) ** 2
        self.assertGreater(joint, 0.5)
        self.assertAllClose(loss_d, d_fake.mean() - d_real.mean() + joint, atol=1e-5)

    @pytest.mark.slow
    def test_interpolates_between_the_two_pairs(self):
        """A tanh critic: the penalty lies between the per-pair minima and maxima over ε of
        (‖∇D(ε (x_fake, z_true) + (1 − ε)(x_true, z_fake))‖ − 1)², and R1 is at (x_fake, z_true)."""
        nets = BiGANNets(tanh=True, seed=3)
        nets.dnet.layers[0].set_weights([w * 3.0 for w in nets.dnet.layers[0].get_weights()])
        real, fake = nets.np_sides()
        base = nets.np_disc(*fake).mean() - nets.np_disc(*real).mean()
        eps = np.linspace(0, 1, 2001)[:, None, None]
        per_pair = np.stack(
            [
                (
                    np.sqrt(
                        nets.np_grad_sq(
                            e * real[0] + (1 - e) * fake[0], e * real[1] + (1 - e) * fake[1]
                        )
                    )
                    - 1
                )
                ** 2
                for e in eps
            ]
        )
        low, high = per_pair.min(0).mean(), per_pair.max(0).mean()
        self.assertGreater(high - low, 0.05)
        for seed in range(3):
            tf.random.set_seed(seed)
            _, loss_d = bigan_values(nets, loss="wasserstein", gradient_penalty_weight=1.0)
            self.assertBetween(loss_d - base, low - 1e-4, high + 1e-4)
        _, loss_d = bigan_values(nets, loss="wasserstein", r1_penalty_weight=1.0)
        r1 = np.mean(nets.np_grad_sq(*real))
        self.assertGreater(abs(r1 - np.mean(nets.np_grad_sq(*fake))), 1e-3)
        self.assertAllClose(loss_d, base + r1, atol=1e-5)

    @pytest.mark.slow
    def test_trains(self):
        """WGAN-GP BiGAN: 50 iterations of 5 critic + 1 generator updates, all finite."""
        keras.utils.set_random_seed(0)
        x_train = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
        encoder = keras.Sequential([keras.layers.Dense(16, "relu"), keras.layers.Dense(2)])
        decoder = keras.Sequential([keras.layers.Dense(16, "relu"), keras.layers.Dense(2)])
        joint = keras.Sequential([keras.layers.Dense(32, "relu"), keras.layers.Dense(1)])
        inference = adinfer.BiGANInference(
            {lambda n: tf.random.normal([n, 2]): encoder},
            {decoder: x_train},
            lambda x, z: joint(tf.concat([x, z], -1)),
            loss="wasserstein",
            gradient_penalty_weight=10.0,
            batch_size=64,
            seed=0,
        )
        inference.run(
            n_iter=50,
            n_print=0,
            n_critic=5,
            optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
            optimizer_d=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
        )
        self.assertEqual(int(inference.t), 300)
        info = inference.update()
        self.assertTrue(np.isfinite(info["loss"]) and np.isfinite(info["loss_d"]), info)
        weights = encoder.get_weights() + decoder.get_weights() + joint.get_weights()
        self.assertTrue(all(np.all(np.isfinite(w)) for w in weights))


if __name__ == "__main__":
    tf.test.main()
