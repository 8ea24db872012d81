"""Spectral normalization: adinfer's paper-form wrapper and Keras's layer in training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer
from adinfer.layers import SpectralNormalization


def largest_singular_value(matrix):
    matrix = np.reshape(matrix, [-1, matrix.shape[-1]])
    return np.linalg.svd(matrix, compute_uv=False)[0]


def make_gan(wrapper, gradient_penalty_weight=None):
    keras.utils.set_random_seed(0)
    noise = keras.random.SeedGenerator(1)
    x = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32) * 2.0 + 1.0
    generator = keras.Sequential([keras.layers.Dense(16, "relu"), keras.layers.Dense(2)])
    critic = keras.Sequential(
        [wrapper(keras.layers.Dense(32)), keras.layers.LeakyReLU(), wrapper(keras.layers.Dense(1))]
    )
    inference = adinfer.GANInference(
        {lambda n: generator(keras.random.normal([n, 2], seed=noise)): x},
        lambda x: critic(x, training=True),
        batch_size=64,
        seed=0,
        gradient_penalty_weight=gradient_penalty_weight,
    )
    optimizers = {
        "optimizer": keras.optimizers.Adam(1e-3, beta_1=0.5),
        "optimizer_d": keras.optimizers.Adam(1e-3, beta_1=0.5),
    }
    return inference, critic, optimizers


class SpectralNormalizationTest(tf.test.TestCase):
    def test_forward_and_gradient_are_the_reparameterization(self):
        """y = x (W / σ) + b with σ = vᵀ W u from one power-iteration round from
        the stored u, u and v constant in the gradient (Miyato et al., Alg. 1)."""
        keras.utils.set_random_seed(0)
        layer = SpectralNormalization(keras.layers.Dense(3))
        x = tf.random.normal([5, 4])
        layer.build(x.shape)
        w, b = layer.layer.kernel, layer.layer.bias
        u0 = layer.vector_u.numpy()
        with tf.GradientTape(persistent=True) as tape:
            y = layer(x, training=True)
            v = tf.stop_gradient(tf.math.l2_normalize(tf.linalg.matvec(w, u0)))
            u = tf.stop_gradient(tf.math.l2_normalize(tf.linalg.matvec(w, v, transpose_a=True)))
            sigma = tf.tensordot(v, tf.linalg.matvec(w, u), 1)
            expected = x @ (w / sigma) + b
            loss, expected_loss = tf.reduce_sum(y**2), tf.reduce_sum(expected**2)
        self.assertAllClose(y, expected, atol=1e-6)
        self.assertAllClose(tape.gradient(loss, w), tape.gradient(expected_loss, w), atol=1e-5)
        self.assertAllClose(layer.vector_u, u, atol=1e-6)  # u advanced once
        self.assertEqual(int(layer.power_iteration_count), 1)
        layer(x)  # an inference call does not advance u
        self.assertEqual(int(layer.power_iteration_count), 1)

    @pytest.mark.slow
    def test_trained_critic_has_unit_spectral_norm(self):
        """After 150 GAN updates, each normalized kernel W / σ(W) has largest
        singular value within 0.02 of 1 (σ from the stored u, against NumPy's
        SVD), while the raw kernels do not; u advanced once per critic call:
        2 per update, 3 with the gradient penalty's call."""
        for penalty, calls in ((None, 2), (1.0, 3)):
            inference, critic, optimizers = make_gan(SpectralNormalization, penalty)
            inference.run(n_iter=150, n_print=0, **optimizers)
            for layer in (critic.layers[0], critic.layers[2]):
                kernel = layer.layer.kernel.numpy()
                normalized = kernel / float(layer.sigma())
                self.assertNear(largest_singular_value(normalized), 1.0, 0.02)
                # 150 updates and the forward pass that finds the variable groups.
                self.assertEqual(int(layer.power_iteration_count), calls * 151)
            self.assertGreater(abs(largest_singular_value(critic.layers[0].layer.kernel) - 1), 0.1)

    @pytest.mark.slow
    def test_gen_update_leaves_the_critic_weights(self):
        """A "Gen" update changes no "Disc" weight with adinfer's wrapper; Keras's
        layer rewrites the kernels it normalizes, in any training call."""
        inference, critic, optimizers = make_gan(SpectralNormalization)
        inference.initialize(**optimizers)
        before = [v.numpy() for v in critic.trainable_variables]
        inference.update(variables="Gen")
        for a, b in zip(before, critic.trainable_variables):
            self.assertAllEqual(a, b)

        inference, critic, optimizers = make_gan(keras.layers.SpectralNormalization)
        inference.initialize(**optimizers)
        kernel = critic.layers[0].kernel
        before = kernel.numpy()
        inference.update(variables="Gen")
        self.assertNotAllClose(before, kernel.numpy())

    def test_keras_layer_keeps_stored_kernels_normalized(self):
        """Keras's layer works with adinfer: after training, one more training call
        leaves every stored kernel with largest singular value within 0.02 of 1."""
        inference, critic, optimizers = make_gan(keras.layers.SpectralNormalization)
        inference.run(n_iter=150, n_print=0, **optimizers)
        critic(tf.zeros([1, 2]), training=True)
        for layer in (critic.layers[0], critic.layers[2]):
            self.assertNear(largest_singular_value(layer.kernel.numpy()), 1.0, 0.02)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "power_iterations must be"):
            SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
        with self.assertRaisesRegex(ValueError, "needs a layer with a kernel"):
            SpectralNormalization(keras.layers.ReLU())(tf.zeros([1, 2]))
