"""Tests for adinfer.metrics against independent NumPy/SciPy references."""

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import tensorflow as tf

from adinfer import datasets, metrics

# ---------------------------------------------------------------------------
# Independent NumPy references.
# ---------------------------------------------------------------------------


def np_frechet(x, y):
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def np_mmd2_unbiased(x, y):
    d = x.shape[1]
    kern = lambda a, b: (a @ b.T / d + 1.0) ** 3
    m, n = len(x), len(y)
    kxx, kyy, kxy = kern(x, x), kern(y, y), kern(x, y)
    # Explicit double loop over i != j for the within-set terms.
    sxx = sum(kxx[i, j] for i in range(m) for j in range(m) if i != j)
    syy = sum(kyy[i, j] for i in range(n) for j in range(n) if i != j)
    return sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2 * kxy.mean()


def np_classifier_score(logits):
    p = scipy.special.softmax(logits.astype(np.float64), axis=1)
    q = p.mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(np.exp(terms.sum(1).mean()))


def correlated_features(rng, n, d, shift=0.0):
    a = rng.normal(size=(d, d))
    return rng.normal(size=(n, d)) @ a + shift


class FrechetDistanceTest(tf.test.TestCase):
    def test_matches_scipy_independent(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 8))
        y = 1.5 * rng.normal(size=(200, 8)) + 0.3
        fd = metrics.frechet_distance(x, y)
        self.assertIsInstance(fd, tf.Tensor)
        self.assertEqual(fd.dtype, tf.float64)
        self.assertEqual(fd.shape, ())
        self.assertAllClose(fd, np_frechet(x, y), rtol=1e-4, atol=0)

    def test_matches_scipy_correlated_unequal_sizes(self):
        rng = np.random.default_rng(1)
        x = correlated_features(rng, 300, 8)
        y = correlated_features(rng, 150, 8, shift=0.5)
        self.assertAllClose(metrics.frechet_distance(x, y), np_frechet(x, y), rtol=1e-4, atol=0)

    def test_float32_input_computed_in_float64(self):
        rng = np.random.default_rng(2)
        x = correlated_features(rng, 200, 8).astype(np.float32)
        y = correlated_features(rng, 200, 8).astype(np.float32)
        ref = np_frechet(x.astype(np.float64), y.astype(np.float64))
        fd = metrics.frechet_distance(tf.constant(x), tf.constant(y))
        self.assertEqual(fd.dtype, tf.float64)
        self.assertAllClose(fd, ref, rtol=1e-6, atol=0)

    def test_identical_sets_give_zero(self):
        rng = np.random.default_rng(3)
        x = correlated_features(rng, 200, 8)
        scale = np.trace(np.cov(x, rowvar=False))
        fd = float(metrics.frechet_distance(x, x))
        self.assertLess(abs(fd), 1e-6 * scale)

    def test_symmetric(self):
        rng = np.random.default_rng(4)
        x = correlated_features(rng, 200, 6)
        y = correlated_features(rng, 100, 6, shift=1.0)
        self.assertAllClose(
            metrics.frechet_distance(x, y), metrics.frechet_distance(y, x), rtol=1e-9
        )

    def test_pure_mean_shift(self):
        rng = np.random.default_rng(5)
        x = correlated_features(rng, 200, 8)
        shift = rng.normal(size=8)
        fd = float(metrics.frechet_distance(x, x + shift))
        self.assertGreater(fd, 0.0)
        self.assertAllClose(fd, np.sum(shift**2), rtol=1e-6)

    def test_rank_deficient_covariance(self):
        # n < d: singular covariances; still finite and matches scipy.
        rng = np.random.default_rng(6)
        x = rng.normal(size=(5, 8))
        y = rng.normal(size=(6, 8)) + 1.0
        fd = float(metrics.frechet_distance(x, y))
        self.assertTrue(np.isfinite(fd))
        self.assertAllClose(fd, np_frechet(x, y), rtol=1e-4)

    @pytest.mark.slow
    def test_tf_function_unknown_batch(self):
        rng = np.random.default_rng(7)
        x = rng.normal(size=(50, 4))
        y = rng.normal(size=(40, 4)) * 2.0
        spec = tf.TensorSpec([None, 4], tf.float64)
        fn = tf.function(metrics.frechet_distance, input_signature=[spec, spec])
        self.assertAllClose(fn(x, y), np_frechet(x, y), rtol=1e-4)

    def test_bad_inputs(self):
        x = np.zeros((10, 3))
        with self.assertRaisesRegex(ValueError, "features_1.*rank-2"):
            metrics.frechet_distance(np.zeros(10), x)
        with self.assertRaisesRegex(ValueError, "features_2.*rank-2"):
            metrics.frechet_distance(x, np.zeros((2, 3, 4)))
        with self.assertRaisesRegex(ValueError, "same number of features"):
            metrics.frechet_distance(x, np.zeros((10, 4)))
        with self.assertRaisesRegex(ValueError, "features_2.*at least 2"):
            metrics.frechet_distance(x, np.zeros((1, 3)))
        with self.assertRaisesRegex(TypeError, "features_1"):
            metrics.frechet_distance("abc", x)
        with self.assertRaisesRegex(TypeError, "features_2"):
            metrics.frechet_distance(x, np.zeros((10, 3), dtype=bool))


class FrechetFromSamplesTest(tf.test.TestCase):
    def test_matches_full_computation_and_batches(self):
        rng = np.random.default_rng(10)
        w = tf.constant(rng.normal(size=(5, 4)), tf.float32)
        seen = []

        def feature_fn(batch):
            seen.append(int(batch.shape[0]))
            return tf.tanh(tf.matmul(tf.cast(batch, tf.float32), w))

        s1 = rng.normal(size=(103, 5)).astype(np.float32)
        s2 = (rng.normal(size=(61, 5)) + 0.5).astype(np.float32)
        fd = metrics.frechet_distance_from_samples(s1, s2, feature_fn, batch_size=20)
        self.assertLessEqual(max(seen), 20)
        self.assertEqual(sum(seen), 103 + 61)
        ref = np_frechet(
            feature_fn(s1).numpy().astype(np.float64), feature_fn(s2).numpy().astype(np.float64)
        )
        self.assertAllClose(fd, ref, rtol=1e-4)

    def test_bad_inputs(self):
        x = np.zeros((10, 3))
        with self.assertRaisesRegex(TypeError, "feature_fn"):
            metrics.frechet_distance_from_samples(x, x, None)
        with self.assertRaisesRegex(ValueError, "batch_size"):
            metrics.frechet_distance_from_samples(x, x, lambda b: b, batch_size=0)


class KernelDistanceTest(tf.test.TestCase):
    def test_single_block_matches_numpy(self):
        rng = np.random.default_rng(20)
        x = rng.normal(size=(30, 5))
        y = rng.normal(size=(25, 5)) * 1.3 + 0.2
        mean, std = metrics.kernel_distance(x, y)
        self.assertEqual(mean.dtype, tf.float64)
        self.assertAllClose(mean, np_mmd2_unbiased(x, y), rtol=1e-10)
        self.assertTrue(np.isnan(std.numpy()))  # a single block has no std
        only_mean = metrics.kernel_distance(x, y, return_std=False)
        self.assertIsInstance(only_mean, tf.Tensor)
        self.assertAllClose(only_mean, mean)

    def test_blocks_match_numpy(self):
        rng = np.random.default_rng(21)
        x = rng.normal(size=(10, 3))
        y = rng.normal(size=(7, 3)) + 0.5
        # ceil(10 / 4) = 3 blocks; TF-GAN's sizes [3, 3, 4] and [2, 2, 3].
        mean, std = metrics.kernel_distance(x, y, max_block_size=4)
        ests = np.array(
            [np_mmd2_unbiased(a, b) for a, b in zip(np.split(x, [3, 6]), np.split(y, [2, 4]))]
        )
        self.assertAllClose(mean, ests.mean(), rtol=1e-10)
        self.assertAllClose(std, ests.std(ddof=1) / np.sqrt(3), rtol=1e-10)

    def test_uneven_blocks_as_tf_gan(self):
        """TF-GAN `classifier_metrics.kernel_classifier_distance_and_std_from_activations`:
        n_blocks = ceil(max(n_r, n_g) / max_block_size); a set of n samples is split into
        blocks of v = n // n_blocks, the last n - v n_blocks of them of size v + 1
        (`concat([fill([n_blocks - n_plusone], v), fill([n_plusone], v + 1)])`);
        mean of the block estimates and sqrt(var_ddof1 / n_blocks)."""

        def tf_gan_sizes(n, n_blocks):
            v = n // n_blocks
            n_plusone = n - v * n_blocks
            return [v] * (n_blocks - n_plusone) + [v + 1] * n_plusone

        rng = np.random.default_rng(24)
        for n_r, n_g, max_block_size, sizes_r, sizes_g in (
            (11, 23, 5, [2, 2, 2, 2, 3], [4, 4, 5, 5, 5]),
            (10, 7, 4, [3, 3, 4], [2, 2, 3]),
            (9, 9, 3, [3, 3, 3], [3, 3, 3]),
        ):
            n_blocks = -(-max(n_r, n_g) // max_block_size)
            self.assertEqual(tf_gan_sizes(n_r, n_blocks), sizes_r)
            self.assertEqual(tf_gan_sizes(n_g, n_blocks), sizes_g)
            x = rng.normal(size=(n_r, 4))
            y = rng.normal(size=(n_g, 4)) * 1.5
            blocks = zip(np.split(x, np.cumsum(sizes_r)[:-1]), np.split(y, np.cumsum(sizes_g)[:-1]))
            ests = np.array([np_mmd2_unbiased(a, b) for a, b in blocks])
            mean, std = metrics.kernel_distance(x, y, max_block_size=max_block_size)
            self.assertAllClose(mean, ests.mean(), rtol=1e-10)
            self.assertAllClose(std, ests.std(ddof=1) / np.sqrt(n_blocks), rtol=1e-10)
            if sizes_r != sorted(sizes_r, reverse=True):
                # Not np.array_split's blocks (the larger ones first).
                split = zip(np.array_split(x, n_blocks), np.array_split(y, n_blocks))
                self.assertNotAllClose(
                    mean, np.mean([np_mmd2_unbiased(a, b) for a, b in split]), rtol=1e-10
                )

    def test_same_distribution_near_zero(self):
        rng = np.random.default_rng(22)
        x = rng.normal(size=(2000, 16))
        y = rng.normal(size=(2000, 16))
        mean, std = metrics.kernel_distance(x, y, max_block_size=500)
        self.assertGreater(float(std), 0.0)
        self.assertLess(abs(float(mean)), 3.0 * float(std))

    def test_different_distributions_positive(self):
        rng = np.random.default_rng(23)
        x = rng.normal(size=(2000, 16))
        y = rng.normal(size=(2000, 16)) + 0.5
        mean, std = metrics.kernel_distance(x, y, max_block_size=500)
        self.assertGreater(float(mean), 10.0 * float(std))

    def test_bad_inputs(self):
        x = np.zeros((10, 3))
        with self.assertRaisesRegex(ValueError, "same number of features"):
            metrics.kernel_distance(x, np.zeros((10, 2)))
        with self.assertRaisesRegex(ValueError, "features_1.*at least 2"):
            metrics.kernel_distance(np.zeros((1, 3)), x)
        with self.assertRaisesRegex(ValueError, "features_2.*too few"):
            metrics.kernel_distance(np.zeros((100, 3)), x, max_block_size=10)
        with self.assertRaisesRegex(TypeError, "max_block_size"):
            metrics.kernel_distance(x, x, max_block_size=2.5)


class ClassifierScoreTest(tf.test.TestCase):
    def test_confident_uniform_predictions_give_num_classes(self):
        logits = np.tile(1e3 * np.eye(10), (5, 1))
        score = metrics.classifier_score(logits)
        self.assertIsInstance(score, tf.Tensor)
        self.assertEqual(score.dtype, tf.float64)
        self.assertAllClose(score, 10.0, rtol=1e-4)

    def test_constant_predictions_give_one(self):
        row = np.random.default_rng(30).normal(size=(1, 7))
        logits = np.tile(row, (20, 1))
        self.assertAllClose(metrics.classifier_score(logits), 1.0, atol=1e-10)

    def test_matches_numpy(self):
        rng = np.random.default_rng(31)
        logits = 3.0 * rng.normal(size=(64, 10)).astype(np.float32)
        self.assertAllClose(
            metrics.classifier_score(logits), np_classifier_score(logits), rtol=1e-6
        )

    def test_splits(self):
        rng = np.random.default_rng(32)
        logits = 3.0 * rng.normal(size=(53, 6))  # uneven splits
        scores = np.array([np_classifier_score(p) for p in np.array_split(logits, 4)])
        mean, std = metrics.classifier_score(logits, num_splits=4)
        self.assertAllClose(mean, scores.mean(), rtol=1e-8)
        self.assertAllClose(std, scores.std(), rtol=1e-8)
        mean2, std2 = metrics.classifier_score_and_std(logits, num_splits=4)
        self.assertAllClose(mean2, mean)
        self.assertAllClose(std2, std)
        # One split: std 0 and mean equal to the full score.
        m1, s1 = metrics.classifier_score_and_std(logits, num_splits=1)
        self.assertAllClose(m1, metrics.classifier_score(logits))
        self.assertAllClose(s1, 0.0)

    def test_split_confident(self):
        logits = np.tile(1e3 * np.eye(5), (10, 1))  # each of 10 splits uniform
        mean, std = metrics.classifier_score_and_std(logits, num_splits=10)
        self.assertAllClose(mean, 5.0, rtol=1e-4)
        self.assertAllClose(std, 0.0, atol=1e-6)

    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "logits"):
            metrics.classifier_score(np.zeros(5))
        with self.assertRaisesRegex(ValueError, "num_splits"):
            metrics.classifier_score(np.zeros((3, 4)), num_splits=4)
        with self.assertRaisesRegex(ValueError, "num_splits"):
            metrics.classifier_score(np.zeros((3, 4)), num_splits=0)
        with self.assertRaisesRegex(TypeError, "num_splits"):
            metrics.classifier_score(np.zeros((3, 4)), num_splits=2.0)


class ModeCoverageTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.means = datasets.ring_means(8, 1.0)

    def _hand_made(self):
        m = self.means
        offsets = np.array([[0.05, 0.0], [0.0, -0.1], [0.1, 0.1], [-0.2, 0.0], [0.0, 0.29]])
        samples = np.concatenate(
            [
                m[0] + offsets,  # 5 at mode 0
                m[2] + offsets[:3],  # 3 at mode 2
                m[5] + offsets[3:],  # 2 at mode 5
                np.zeros((4, 2)),  # 4 outliers at the centre (distance 1)
                2.0 * m[1:2],  # outlier outside the ring (distance 1)
                m[3:4] + [[0.31, 0.0]],  # just outside 3 * 0.1 of mode 3
            ]
        )
        return samples

    def test_hand_made_counts(self):
        res = metrics.mode_coverage(self._hand_made(), self.means, 0.1)
        self.assertIsInstance(res, metrics.ModeCoverage)
        self.assertAllEqual(res.counts, [5, 0, 3, 0, 0, 2, 0, 0])
        self.assertEqual(res.counts.dtype, np.int64)
        self.assertEqual(res.modes_covered, 3)
        self.assertEqual(res.num_modes, 8)
        self.assertAllClose(res.high_quality_fraction, 10 / 16, rtol=1e-15)
        p = np.array([0.5, 0.3, 0.2])
        self.assertAllClose(res.reverse_kl, np.sum(p * np.log(8 * p)), rtol=1e-12)
        self.assertIsInstance(res.high_quality_fraction, float)
        self.assertIsInstance(res.modes_covered, int)
        self.assertIsInstance(res.reverse_kl, float)

    def test_threshold_and_chunking(self):
        samples = self._hand_made()
        # threshold 4: mode-3 sample (0.31) and (0.29) stay; 0.31 < 0.4 counted.
        res = metrics.mode_coverage(samples, self.means, 0.1, threshold=4.0)
        self.assertAllEqual(res.counts, [5, 0, 3, 1, 0, 2, 0, 0])
        # threshold 1.5 (radius 0.15): offsets with norm <= 0.15 only.
        res = metrics.mode_coverage(samples, self.means, 0.1, threshold=1.5, chunk_size=3)
        self.assertAllEqual(res.counts, [3, 0, 3, 0, 0, 0, 0, 0])
        res_big = metrics.mode_coverage(samples, self.means, 0.1, threshold=1.5)
        self.assertAllEqual(res.counts, res_big.counts)

    def test_per_mode_std(self):
        std = np.full(8, 0.1)
        std[3] = 0.2
        res = metrics.mode_coverage(self._hand_made(), self.means, std)
        self.assertAllEqual(res.counts, [5, 0, 3, 1, 0, 2, 0, 0])

    def test_uniform_over_all_modes(self):
        samples = np.repeat(self.means, 7, axis=0) + 0.01
        res = metrics.mode_coverage(samples, self.means, 0.1)
        self.assertEqual(res.modes_covered, 8)
        self.assertEqual(res.high_quality_fraction, 1.0)
        self.assertAllEqual(res.counts, np.full(8, 7))
        self.assertAllClose(res.reverse_kl, 0.0, atol=1e-15)

    def test_single_mode(self):
        samples = np.tile(self.means[4], (10, 1))
        res = metrics.mode_coverage(samples, self.means, 0.1)
        self.assertEqual(res.modes_covered, 1)
        self.assertAllClose(res.reverse_kl, np.log(8.0))

    def test_no_high_quality_samples(self):
        res = metrics.mode_coverage(np.zeros((5, 2)), self.means, 0.1)
        self.assertEqual(res.modes_covered, 0)
        self.assertEqual(res.high_quality_fraction, 0.0)
        # Issue 29: inf (the worst value), not nan, and a Python float.
        self.assertEqual(res.reverse_kl, float("inf"))
        self.assertIsInstance(res.reverse_kl, float)

    def test_large_input_chunked(self):
        samples = datasets.ring(100_000, seed=0)
        means, std = datasets.mixture_params("ring")
        res = metrics.mode_coverage(samples, means, std, chunk_size=10_000)
        self.assertEqual(res.modes_covered, 8)
        self.assertEqual(int(res.counts.sum()), round(res.high_quality_fraction * 100_000))
        # 2-D Gaussian: P(|x| <= 3 std) = 1 - exp(-4.5) = 0.98889.
        self.assertAllClose(res.high_quality_fraction, 1 - np.exp(-4.5), atol=0.002)

    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "same number of features"):
            metrics.mode_coverage(np.zeros((3, 3)), self.means, 0.1)
        with self.assertRaisesRegex(ValueError, "samples.*rank-2"):
            metrics.mode_coverage(np.zeros(3), self.means, 0.1)
        with self.assertRaisesRegex(ValueError, "std"):
            metrics.mode_coverage(np.zeros((3, 2)), self.means, 0.0)
        with self.assertRaisesRegex(ValueError, "std"):
            metrics.mode_coverage(np.zeros((3, 2)), self.means, np.ones(3))
        with self.assertRaisesRegex(ValueError, "threshold"):
            metrics.mode_coverage(np.zeros((3, 2)), self.means, 0.1, threshold=-1)
        with self.assertRaisesRegex(TypeError, "means"):
            metrics.mode_coverage(np.zeros((3, 2)), "abc", 0.1)


class SampleAndRunTest(tf.test.TestCase):
    def _counter_sampler(self, calls):
        state = {"next": 0}

        def sample_fn(b):
            calls.append(b)
            s = state["next"]
            state["next"] = s + b
            return np.arange(3 * s, 3 * (s + b), dtype=np.float64).reshape(b, 3)

        return sample_fn

    def test_exact_count_and_equals_full(self):
        calls = []
        fn = lambda x: np.sum(x**2, axis=1, keepdims=True)
        out = metrics.sample_and_run(fn, self._counter_sampler(calls), 23, 5)
        self.assertEqual(calls, [5, 5, 5, 5, 3])
        full = np.arange(69, dtype=np.float64).reshape(23, 3)
        self.assertIsInstance(out, np.ndarray)
        self.assertAllEqual(out, fn(full))

    def test_tensor_and_structured_outputs(self):
        calls = []
        fn = lambda x: {"a": tf.constant(x) * 2.0, "b": (tf.reduce_sum(x, axis=1), x[:, :1])}
        out = metrics.sample_and_run(fn, self._counter_sampler(calls), 10, 4)
        self.assertEqual(calls, [4, 4, 2])
        full = np.arange(30, dtype=np.float64).reshape(10, 3)
        self.assertIsInstance(out["a"], tf.Tensor)
        self.assertAllEqual(out["a"], 2.0 * full)
        self.assertIsInstance(out["b"], tuple)
        self.assertAllEqual(out["b"][0], full.sum(1))
        self.assertAllEqual(out["b"][1], full[:, :1])

    def test_single_batch(self):
        calls = []
        out = metrics.sample_and_run(lambda x: x, self._counter_sampler(calls), 3, 100)
        self.assertEqual(calls, [3])
        self.assertAllEqual(out, np.arange(9.0).reshape(3, 3))

    def test_bad_inputs(self):
        sampler = self._counter_sampler([])
        with self.assertRaisesRegex(ValueError, "leading dimension"):
            metrics.sample_and_run(lambda x: x[:1], sampler, 10, 4)
        with self.assertRaisesRegex(ValueError, "scalar"):
            metrics.sample_and_run(np.sum, sampler, 10, 4)
        with self.assertRaisesRegex(TypeError, "fn"):
            metrics.sample_and_run(None, sampler, 10, 4)
        with self.assertRaisesRegex(TypeError, "sample_fn"):
            metrics.sample_and_run(lambda x: x, None, 10, 4)
        with self.assertRaisesRegex(ValueError, "^n must be"):
            metrics.sample_and_run(lambda x: x, sampler, 0, 4)
        with self.assertRaisesRegex(TypeError, "batch_size"):
            metrics.sample_and_run(lambda x: x, sampler, 10, 4.0)


class ChecksTest(tf.test.TestCase):
    """Messages in adinfer.validate's style; NaN refused by name."""

    def test_nan_features_are_named(self):
        x = np.zeros((10, 3))
        bad = x.copy()
        bad[4, 2] = np.nan
        with self.assertRaisesRegex(ValueError, r"^features_2 must be finite.*\(4, 2\)"):
            metrics.frechet_distance(x, bad)
        with self.assertRaisesRegex(ValueError, r"^features_1 must be finite"):
            metrics.kernel_distance(np.where(bad == 0, np.inf, bad), x)
        with self.assertRaisesRegex(ValueError, r"^logits must be finite"):
            metrics.classifier_score(bad)

    def test_message_style(self):
        with self.assertRaisesRegex(
            ValueError, r"^features_1 must be a rank-2 array \[num_samples, num_features\], got"
        ):
            metrics.frechet_distance(np.zeros(10), np.zeros((10, 3)))
        with self.assertRaisesRegex(TypeError, r"^max_block_size must be an int, got float 2.5\.$"):
            metrics.kernel_distance(np.zeros((10, 3)), np.zeros((10, 3)), max_block_size=2.5)
        with self.assertRaisesRegex(ValueError, r"^threshold must be a finite positive number"):
            metrics.mode_coverage(np.zeros((3, 2)), np.zeros((2, 2)), 0.1, threshold=0)

    def test_sample_and_run_with_an_accumulator(self):
        seen = []
        out = metrics.sample_and_run(lambda x: seen.append(len(x)), np.zeros, 10, 4)
        self.assertIsNone(out)
        self.assertEqual(seen, [4, 4, 2])
        with self.assertRaisesRegex(ValueError, "None for every batch or for none"):
            metrics.sample_and_run(lambda x: None if len(x) == 4 else x, np.zeros, 10, 4)


class ImageGridTest(tf.test.TestCase):
    def test_layout_exact(self):
        # 5 images of 2x3, value 10*i + pixel index; near-square grid 2 x 3.
        images = (10 * np.arange(5)[:, None, None] + np.arange(6).reshape(1, 2, 3)).astype(
            np.float32
        )[..., None]
        grid = metrics.image_grid(images)
        self.assertEqual(grid.shape, (4, 9, 1))
        self.assertEqual(grid.dtype, np.float32)
        expected = np.array(
            [
                [0, 1, 2, 10, 11, 12, 20, 21, 22],
                [3, 4, 5, 13, 14, 15, 23, 24, 25],
                [30, 31, 32, 40, 41, 42, 0, 0, 0],
                [33, 34, 35, 43, 44, 45, 0, 0, 0],
            ],
            dtype=np.float32,
        )
        self.assertAllEqual(grid[..., 0], expected)

    def test_explicit_shape_rank3_and_channels(self):
        rng = np.random.default_rng(40)
        images = rng.uniform(size=(6, 2, 2, 3))
        grid = metrics.image_grid(tf.constant(images), grid_shape=(3, 2))
        self.assertEqual(grid.shape, (6, 4, 3))
        for i in range(6):
            r, c = divmod(i, 2)
            self.assertAllEqual(grid[2 * r : 2 * r + 2, 2 * c : 2 * c + 2], images[i])
        grid2d = metrics.image_grid(images[..., 0], grid_shape=(1, 6))
        self.assertEqual(grid2d.shape, (2, 12))
        self.assertAllEqual(grid2d[:, 4:6], images[2, :, :, 0])

    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "too few"):
            metrics.image_grid(np.zeros((5, 2, 2)), grid_shape=(2, 2))
        with self.assertRaisesRegex(ValueError, "images"):
            metrics.image_grid(np.zeros((5, 2)))
        with self.assertRaisesRegex(TypeError, "grid_shape"):
            metrics.image_grid(np.zeros((5, 2, 2)), grid_shape=5)


if __name__ == "__main__":
    tf.test.main()
