"""Mixed precision: a Keras dtype policy is honoured, objectives stay float32."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer


class MixedPrecisionTest(tf.test.TestCase):
    def tearDown(self):
        keras.mixed_precision.set_dtype_policy("float32")
        super().tearDown()

    def fit_normal(self, policy):
        """N(4, 0.5) with networks computing in half precision: the variables and
        the objectives stay float32, the samples move from ~0 to within 0.3 of 4."""
        keras.mixed_precision.set_dtype_policy(policy)
        keras.utils.set_random_seed(0)
        generator = keras.Sequential([keras.layers.Dense(16, "relu"), keras.layers.Dense(1)])
        critic = keras.Sequential(
            [keras.layers.Dense(32, "tanh"), keras.layers.Dense(32, "tanh"), keras.layers.Dense(1)]
        )
        x = np.random.default_rng(1).normal(4.0, 0.5, (5000, 1)).astype(np.float32)
        noise = keras.random.SeedGenerator(0)
        fake = lambda n: generator(keras.random.normal([n, 1], seed=noise))
        inference = adinfer.GANInference({fake: x}, critic, batch_size=256, seed=0)
        self.assertGreater(abs(float(inference.sample(2000).mean()) - 4.0), 1.0)
        inference.run(
            n_iter=400,
            n_critic=5,
            n_print=0,
            optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
            optimizer_d=keras.optimizers.Adam(2e-3, beta_1=0.5),
        )
        self.assertEqual(generator.layers[0].compute_dtype, policy.split("_")[1])
        for v in generator.weights + critic.weights:
            self.assertEqual(v.dtype, "float32", v.path)
        info = inference.update()
        self.assertTrue(np.isfinite([info["loss"], info["loss_d"]]).all())
        samples = inference.sample(2000)
        self.assertEqual(samples.dtype, np.float32)
        self.assertNear(float(samples.mean()), 4.0, 0.3)
        return inference

    @pytest.mark.slow  # 4 s of CPU, among the costliest of the fast selection
    def test_bfloat16(self):
        inference = self.fit_normal("mixed_bfloat16")
        self.assertIsInstance(inference.optimizers["Gen"], keras.optimizers.Adam)

    @pytest.mark.slow  # 5 s of CPU, among the costliest of the fast selection
    def test_float16_scales_the_loss(self):
        inference = self.fit_normal("mixed_float16")
        for group in ("Gen", "Disc"):
            optimizer = inference.optimizers[group]
            self.assertIsInstance(optimizer, keras.optimizers.LossScaleOptimizer)
        # A second initialize reuses the same wrappers (no retracing).
        before = dict(inference.optimizers)
        inference.initialize(
            n_iter=1,
            optimizer=before["Gen"].inner_optimizer,
            optimizer_d=before["Disc"].inner_optimizer,
        )
        self.assertIs(inference.optimizers["Gen"], before["Gen"])
