"""Tests for adinfer.datasets."""

import itertools

import numpy as np
import tensorflow as tf

from adinfer import datasets, metrics

# 2-D isotropic Gaussian: P(||x - mu|| <= 3 std) = 1 - exp(-9 / 2).
_HQ_3STD = 1.0 - np.exp(-4.5)


class MeansTest(tf.test.TestCase):
    def test_ring_means(self):
        means = datasets.ring_means()
        self.assertEqual(means.shape, (8, 2))
        self.assertEqual(means.dtype, np.float64)
        self.assertAllClose(np.linalg.norm(means, axis=1), np.ones(8))
        self.assertAllClose(means[0], [1.0, 0.0])
        angles = np.mod(np.arctan2(means[:, 1], means[:, 0]), 2 * np.pi)
        self.assertAllClose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
        # All pairwise distances are at least the side of the regular octagon.
        d = np.linalg.norm(means[:, None] - means[None], axis=-1)
        side = 2 * np.sin(np.pi / 8)
        self.assertAllClose(d[~np.eye(8, dtype=bool)].min(), side)

    def test_ring_means_other(self):
        means = datasets.ring_means(n_modes=3, radius=2.0)
        self.assertAllClose(means, [[2, 0], [-1, np.sqrt(3)], [-1, -np.sqrt(3)]])

    def test_grid_means(self):
        means = datasets.grid_means()
        self.assertEqual(means.shape, (25, 2))
        expected = set(itertools.product([-4.0, -2.0, 0.0, 2.0, 4.0], repeat=2))
        self.assertEqual({tuple(m) for m in means}, expected)
        self.assertAllClose(
            datasets.grid_means(side=2, spacing=1.0),
            [[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]],
        )

    def test_mixture_params(self):
        means, std = datasets.mixture_params("8gaussians")
        self.assertAllClose(means, datasets.ring_means(8, 2.0) / 1.414)
        self.assertAllClose(std, 0.02 / 1.414)
        means, std = datasets.mixture_params("25gaussians")
        self.assertAllClose(means, datasets.grid_means(5, 2.0) / 2.828)
        self.assertAllClose(std, 0.05 / 2.828)
        means, std = datasets.mixture_params("ring", radius=3.0, std=0.1)
        self.assertAllClose(means, datasets.ring_means(8, 3.0))
        self.assertEqual(std, 0.1)
        means, std = datasets.mixture_params("grid")
        self.assertAllClose(means, datasets.grid_means())
        self.assertEqual(std, 0.05)
        with self.assertRaisesRegex(ValueError, "name"):
            datasets.mixture_params("moons")
        with self.assertRaisesRegex(TypeError, "radius"):
            datasets.mixture_params("8gaussians", radius=1.0)

    def test_bad_args(self):
        with self.assertRaisesRegex(ValueError, "n_modes"):
            datasets.ring_means(0)
        with self.assertRaisesRegex(TypeError, "n_modes"):
            datasets.ring_means(2.5)
        with self.assertRaisesRegex(ValueError, "radius"):
            datasets.ring_means(8, -1.0)


class SamplersTest(tf.test.TestCase):
    SAMPLERS = {
        "ring": lambda n, seed: datasets.ring(n, seed=seed),
        "grid": lambda n, seed: datasets.grid(n, seed=seed),
        "8gaussians": datasets.wgan_gp_8gaussians,
        "25gaussians": datasets.wgan_gp_25gaussians,
        "swiss_roll": lambda n, seed: datasets.swiss_roll(n, seed=seed),
    }

    def test_shapes_dtypes_and_seeds(self):
        for name, sampler in self.SAMPLERS.items():
            with self.subTest(name):
                x = sampler(100, 0)
                self.assertEqual(x.shape, (100, 2))
                self.assertEqual(x.dtype, np.float32)
                self.assertTrue(np.all(np.isfinite(x)))
                self.assertAllEqual(x, sampler(100, 0))
                self.assertFalse(np.array_equal(x, sampler(100, 1)))
                # A Generator is used as is: successive calls differ, and replaying
                # a generator with the same seed reproduces both.
                g = np.random.default_rng(5)
                a, b = sampler(50, g), sampler(50, g)
                self.assertFalse(np.array_equal(a, b))
                g = np.random.default_rng(5)
                self.assertAllEqual(a, sampler(50, g))
                self.assertAllEqual(b, sampler(50, g))
                self.assertEqual(sampler(0, 0).shape, (0, 2))

    def test_mixtures_cluster_at_modes(self):
        cases = {
            "ring": (datasets.ring(2500, seed=1), datasets.mixture_params("ring")),
            "grid": (datasets.grid(2500, seed=2), datasets.mixture_params("grid")),
            "8gaussians": (
                datasets.wgan_gp_8gaussians(2500, seed=3),
                datasets.mixture_params("8gaussians"),
            ),
            "25gaussians": (
                datasets.wgan_gp_25gaussians(2500, seed=4),
                datasets.mixture_params("25gaussians"),
            ),
        }
        for name, (x, (means, std)) in cases.items():
            with self.subTest(name):
                res = metrics.mode_coverage(x, means, std)
                self.assertEqual(res.modes_covered, len(means))
                # Expected 0.9889 (3 std in 2-D); binomial sd ~0.002 at n=2500.
                self.assertGreater(res.high_quality_fraction, _HQ_3STD - 0.01)
                self.assertLess(res.high_quality_fraction, min(1.0, _HQ_3STD + 0.01))
                # Roughly uniform mode frequencies.
                self.assertLess(res.reverse_kl, 0.05)
                # The stated std, not a different scale.
                tight = metrics.mode_coverage(x, means, std, threshold=1.0)
                self.assertAllClose(tight.high_quality_fraction, 1 - np.exp(-0.5), atol=0.03)

    def test_ring_labels_and_std(self):
        x, labels = datasets.ring(
            20000, std=0.05, n_modes=5, radius=2.0, seed=0, return_labels=True
        )
        means = datasets.ring_means(5, 2.0)
        self.assertEqual(labels.shape, (20000,))
        self.assertAllEqual(np.unique(labels), np.arange(5))
        freq = np.bincount(labels) / 20000
        self.assertAllClose(freq, np.full(5, 0.2), atol=0.015)
        resid = x - means[labels]
        self.assertAllClose(resid.mean(0), [0.0, 0.0], atol=0.002)
        self.assertAllClose(resid.std(0), [0.05, 0.05], rtol=0.03)

    def test_grid_labels_and_std(self):
        x, labels = datasets.grid(20000, std=0.1, seed=0, return_labels=True)
        resid = x - datasets.grid_means()[labels]
        self.assertAllClose(resid.std(0), [0.1, 0.1], rtol=0.03)
        self.assertEqual(len(np.unique(labels)), 25)

    def test_wgan_gp_scales(self):
        x = datasets.wgan_gp_8gaussians(20000, seed=0)
        # All points near radius 2 / 1.414.
        r = np.linalg.norm(x, axis=1)
        self.assertAllClose(np.median(r), 2 / 1.414, atol=0.005)
        x = datasets.wgan_gp_25gaussians(20000, seed=0)
        self.assertAllClose(np.abs(x).max(), 4 / 2.828, atol=0.1)
        means, std = datasets.mixture_params("25gaussians")
        nearest = np.argmin(np.linalg.norm(x[:, None] - means[None], axis=-1), axis=1)
        self.assertAllClose((x - means[nearest]).std(0), [std, std], rtol=0.03)

    def test_swiss_roll_formula(self):
        # Without noise each point is (t cos t, t sin t) / 7.5, t in
        # [1.5 pi, 4.5 pi].
        x = datasets.swiss_roll(5000, noise=0.0, seed=0).astype(np.float64)
        p = 7.5 * x
        t = np.linalg.norm(p, axis=1)
        self.assertGreaterEqual(t.min(), 1.5 * np.pi - 1e-4)
        self.assertLessEqual(t.max(), 4.5 * np.pi + 1e-4)
        self.assertAllClose(p[:, 0], t * np.cos(t), atol=1e-4)
        self.assertAllClose(p[:, 1], t * np.sin(t), atol=1e-4)
        # t is uniform on [1.5 pi, 4.5 pi].
        self.assertAllClose(t.mean(), 3 * np.pi, atol=0.1)
        # Noise: same seed, noise 0.25 => residual 0.25 N(0, 1) before scaling.
        noisy = datasets.swiss_roll(5000, noise=0.25, seed=0).astype(np.float64)
        resid = 7.5 * (noisy - x)
        self.assertAllClose(resid.std(0), [0.25, 0.25], rtol=0.05)
        self.assertAllClose(resid.mean(0), [0.0, 0.0], atol=0.02)

    def test_bad_args(self):
        with self.assertRaisesRegex(ValueError, "^n must be"):
            datasets.ring(-1)
        with self.assertRaisesRegex(TypeError, "^n must be"):
            datasets.grid(10.0)
        with self.assertRaisesRegex(ValueError, "std"):
            datasets.ring(10, std=-0.1)
        with self.assertRaisesRegex(ValueError, "noise"):
            datasets.swiss_roll(10, noise=-1.0)
        with self.assertRaisesRegex(TypeError, "seed"):
            datasets.wgan_gp_8gaussians(10, seed="abc")


if __name__ == "__main__":
    tf.test.main()
