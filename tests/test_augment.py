"""Differentiable augmentation: the transformations, and `augment=` in training."""

import keras
import numpy as np
import tensorflow as tf

import adinfer
from adinfer import augment


def images(n=6, size=8, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, size, size, channels)).astype(np.float32)


def shifted(image, dy, dx):
    """`image` moved by (dy, dx) pixels, zeros filling in (NumPy)."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = image[i - dy, j - dx]
    return out


class TransformTest(tf.test.TestCase):
    def test_translation_is_a_zero_filled_shift(self):
        """Each output image equals its input shifted by some (dy, dx) with
        |dy|, |dx| ≤ round(0.125 · 8) = 1, and the draws vary over a batch."""
        x = images(n=32)
        y = augment.translation(tf.constant(x), keras.random.SeedGenerator(0)).numpy()
        found = []
        for image, out in zip(x, y):
            matches = [
                (dy, dx)
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
                if np.array_equal(shifted(image, dy, dx), out)
            ]
            self.assertNotEmpty(matches)
            found.append(matches[0])
        self.assertGreater(len(set(found)), 3)

    def test_cutout_zeros_one_square(self):
        """Cutout (ratio 0.5 of 8) zeros at most a 4×4 square per image, in all
        channels, and leaves every other pixel as it was."""
        x = images(n=16) + 1.0  # no zero pixels before
        y = augment.cutout(tf.constant(x), keras.random.SeedGenerator(1)).numpy()
        for image, out in zip(x, y):
            zero = out[..., 0] == 0
            self.assertTrue(np.all((out == 0) == zero[..., None]))
            rows, cols = np.nonzero(zero)
            self.assertTrue(0 < zero.sum() <= 16)
            self.assertLessEqual(rows.max() - rows.min(), 3)
            self.assertLessEqual(cols.max() - cols.min(), 3)
            self.assertAllEqual(out[~zero], image[~zero])

    def test_colour_transforms(self):
        """brightness adds one constant per image; saturation keeps each pixel's
        channel mean; contrast keeps each image's mean."""
        x = tf.constant(images())
        seed = keras.random.SeedGenerator(2)
        delta = (augment.brightness(x, seed) - x).numpy()
        self.assertAllClose(delta, np.broadcast_to(delta[:, :1, :1, :1], delta.shape), atol=1e-6)
        self.assertAllClose(
            tf.reduce_mean(augment.saturation(x, seed), 3), tf.reduce_mean(x, 3), atol=1e-5
        )
        self.assertAllClose(
            tf.reduce_mean(augment.contrast(x, seed), [1, 2, 3]),
            tf.reduce_mean(x, [1, 2, 3]),
            atol=1e-5,
        )

    def test_policy(self):
        y = augment.DiffAugment("color, translation,cutout", seed=0)(tf.constant(images()))
        self.assertEqual(y.shape, (6, 8, 8, 3))
        with self.assertRaisesRegex(ValueError, "policy: unknown \\['flip'\\]"):
            augment.DiffAugment("flip")
        with self.assertRaisesRegex(ValueError, "acts on images"):
            augment.DiffAugment("color")(tf.zeros([4, 2]))


def image_gan(augmentation):
    keras.utils.set_random_seed(0)
    x = images(n=64, size=8, channels=1)
    generator = keras.Sequential([keras.layers.Dense(64), keras.layers.Reshape((8, 8, 1))])
    critic = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(1)])
    noise = keras.random.SeedGenerator(0)
    fake = lambda n: generator(keras.random.normal([n, 4], seed=noise))
    inference = adinfer.GANInference({fake: x}, critic, batch_size=16, seed=0, augment=augmentation)
    return inference, generator, x


class AugmentInTrainingTest(tf.test.TestCase):
    def test_real_and_generated_batches_both_pass_through_it(self):
        """A recording augmentation is called twice per update, on the observed
        batch first and then on the generated one, each of the full batch."""
        seen = []

        def record(x):
            seen.append(x)
            return x

        inference, _, x = image_gan(record)
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        seen.clear()
        for _ in range(3):
            inference.update()  # traced once: two calls, symbolic
        self.assertLen(seen, 2)
        self.assertTrue(all(t.shape[0] == 16 for t in seen))
        seen.clear()
        inference.objectives(tf.constant(x[:16]))  # eagerly, to read the batches
        self.assertLen(seen, 2)
        self.assertAllEqual(seen[0], x[:16])
        self.assertFalse(np.array_equal(seen[1].numpy(), x[:16]))

    def test_gradients_reach_the_generator_through_diffaugment(self):
        inference, generator, x = image_gan(augment.DiffAugment("color,translation,cutout", 0))
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        with tf.GradientTape() as tape:
            loss, _, _ = inference.objectives(tf.constant(x[:16]))
        grads = tape.gradient(loss, generator.trainable_variables)
        self.assertTrue(all(g is not None for g in grads))
        self.assertGreater(float(tf.linalg.global_norm(grads)), 0.0)
        before = [v.numpy() for v in generator.weights]
        inference.update(variables="Gen")
        self.assertNotAllClose(before[0], generator.weights[0].numpy())

    def test_arguments(self):
        with self.assertRaisesRegex(TypeError, "augment must be a callable"):
            image_gan("translation")
        x = images(n=8, channels=1)
        with self.assertRaisesRegex(ValueError, "augment with pack > 1"):
            adinfer.GANInference({lambda n: x[:n]: x}, lambda x: x, pack=2, augment=lambda x: x)
