"""TF-GAN's image-to-image semantics in adinfer (issue 28), against NumPy.

Patch logits [B, ...]: every loss and penalty averages over all elements, as
TF-GAN's losses do (`tf.compat.v1.losses` reduction SUM_BY_NONZERO_WEIGHTS with
unit weights is the mean over every element). `combine_adversarial_loss` in
both of TF-GAN's signatures; a GAN inference's `non_adversarial_loss` combined
with `weight_factor` and with `gradient_ratio` (loss value and the update it
makes); observed generator inputs; `sample(training=False)`.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from examples_loader import load_example
from test_logging import read_events

import adinfer
from adinfer import losses

RNG = np.random.default_rng(28)
PATCH = (6, 3, 3, 1)  # [batch, h, w, 1] logits of a PatchGAN
D_REAL, D_FAKE = RNG.normal(size=PATCH), RNG.normal(size=PATCH)


def ce(label, logits):  # sigmoid cross-entropy, elementwise
    return np.maximum(logits, 0) - logits * label + np.log1p(np.exp(-np.abs(logits)))


class PatchLossesTest(tf.test.TestCase):
    def test_losses_average_over_every_patch(self):
        """Each loss on [6, 3, 3, 1] logits equals TF-GAN's formula, means over
        all 54 elements (a per-example mean first would give the same only
        for these unweighted losses; the point is that nothing is refused or
        reduced differently)."""
        r, f = D_REAL, D_FAKE
        expected = {
            "modified_generator_loss": ce(1.0, f).mean(),
            "minimax_generator_loss": -ce(0.0, f).mean(),
            "wasserstein_generator_loss": -f.mean(),
            "least_squares_generator_loss": 0.5 * np.mean((f - 1.0) ** 2),
            "minimax_discriminator_loss": ce(1.0, r).mean() + ce(0.0, f).mean(),
            "wasserstein_discriminator_loss": f.mean() - r.mean(),
            "hinge_discriminator_loss": np.maximum(1 - r, 0).mean() + np.maximum(1 + f, 0).mean(),
            "least_squares_discriminator_loss": 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
        }
        for name, value in expected.items():
            self.assertAllClose(getattr(losses, name)(r, f), value, rtol=1e-5, msg=name)
        smoothed = losses.minimax_discriminator_loss(r, f, label_smoothing=0.25)
        self.assertAllClose(smoothed, ce(0.875, r).mean() + ce(0.0, f).mean(), rtol=1e-5)

    def test_penalties_of_a_patch_critic(self):
        """D(x) = tanh(v x + c) per pixel: ∇x Σ D = v (1 − tanh²); TF-GAN's slope
        is sqrt(Σ_pixels g² + 1e-10) per example, the penalty the batch mean."""
        v, c = 0.7, 0.1
        critic = lambda x: tf.tanh(v * x + c)
        x_real, x_fake = RNG.normal(size=PATCH), RNG.normal(size=PATCH)
        alpha = RNG.uniform(size=PATCH[0])
        x_hat = alpha[:, None, None, None] * x_real + (1 - alpha[:, None, None, None]) * x_fake
        grad = lambda x: v * (1 - np.tanh(v * x + c) ** 2)
        slopes = np.sqrt((grad(x_hat) ** 2).sum(axis=(1, 2, 3)) + 1e-10)
        got = losses.gradient_penalty(critic, x_real, x_fake, alpha=alpha, target=2.0)
        self.assertAllClose(got, np.mean((slopes / 2.0 - 1) ** 2), rtol=1e-5)
        r1 = np.mean((grad(x_real) ** 2).sum(axis=(1, 2, 3)))
        self.assertAllClose(losses.r1_penalty(critic, x_real), r1, rtol=1e-5)
        # A critic returning [logits, features] (a Keras model's list): the logits count.
        with_features = lambda x: [critic(x), 5.0 * x]
        self.assertAllClose(losses.r1_penalty(with_features, x_real), r1, rtol=1e-5)


class CombineSignaturesTest(tf.test.TestCase):
    def test_tf_gan_positional_and_gan_loss_forms(self):
        # losses_impl's positional order: (main, adversarial, weight_factor, gradient_ratio, ...).
        self.assertAllClose(losses.combine_adversarial_loss(2.0, 3.0, 0.5), 3.5)
        v = tf.Variable([1.0, -2.0], dtype=tf.float64)
        w = tf.Variable(3.0, dtype=tf.float64)  # a discriminator variable: not differentiated
        with tf.GradientTape(persistent=True) as tape:
            l1 = tf.reduce_sum(tf.abs(v))  # ∇v = [1, -1]
            adv = w * tf.reduce_sum(v**2)  # ∇v = 2 w v = [6, -12]
        model = losses.GANModel(*([None] * 11))._replace(generator_variables=[v])
        gan_loss = losses.GANLoss(adv, tf.constant(7.0, tf.float64))
        # tfgan.losses.combine_adversarial_loss(gan_loss, gan_model, non_adversarial_loss, ...)
        out = losses.combine_adversarial_loss(gan_loss, model, l1, weight_factor=0.25)
        self.assertIsInstance(out, losses.GANLoss)
        self.assertAllClose(out.generator_loss, 3.0 + 0.25 * 15.0)
        self.assertAllClose(out.discriminator_loss, 7.0)
        out = losses.combine_adversarial_loss(gan_loss, model, l1, gradient_ratio=2.0, tape=tape)
        a = np.sqrt(2.0) / (np.sqrt(180.0) + 1e-6) / 2.0  # over v only
        self.assertAllClose(out.generator_loss, 3.0 + a * 15.0, rtol=1e-10)
        del tape

    def test_summaries_under_a_default_writer(self):
        logdir = self.get_temp_dir()
        v = tf.Variable([1.0, 2.0])
        with tf.GradientTape(persistent=True) as tape:
            main, adv = tf.reduce_sum(v**2), tf.reduce_sum(v)
        writer = tf.summary.create_file_writer(logdir)
        with writer.as_default(step=3):
            losses.combine_adversarial_loss(main, adv, gradient_ratio=1.0, tape=tape)
        writer.close()
        tags = set(read_events(logdir))
        for tag in ("main_loss", "adversarial_loss", "main_loss_gradients"):
            self.assertTrue(any(t.endswith(tag) for t in tags), (tag, tags))


def paired_gan(gradient_ratio=None, weight_factor=None, conditional_critic=False, r1=None):
    """A linear GAN on observed inputs: G(u) = w u + b, patch critic D(x) = v x + c
    (or D(x, u) = v x + q u + c); L1 pixel loss, least squares."""
    u = RNG.normal(size=PATCH).astype("float32")
    x = (1.5 * RNG.normal(size=PATCH) + 0.5).astype("float32")
    g = [tf.Variable(0.8), tf.Variable(-0.2)]
    d = [tf.Variable(0.6), tf.Variable(0.3), tf.Variable(-0.4)]
    generator = lambda u: g[0] * u + g[1]
    critic = lambda x: d[0] * x + d[2]
    if conditional_critic:
        critic = lambda x, u: d[0] * x + d[1] * u + d[2]
    inference = adinfer.GANInference(
        {generator: x},
        critic,
        loss="least_squares",
        generator_inputs=u,
        non_adversarial_loss=lambda m: tf.reduce_mean(tf.abs(m.generated_data - m.real_data)),
        weight_factor=weight_factor,
        gradient_ratio=gradient_ratio,
        r1_penalty_weight=r1,
        batch_size=PATCH[0],  # the whole batch: its order does not matter
    )
    return inference, u.astype(np.float64), x.astype(np.float64), g, d


class NonAdversarialLossTest(tf.test.TestCase):
    def expected(self, u, x, g, d, conditional=False):
        """NumPy: L1, the least-squares generator loss and their gradients in (w, b)."""
        w, b = (float(t.numpy()) for t in g)
        v, q, c = (float(t.numpy()) for t in d)
        fake = w * u + b
        d_fake = v * fake + (q * u if conditional else 0.0) + c
        s = np.sign(fake - x)
        main, grad_main = np.abs(fake - x).mean(), np.array([(s * u).mean(), s.mean()])
        adv = 0.5 * np.mean((d_fake - 1) ** 2)
        grad_adv = np.array([((d_fake - 1) * v * u).mean(), ((d_fake - 1) * v).mean()])
        return main, grad_main, adv, grad_adv

    def check_update(self, inference, u, x, g, d, coefficient, conditional=False):
        main, grad_main, adv, grad_adv = self.expected(u, x, g, d, conditional)
        a = coefficient(grad_main, grad_adv)
        before = np.array([t.numpy() for t in g])
        info = inference.update(variables="Gen")
        self.assertAllClose(info["loss"], main + a * adv, rtol=1e-5)
        after = np.array([t.numpy() for t in g])
        self.assertAllClose(after, before - 0.1 * (grad_main + a * grad_adv), rtol=1e-5)

    def test_weight_factor(self):
        inference, u, x, g, d = paired_gan(weight_factor=0.3)
        inference.initialize(optimizer=keras.optimizers.SGD(0.1), optimizer_d="sgd")
        self.check_update(inference, u, x, g, d, lambda gm, ga: 0.3)

    @pytest.mark.slow
    def test_gradient_ratio_uses_the_generator_tape(self):
        """a = ‖∇main‖ / (‖∇adv‖ + 1e-6) / r over the "Gen" variables only (the
        critic's would change it), held constant in the update."""
        for conditional in (False, True):
            inference, u, x, g, d = paired_gan(gradient_ratio=2.0, conditional_critic=conditional)
            inference.initialize(optimizer=keras.optimizers.SGD(0.1), optimizer_d="sgd")
            ratio = lambda gm, ga: np.linalg.norm(gm) / (np.linalg.norm(ga) + 1e-6) / 2.0
            self.check_update(inference, u, x, g, d, ratio, conditional)
            self.assertEqual(inference.judges_inputs, conditional)
            # A simultaneous update takes the same ratio (both tapes, one pass).
            inference.update()

    def test_patch_critic_objective_and_r1(self):
        """loss_d of a patch critic: TF-GAN's least squares over all patches, plus
        λ_r1 mean_b Σ_pixels (∂D/∂x)² = λ_r1 · 9 v²."""
        inference, u, x, g, d = paired_gan(weight_factor=1.0, r1=0.5)
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        w, b = (float(t.numpy()) for t in g)
        v, _, c = (float(t.numpy()) for t in d)
        d_real, d_fake = v * x + c, v * (w * u + b) + c
        loss_d = 0.5 * np.mean((d_real - 1) ** 2) + 0.5 * np.mean(d_fake**2) + 0.5 * 9 * v**2
        self.assertAllClose(inference.update(variables="Disc")["loss_d"], loss_d, rtol=1e-5)

    @pytest.mark.slow
    def test_discriminator_features_reach_the_model(self):
        """D returning (patch logits, features): the losses read the logits, ℓ the
        features (feature matching, weight_factor 0.5)."""
        u = RNG.normal(size=PATCH).astype("float32")
        x = RNG.normal(size=PATCH).astype("float32")
        w, v = tf.Variable(0.5), tf.Variable(2.0)
        matching = lambda m: tf.reduce_sum(
            tf.square(
                tf.reduce_mean(m.discriminator_real_outputs[1], 0)
                - tf.reduce_mean(m.discriminator_gen_outputs[1], 0)
            )
        )
        inference = adinfer.GANInference(
            {lambda u: w * u: x},
            lambda x: (v * x, tf.tanh(x)),
            loss="least_squares",
            generator_inputs=u,
            non_adversarial_loss=matching,
            weight_factor=0.5,
            batch_size=PATCH[0],
        )
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        x64, fake = x.astype(np.float64), 0.5 * u.astype(np.float64)
        main = np.sum((np.tanh(x64).mean(0) - np.tanh(fake).mean(0)) ** 2)
        adv = 0.5 * np.mean((2.0 * fake - 1.0) ** 2)
        self.assertAllClose(inference.update(variables="Gen")["loss"], main + 0.5 * adv, rtol=1e-5)

    def test_arguments(self):
        x, u = np.zeros(PATCH, "float32"), np.zeros(PATCH, "float32")
        fake, critic = (lambda u: u), (lambda x: x)
        l1 = lambda m: tf.reduce_mean(tf.abs(m.generated_data - m.real_data))
        with self.assertRaisesRegex(ValueError, "exactly one of weight_factor and gradient_ratio"):
            adinfer.GANInference({fake: x}, critic, non_adversarial_loss=l1)
        with self.assertRaisesRegex(ValueError, "non_adversarial_loss must be given with"):
            adinfer.GANInference({fake: x}, critic, weight_factor=1.0)
        with self.assertRaisesRegex(TypeError, "generator_inputs must be an array"):
            adinfer.GANInference({fake: x}, critic, generator_inputs=(u, u))
        with self.assertRaisesRegex(TypeError, "generator_inputs must be an array"):
            adinfer.GANInference(
                {fake: tf.data.Dataset.from_tensor_slices(x)}, critic, generator_inputs=u
            )
        inference = adinfer.GANInference(
            {fake: x},
            critic,
            generator_inputs=u,
            non_adversarial_loss=lambda m: tf.abs(m.generated_data),
            weight_factor=1.0,
            batch_size=2,
        )
        with self.assertRaisesRegex(ValueError, "non_adversarial_loss must return a floating"):
            inference.initialize()
        with self.assertRaisesRegex(ValueError, "pass them, sample\\(n, u\\)"):
            inference.sample(3)


class ServingModeTest(tf.test.TestCase):
    def test_batch_norm_generator_serves_moving_statistics(self):
        """fake(n, training=True) is called with training=True while training
        (the moving mean moves) and with sample's / export's `training` when
        serving: a constant batch has batch variance 0, so training=True gives
        β exactly, training=False (γ(h − μ)/sqrt(σ² + ε) + β) something else."""
        keras.utils.set_random_seed(1)
        dense = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
        norm = keras.layers.BatchNormalization(momentum=0.5)
        hidden = tf.Variable(2.0)

        def fake(n, training=True):
            return norm(dense(tf.fill([n, 1], hidden)), training=training)

        x = np.random.default_rng(0).normal(3.0, 1.0, size=(64, 1)).astype("float32")
        inference = adinfer.GANInference({fake: x}, keras.layers.Dense(1), batch_size=16)
        inference.run(n_iter=5, n_print=0)
        mean, var = norm.moving_mean.numpy()[0], norm.moving_variance.numpy()[0]
        self.assertGreater(abs(mean), 0.1)  # training=True reached the layer
        h = float(dense(tf.fill([1, 1], hidden)).numpy()[0, 0])
        gamma, beta = norm.gamma.numpy()[0], norm.beta.numpy()[0]
        served = gamma * (h - mean) / np.sqrt(var + norm.epsilon) + beta
        self.assertGreater(abs(served - beta), 0.1)  # the two modes differ measurably
        self.assertAllClose(inference.sample(4, training=False), np.full((4, 1), served))
        path = os.path.join(self.get_temp_dir(), "served")
        inference.export(path, training=False)
        loaded = tf.saved_model.load(path)  # kept: its variables live as long as it does
        self.assertAllClose(loaded.sample(tf.constant(3)), [[served]] * 3)
        # training=True (the program's default too) normalizes with the batch's
        # statistics, and, as in Keras, moves the moving ones.
        self.assertAllClose(inference.sample(4, training=True), np.full((4, 1), beta))
        self.assertAllClose(inference.sample(4), np.full((4, 1), beta))
        with self.assertRaisesRegex(TypeError, "training must be a bool"):
            inference.sample(2, training="no")


class BiGANServingModeTest(tf.test.TestCase):
    def test_encode_and_reconstruct_take_training(self):
        """An encoder `encoder(x, training=True)` gets sample's `training`."""
        keras.utils.set_random_seed(2)
        net, dec = keras.layers.Dense(2), keras.layers.Dense(3)
        encoder = lambda x, training=True: net(x) + (0.0 if training else 100.0)
        inference = adinfer.BiGANInference(
            {lambda n: tf.random.normal([n, 2]): encoder},
            {dec: np.zeros((8, 3), "float32")},
            lambda x, z: keras.ops.sum(x, -1) + keras.ops.sum(z, -1),
            batch_size=4,
        )
        x = np.ones((3, 3), "float32")
        shift = inference.encode(x, training=False) - inference.encode(x, training=True)
        self.assertAllClose(shift, np.full((3, 2), 100.0), rtol=1e-6)
        self.assertAllClose(inference.encode(x), inference.encode(x, training=True))
        recon = inference.reconstruct(x, training=False) - inference.reconstruct(x)
        self.assertAllClose(
            recon, np.full((3, 1), 100.0) @ dec.kernel.numpy().sum(0, keepdims=True), rtol=1e-5
        )


@pytest.mark.slow
def test_pix2pix_beats_the_trivial_baselines():
    """examples/pix2pix.py on scikit-learn's digits, lower halves hidden, 600
    iterations (seed 0): held-out MAE 0.081 against 0.101 for the best trivial
    baseline (the visible half, the hidden half from the mean image); 0.150 for
    the masked input, 0.194 for the mean image."""
    pix2pix = load_example("pix2pix")
    x_train, x_test = pix2pix.load("digits", 2000, 2000)
    inference = pix2pix.train(x_train, n_iter=600, seed=0)
    scores, _ = pix2pix.errors(inference, x_train, x_test)
    print(scores)
    baseline = min(v for k, v in scores.items() if k != "pix2pix")
    assert scores["pix2pix"] < 0.9 * baseline, scores
