# Copyright adinfer authors. Licensed under the Apache License, Version 2.0.
"""Tests for adinfer.losses, against independent NumPy/SciPy computations."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from absl.testing import parameterized
from scipy import special, stats

from adinfer import losses

tfd = tfp.distributions
RTOL = {np.float32: 1e-5, np.float64: 1e-10}


# --- Independent NumPy references (float64) ---------------------------------


def np_ce(y, logits):
    """Sigmoid cross entropy via scipy's stable log_expit."""
    return -y * special.log_expit(logits) - (1.0 - y) * special.log_expit(-logits)


def np_relu(x):
    return np.maximum(x, 0.0)


NP_LOSSES = {
    "minimax_generator_loss": lambda r, f: -np.mean(np_ce(0.0, f)),
    "minimax_discriminator_loss": lambda r, f: np.mean(np_ce(1.0, r)) + np.mean(np_ce(0.0, f)),
    "modified_generator_loss": lambda r, f: np.mean(np_ce(1.0, f)),
    "wasserstein_generator_loss": lambda r, f: -np.mean(f),
    "wasserstein_discriminator_loss": lambda r, f: np.mean(f) - np.mean(r),
    "hinge_generator_loss": lambda r, f: -np.mean(f),
    "hinge_discriminator_loss": lambda r, f: np.mean(np_relu(1.0 - r)) + np.mean(np_relu(1.0 + f)),
    "least_squares_generator_loss": lambda r, f: 0.5 * np.mean((f - 1.0) ** 2),
    "least_squares_discriminator_loss": lambda r, f: (
        0.5 * np.mean((r - 1.0) ** 2) + 0.5 * np.mean(f**2)
    ),
    "relativistic_average_generator_loss": lambda r, f: (
        np.mean(np_ce(1.0, f - r.mean())) + np.mean(np_ce(0.0, r - f.mean()))
    ),
    "relativistic_average_discriminator_loss": lambda r, f: (
        np.mean(np_ce(1.0, r - f.mean())) + np.mean(np_ce(0.0, f - r.mean()))
    ),
}
REGISTRY = {
    "non_saturating": ("modified_generator_loss", "minimax_discriminator_loss"),
    "minimax": ("minimax_generator_loss", "minimax_discriminator_loss"),
    "wasserstein": ("wasserstein_generator_loss", "wasserstein_discriminator_loss"),
    "hinge": ("hinge_generator_loss", "hinge_discriminator_loss"),
    "least_squares": ("least_squares_generator_loss", "least_squares_discriminator_loss"),
    "relativistic_average": (
        "relativistic_average_generator_loss",
        "relativistic_average_discriminator_loss",
    ),
}
ALL_LOSSES = [dict(testcase_name=n, name=n) for n in NP_LOSSES]


def _inputs(shape=(16,), scale=3.0):
    rng = np.random.default_rng(42)
    return rng.normal(size=shape) * scale, rng.normal(size=shape) * scale - 1.0


class AdversarialLossTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(*ALL_LOSSES)
    def test_matches_numpy(self, name):
        r, f = _inputs()
        for dtype in (np.float32, np.float64):
            got = getattr(losses, name)(r.astype(dtype), tf.constant(f, dtype))
            self.assertEqual(got.dtype, dtype)
            self.assertEqual(got.shape, ())
            self.assertAllClose(
                got,
                NP_LOSSES[name](r.astype(dtype), f.astype(dtype)),
                rtol=RTOL[dtype],
                atol=RTOL[dtype],
            )

    @parameterized.named_parameters(*ALL_LOSSES)
    def test_extreme_logits_finite_and_exact(self, name):
        r = np.array([1e4, -1e4, 0.0, 5e3, -3.0])
        f = np.array([-1e4, 1e4, 3.0, -5e3, 1e4])
        with np.errstate(divide="ignore"):  # The naive formula breaks down.
            self.assertTrue(np.isinf(np.log(special.expit(-1e4))))
        for dtype in (np.float32, np.float64):
            got = getattr(losses, name)(tf.constant(r, dtype), tf.constant(f, dtype))
            self.assertTrue(np.isfinite(self.evaluate(got)))
            # mean(d_fake) - mean(d_real) cancels sums of +-1e4: absolute error
            # ~1e4 * ulp. The cross-entropy losses are ~1e3 here, so rtol governs.
            atol = 1e4 * RTOL[dtype] if "wasserstein" in name else RTOL[dtype]
            self.assertAllClose(got, NP_LOSSES[name](r, f), rtol=RTOL[dtype], atol=atol)

    @parameterized.named_parameters(*ALL_LOSSES)
    def test_float16_and_scalar_shape(self, name):
        r, f = _inputs(shape=(8, 1), scale=1.0)
        fn = getattr(losses, name)
        got = fn(tf.constant(r, tf.float16), tf.constant(f, tf.float16))
        self.assertEqual(got.dtype, tf.float16)
        self.assertEqual(got.shape, ())
        ref = NP_LOSSES[name](
            r.astype(np.float16).astype(np.float64), f.astype(np.float16).astype(np.float64)
        )
        self.assertAllClose(tf.cast(got, tf.float64), ref, rtol=1e-2, atol=1e-2)
        # Squares of 1e4 overflow float16 (max 65504) whatever the formula.
        big = 1e2 if name.startswith("least_squares") else 1e4
        extreme = fn(tf.constant([big, -big], tf.float16), tf.constant([-big, big], tf.float16))
        self.assertTrue(np.isfinite(self.evaluate(tf.cast(extreme, tf.float32))))

    @parameterized.named_parameters(*ALL_LOSSES)
    def test_python_lists_give_float32(self, name):
        got = getattr(losses, name)([0.5, -1.0], [2.0, 0.25])
        self.assertEqual(got.dtype, tf.float32)
        self.assertAllClose(
            got, NP_LOSSES[name](np.array([0.5, -1.0]), np.array([2.0, 0.25])), rtol=1e-5
        )

    def test_generator_losses_ignore_d_real(self):
        f = np.array([0.3, -2.0])
        for name in (
            "minimax_generator_loss",
            "modified_generator_loss",
            "wasserstein_generator_loss",
            "hinge_generator_loss",
            "least_squares_generator_loss",
        ):
            self.assertAllClose(
                getattr(losses, name)(None, f), NP_LOSSES[name](None, f), rtol=1e-10
            )

    def test_non_saturating_alias(self):
        self.assertIs(losses.non_saturating_generator_loss, losses.modified_generator_loss)

    def test_label_smoothing(self):
        """TF-GAN `losses_impl.minimax_discriminator_loss` smooths the real term with
        `tf.compat.v1.losses.sigmoid_cross_entropy(ones, d_real, label_smoothing=s)`,
        whose labels are `y (1 - s) + s / 2`: a real label 1 becomes `1 - s / 2`;
        the generated term (label 0) is not smoothed."""
        r, f = _inputs()
        for s in (0.1, 0.25, 1.0):
            got = losses.minimax_discriminator_loss(r, f, label_smoothing=s)
            y = 1.0 * (1.0 - s) + s / 2.0
            self.assertAllClose(got, np.mean(np_ce(y, r)) + np.mean(np_ce(0.0, f)), rtol=1e-10)
            # The same value from the TF op TF-GAN calls.
            tf_gan = tf.compat.v1.losses.sigmoid_cross_entropy(
                tf.ones_like(r), r, label_smoothing=s
            ) + tf.compat.v1.losses.sigmoid_cross_entropy(tf.zeros_like(f), f)
            self.assertAllClose(got, tf_gan, rtol=1e-10)
        self.assertAllClose(
            losses.minimax_discriminator_loss(r, f, label_smoothing=0.1),
            np.mean(np_ce(0.95, r)) + np.mean(np_ce(0.0, f)),
            rtol=1e-10,
        )
        # Smoothing only the real labels: it must differ from the unsmoothed loss.
        self.assertNotAllClose(got, losses.minimax_discriminator_loss(r, f))
        with self.assertRaisesRegex(ValueError, "label_smoothing"):
            losses.minimax_discriminator_loss(r, f, label_smoothing=1.5)

    def test_default_label_smoothing_is_zero_unlike_tf_gan(self):
        """adinfer's default is s = 0 (the `get` pairs' loss); TF-GAN's
        `minimax_discriminator_loss` defaults to s = 0.25, i.e. real labels 0.875."""
        r, f = _inputs()
        self.assertAllClose(
            losses.minimax_discriminator_loss(r, f),
            np.mean(np_ce(1.0, r)) + np.mean(np_ce(0.0, f)),
            rtol=1e-10,
        )
        self.assertAllClose(
            losses.minimax_discriminator_loss(r, f, label_smoothing=0.25),
            np.mean(np_ce(0.875, r)) + np.mean(np_ce(0.0, f)),
            rtol=1e-10,
        )

    def test_least_squares_labels(self):
        r, f = _inputs()
        self.assertAllClose(
            losses.least_squares_generator_loss(r, f, real_label=0.5),
            0.5 * np.mean((f - 0.5) ** 2),
            rtol=1e-10,
        )
        self.assertAllClose(
            losses.least_squares_discriminator_loss(r, f, real_label=1.0, fake_label=-1.0),
            0.5 * np.mean((r - 1.0) ** 2) + 0.5 * np.mean((f + 1.0) ** 2),
            rtol=1e-10,
        )

    def test_relativistic_is_not_symmetric_in_its_inputs(self):
        r, f = _inputs()
        g = losses.relativistic_average_generator_loss(r, f)
        d = losses.relativistic_average_discriminator_loss(r, f)
        self.assertAllClose(g, losses.relativistic_average_discriminator_loss(f, r))
        self.assertNotAllClose(g, d)

    def test_input_errors(self):
        with self.assertRaisesRegex(TypeError, "d_fake.*float64"):
            losses.wasserstein_discriminator_loss(
                tf.constant([1.0], tf.float64), tf.constant([1.0], tf.float32)
            )
        with self.assertRaisesRegex(TypeError, "d_real.*floating"):
            losses.hinge_discriminator_loss(tf.constant([1]), [1.0])
        with self.assertRaisesRegex(TypeError, "d_fake"):
            losses.modified_generator_loss([1.0], None)


class RegistryTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(*REGISTRY)
    def test_named_pairs(self, name):
        loss_g, loss_d = losses.get(name)
        g_name, d_name = REGISTRY[name]
        self.assertIs(loss_g, getattr(losses, g_name))
        self.assertIs(loss_d, getattr(losses, d_name))
        r, f = _inputs()
        self.assertAllClose(loss_g(r, f), NP_LOSSES[g_name](r, f), rtol=1e-10)
        self.assertAllClose(loss_d(r, f), NP_LOSSES[d_name](r, f), rtol=1e-10)

    def test_aliases(self):
        expected = (losses.modified_generator_loss, losses.minimax_discriminator_loss)
        for name in ("non_saturating", "modified", "edward"):
            self.assertEqual(losses.get(name), expected)

    def test_pair_of_callables_returned_unchanged(self):
        pair = (lambda r, f: f, lambda r, f: r)
        self.assertIs(losses.get(pair), pair)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "^loss must be .*hinge.*wasserstein.*got 'nope'"):
            losses.get("nope")
        with self.assertRaisesRegex(TypeError, "^loss must be"):
            losses.get(3)
        with self.assertRaisesRegex(TypeError, r"^loss\[1\], the discriminator loss, must be"):
            losses.get((losses.hinge_generator_loss, "hinge"))
        with self.assertRaisesRegex(TypeError, "^loss must be"):
            losses.get((losses.hinge_generator_loss,))


class ACGANTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(1)
        self.lr, self.lf = rng.normal(size=(2, 8, 5)) * 4.0
        self.yr = np.eye(5)[rng.integers(0, 5, 8)]
        self.yf = np.eye(5)[rng.integers(0, 5, 8)]

    def np_ce(self, y, logits, s=0.0):
        y = y * (1.0 - s) + s / y.shape[-1]
        return np.mean(-np.sum(y * special.log_softmax(logits, axis=-1), axis=-1))

    def test_discriminator(self):
        got = losses.acgan_discriminator_loss(self.lr, self.lf, self.yr, self.yf)
        self.assertEqual(got.dtype, tf.float64)
        self.assertAllClose(
            got, self.np_ce(self.yr, self.lr) + self.np_ce(self.yf, self.lf), rtol=1e-10
        )
        got32 = losses.acgan_discriminator_loss(
            self.lr.astype(np.float32),
            self.lf.astype(np.float32),
            self.yr.astype(np.int32),
            self.yf.astype(np.int32),
        )
        self.assertEqual(got32.dtype, tf.float32)
        self.assertAllClose(got32, got, rtol=1e-5)

    def test_discriminator_label_smoothing_real_term_only(self):
        """TF-GAN `losses_impl.acgan_discriminator_loss`: `label_smoothing` goes to the
        real term's `tf.compat.v1.losses.softmax_cross_entropy` only (one-hot labels
        become `y (1 - s) + s / K`); the generated term is unsmoothed."""
        got = losses.acgan_discriminator_loss(
            self.lr, self.lf, self.yr, self.yf, label_smoothing=0.2
        )
        self.assertAllClose(
            got, self.np_ce(self.yr, self.lr, 0.2) + self.np_ce(self.yf, self.lf), rtol=1e-10
        )
        tf_gan = tf.compat.v1.losses.softmax_cross_entropy(
            self.yr, self.lr, label_smoothing=0.2
        ) + tf.compat.v1.losses.softmax_cross_entropy(self.yf, self.lf)
        self.assertAllClose(got, tf_gan, rtol=1e-10)
        # Not the old behaviour (both terms smoothed).
        self.assertNotAllClose(
            got, self.np_ce(self.yr, self.lr, 0.2) + self.np_ce(self.yf, self.lf, 0.2)
        )

    def test_generator(self):
        self.assertAllClose(
            losses.acgan_generator_loss(self.lf, self.yf), self.np_ce(self.yf, self.lf), rtol=1e-10
        )

    def test_extreme_logits(self):
        logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], np.float32)
        got = losses.acgan_generator_loss(logits, np.eye(3)[[1, 1]])
        self.assertAllClose(got, 1e4, rtol=1e-5)

    def test_shape_error(self):
        with self.assertRaisesRegex(ValueError, "labels_fake"):
            losses.acgan_generator_loss(self.lf, self.yf[:, :3])


# --- Penalties ----------------------------------------------------------------


def _unit(v):
    return v / np.linalg.norm(v)


def np_tf_gan_penalty(grad_sq, target=1.0, one_sided=False, epsilon=1e-10):
    """TF-GAN `losses_impl.wasserstein_gradient_penalty` from per-sample Σ g²:
    slopes = sqrt(Σ g² + ε), mean((slopes / target - 1)²), one-sided max(0, ·)."""
    excess = np.sqrt(np.asarray(grad_sq, np.float64) + epsilon) / target - 1.0
    if one_sided:
        excess = np.maximum(excess, 0.0)
    return np.mean(excess**2)


def linear_critic(w):
    w = tf.constant(w) if not isinstance(w, tf.Variable) else w

    def critic(x):
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        return tf.linalg.matvec(x, w)[:, None]  # [batch, 1]

    return critic


class GradientPenaltyTest(tf.test.TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(7)

    @parameterized.named_parameters(("vector", (6, 3)), ("image", (6, 4, 4, 1)))
    def test_zero_for_unit_norm_linear_critic(self, shape):
        d = int(np.prod(shape[1:]))
        w = _unit(self.rng.normal(size=d)).astype(np.float32)
        xr, xf = self.rng.normal(size=(2,) + shape).astype(np.float32)
        got = losses.gradient_penalty(linear_critic(w), xr, xf)
        self.assertEqual(got.dtype, tf.float32)
        self.assertEqual(got.shape, ())
        self.assertAllClose(got, 0.0, atol=1e-6)
        self.assertGreater(losses.gradient_penalty(linear_critic(2.0 * w), xr, xf), 0.5)

    def test_rank1_inputs(self):
        xr, xf = self.rng.normal(size=(2, 5))
        self.assertAllClose(losses.gradient_penalty(lambda x: -x, xr, xf), 0.0, atol=1e-10)
        # Per-sample norm is |g|: for D(x) = 3x, (3 - 1)^2 = 4.
        self.assertAllClose(
            losses.gradient_penalty(lambda x: 3.0 * x, xr, xf), np_tf_gan_penalty(9.0), rtol=1e-10
        )
        self.assertAllClose(losses.gradient_penalty(lambda x: 3.0 * x, xr, xf), 4.0, rtol=1e-9)

    def test_tuple_critic_joint_norm(self):
        wx, wz = np.split(_unit(self.rng.normal(size=7)), [4])
        critic = lambda x, z: tf.linalg.matvec(x, wx) + tf.linalg.matvec(z, wz)
        xr, xf = self.rng.normal(size=(2, 5, 4))
        zr, zf = self.rng.normal(size=(2, 5, 3))
        # ||wx||, ||wz|| < 1, but the joint norm is 1.
        self.assertAllClose(losses.gradient_penalty(critic, (xr, zr), (xf, zf)), 0.0, atol=1e-10)
        expected = np_tf_gan_penalty(4.0 * (wx @ wx) + wz @ wz)
        critic2 = lambda x, z: critic(2.0 * x, z)
        self.assertAllClose(
            losses.gradient_penalty(critic2, (xr, zr), (xf, zf)), expected, rtol=1e-10
        )
        with self.assertRaisesRegex(ValueError, "same structure"):
            losses.gradient_penalty(critic, (xr, zr), xf)
        # A list is one tensor, never a joint input: [xf, zf] is not rectangular.
        with self.assertRaisesRegex(ValueError, "x_fake.*list.*tuple"):
            losses.gradient_penalty(critic, (xr, zr), [xf, zf])
        with self.assertRaisesRegex(ValueError, "same structure"):
            losses.gradient_penalty(critic, (xr, zr), [xf, xf])

    @parameterized.parameters(0.3, 1.0, 2.5)
    def test_linear_critic_known_norm(self, norm):
        """TF-GAN `losses_impl.wasserstein_gradient_penalty`: slopes = sqrt(‖w‖² + 1e-10),
        mean((slopes / target - 1)²), one-sided mean(max(0, slopes / target - 1)²)."""
        w = norm * _unit(self.rng.normal(size=5))
        xr, xf = self.rng.normal(size=(2, 8, 5))
        critic = linear_critic(w)
        for kwargs in (
            {},
            dict(target=2.0),
            dict(target=0.5),
            dict(one_sided=True),
            dict(target=0.5, one_sided=True),
            dict(target=2.0, one_sided=True),
            dict(epsilon=0.0),
            dict(epsilon=0.01, target=3.0),
        ):
            self.assertAllClose(
                losses.gradient_penalty(critic, xr, xf, **kwargs),
                np_tf_gan_penalty(norm**2, **kwargs),
                rtol=1e-10,
                atol=1e-14,
                msg=str(kwargs),
            )

    def test_target_scales_by_inverse_square(self):
        """(‖g‖ / c - 1)² = (‖g‖ - c)² / c²: TF-GAN's target c divides the slope, so it
        is not adinfer's former (‖g‖ - c)²."""
        norm, c = 2.5, 2.0
        w = norm * _unit(self.rng.normal(size=3))
        xr, xf = self.rng.normal(size=(2, 4, 3))
        got = losses.gradient_penalty(linear_critic(w), xr, xf, target=c, epsilon=0.0)
        self.assertAllClose(got, (norm - c) ** 2 / c**2, rtol=1e-10)
        self.assertAllClose(got, 0.0625, rtol=1e-10)
        with self.assertRaisesRegex(ValueError, "target.*positive.*0"):
            losses.gradient_penalty(linear_critic(w), xr, xf, target=0.0)
        with self.assertRaisesRegex(ValueError, "epsilon"):
            losses.gradient_penalty(linear_critic(w), xr, xf, epsilon=-1.0)

    def test_nested_lists_are_one_tensor(self):
        """TF-GAN's tests pass nested Python lists as real and generated data; they are
        one tensor each (`tf.convert_to_tensor`), never a joint (tuple) input."""
        xr = [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]
        xf = [[0.0, 1.0], [2.0, 2.0], [-1.0, 4.0]]
        calls = []

        def critic(x):
            calls.append(x.shape)
            return tf.reduce_sum(tf.sin(x), axis=1) + 0.5 * tf.reduce_sum(x**2, axis=1)

        seed = [3, 4]
        from_lists = losses.gradient_penalty(critic, xr, xf, seed=seed)
        from_tensors = losses.gradient_penalty(critic, tf.constant(xr), tf.constant(xf), seed=seed)
        self.assertEqual(calls, [(3, 2), (3, 2)])  # one [3, 2] argument each time
        self.assertEqual(from_lists.dtype, tf.float32)
        self.assertAllEqual(from_lists, from_tensors)
        # Their value: x̂ from the same stateless ε, ∇D(x̂) = cos(x̂) + x̂.
        eps = tf.random.stateless_uniform([3], seed=seed).numpy()[:, None]
        x_hat = eps * np.array(xr) + (1.0 - eps) * np.array(xf)
        grad_sq = np.sum((np.cos(x_hat) + x_hat) ** 2, axis=1)
        self.assertAllClose(from_lists, np_tf_gan_penalty(grad_sq), rtol=1e-5)
        # r1_penalty treats lists the same way.
        self.assertAllEqual(
            losses.r1_penalty(critic, xr), losses.r1_penalty(critic, tf.constant(xr))
        )
        with self.assertRaisesRegex(ValueError, "x_real.*list.*tuple"):
            losses.gradient_penalty(critic, [np.zeros((2, 3)), np.zeros((2, 4))], xf)

    def test_tuple_output_critic_uses_first_element(self):
        """TF-GAN (ACGAN case): a critic returning a tuple is differentiated through its
        first element."""
        w = np.array([0.6, 1.3])
        xr, xf = self.rng.normal(size=(2, 5, 2))
        critic = lambda x: (tf.linalg.matvec(x, w), 100.0 * x)
        self.assertAllClose(
            losses.gradient_penalty(critic, xr, xf), np_tf_gan_penalty(w @ w), rtol=1e-10
        )

    def test_nonlinear_critic_positive(self):
        xr, xf = self.rng.normal(size=(2, 8, 3)).astype(np.float32)
        critic = lambda x: tf.reduce_sum(tf.tanh(x), axis=1)
        self.assertGreater(losses.gradient_penalty(critic, xr, xf), 1e-3)

    def test_eps_is_per_sample_and_shared_across_components(self):
        seen = []

        def critic(x, z):  # D = 0.5 (||x||^2 + ||z||^2); grad = x_hat.
            seen.append((x, z))
            return 0.5 * (tf.reduce_sum(x**2, axis=[1, 2]) + tf.reduce_sum(z**2, 1))

        xr, xf = self.rng.normal(size=(2, 32, 3, 2))
        zr, zf = self.rng.normal(size=(2, 32, 4))
        got = losses.gradient_penalty(critic, (xr, zr), (xf, zf))
        x_hat, z_hat = (t.numpy() for t in seen[0])
        eps_x = (x_hat - xf) / (xr - xf)  # [32, 3, 2]
        eps_z = (z_hat - zf) / (zr - zf)  # [32, 4]
        eps = eps_x[:, 0, 0]
        self.assertAllClose(eps_x, np.broadcast_to(eps[:, None, None], xr.shape))
        self.assertAllClose(eps_z, np.broadcast_to(eps[:, None], zr.shape))
        self.assertTrue(np.all((eps >= 0.0) & (eps <= 1.0)))
        self.assertGreater(np.std(eps), 0.1)  # Not one eps for the whole batch.
        grad_sq = np.sum(x_hat**2, axis=(1, 2)) + np.sum(z_hat**2, axis=1)
        self.assertAllClose(got, np_tf_gan_penalty(grad_sq), rtol=1e-10)

    def test_stateless_seed(self):
        critic = lambda x: 0.5 * tf.reduce_sum(x**2, axis=1)
        xr, xf = self.rng.normal(size=(2, 8, 3))
        p = lambda s: losses.gradient_penalty(critic, xr, xf, seed=s)
        self.assertAllEqual(p([1, 2]), p(tf.constant([1, 2])))
        self.assertNotAllClose(p([1, 2]), p([3, 4]))
        with self.assertRaisesRegex(ValueError, "seed"):
            p([1, 2, 3])

    def test_differentiable_inside_tf_function(self):
        norm = 2.5
        w = tf.Variable(norm * _unit(self.rng.normal(size=4)))
        xr, xf = self.rng.normal(size=(2, 8, 4))

        @tf.function
        def penalty_and_grad():
            with tf.GradientTape() as tape:
                p = losses.gradient_penalty(linear_critic(w), xr, xf)
            return p, tape.gradient(p, w)

        p, g = penalty_and_grad()
        slope = np.sqrt(norm**2 + 1e-10)
        self.assertAllClose(p, (slope - 1.0) ** 2, rtol=1e-10)
        # d/dw (sqrt(||w||² + ε) - 1)^2 = 2 (slope - 1) w / slope.
        self.assertAllClose(g, 2.0 * (slope - 1.0) * w.numpy() / slope, rtol=1e-10)

    def test_keras_critic_gradients(self):
        critic = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
        )
        xr, xf = self.rng.normal(size=(2, 8, 3)).astype(np.float32)

        @tf.function
        def grads():
            with tf.GradientTape() as tape:
                p = losses.gradient_penalty(critic, xr, xf, seed=[0, 1])
            return p, tape.gradient(p, critic.trainable_variables)

        p, gs = grads()
        self.assertAllClose(p, losses.gradient_penalty(critic, xr, xf, seed=[0, 1]), rtol=1e-5)
        kernel_grad = gs[0]  # First layer kernel.
        self.assertIsNotNone(kernel_grad)
        self.assertTrue(np.all(np.isfinite(kernel_grad.numpy())))
        self.assertGreater(np.abs(kernel_grad.numpy()).sum(), 0.0)

    def test_zero_gradient_is_finite(self):
        w = tf.Variable(tf.zeros([3], tf.float64))
        xr, xf = self.rng.normal(size=(2, 4, 3))
        with tf.GradientTape() as tape:
            p = losses.gradient_penalty(linear_critic(w), xr, xf)
        self.assertAllClose(p, (np.sqrt(1e-10) - 1.0) ** 2, rtol=1e-12)  # ε in the root
        self.assertAllEqual(tape.gradient(p, w), np.zeros(3))
        with tf.GradientTape() as tape:
            p = losses.gradient_penalty(linear_critic(w), xr, xf, epsilon=0.0)
        self.assertAllEqual(p, 1.0)
        self.assertAllEqual(tape.gradient(p, w), np.zeros(3))

    def test_float64_and_float16_dtype(self):
        xr, xf = self.rng.normal(size=(2, 4, 3))
        w = np.array([0.6, 0.8, 0.0])
        self.assertEqual(losses.gradient_penalty(linear_critic(w), xr, xf).dtype, tf.float64)
        got = losses.gradient_penalty(
            linear_critic(2.0 * w.astype(np.float16)), xr.astype(np.float16), xf.astype(np.float16)
        )
        self.assertEqual(got.dtype, tf.float16)
        self.assertAllClose(tf.cast(got, tf.float32), 1.0, rtol=1e-2)

    def test_errors(self):
        with self.assertRaisesRegex(TypeError, "critic"):
            losses.gradient_penalty(None, [[1.0]], [[2.0]])
        with self.assertRaisesRegex(ValueError, "x_real"):
            losses.gradient_penalty(lambda x: x, (), ())


class R1PenaltyTest(tf.test.TestCase):
    def test_linear(self):
        rng = np.random.default_rng(3)
        w = rng.normal(size=5)
        x = rng.normal(size=(7, 5))
        self.assertAllClose(losses.r1_penalty(linear_critic(w), x), w @ w, rtol=1e-10)
        x32 = x.astype(np.float32)
        got = losses.r1_penalty(linear_critic(w.astype(np.float32)), x32)
        self.assertEqual(got.dtype, tf.float32)
        self.assertEqual(got.shape, ())

    def test_quadratic_matches_numpy(self):
        rng = np.random.default_rng(4)
        a = rng.normal(size=(5, 5))
        x = rng.normal(size=(7, 5))
        critic = lambda x: tf.einsum("bi,ij,bj->b", x, a, x)  # x^T A x.
        grads = x @ (a + a.T)
        self.assertAllClose(
            losses.r1_penalty(critic, x), np.mean(np.sum(grads**2, axis=1)), rtol=1e-10
        )

    def test_tuple(self):
        rng = np.random.default_rng(5)
        wx, wz = rng.normal(size=4), rng.normal(size=2)
        critic = lambda x, z: tf.linalg.matvec(x, wx) + tf.linalg.matvec(z, wz)
        got = losses.r1_penalty(critic, (rng.normal(size=(3, 4)), rng.normal(size=(3, 2))))
        self.assertAllClose(got, wx @ wx + wz @ wz, rtol=1e-10)


class MutualInformationPenaltyTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(6)
        self.loc, self.scale = rng.normal(size=(8, 2)), np.exp(rng.normal(size=2))
        self.c_cont = rng.normal(size=(8, 2))
        self.logits = rng.normal(size=(8, 4))
        self.c_cat = rng.integers(0, 4, size=8)

    def test_list(self):
        got = losses.mutual_information_penalty(
            [self.c_cont, self.c_cat],
            [tfd.Normal(self.loc, self.scale), tfd.Categorical(logits=self.logits)],
        )
        expected = -(
            np.mean(stats.norm.logpdf(self.c_cont, self.loc, self.scale))
            + np.mean(special.log_softmax(self.logits, axis=1)[np.arange(8), self.c_cat])
        )
        self.assertEqual(got.shape, ())
        self.assertAllClose(got, expected / 2.0, rtol=1e-10)

    def test_mean_over_code_groups(self):
        """TF-GAN `losses_impl.mutual_information_penalty`: -compute_weighted_loss of the
        per-group means of log_prob, i.e. -(1/n) Σ_i mean(log q_i(c_i)), not the sum."""
        group = -np.mean(stats.norm.logpdf(self.c_cont, self.loc, self.scale))
        for n in (1, 2, 3):
            got = losses.mutual_information_penalty(
                [self.c_cont] * n, [tfd.Normal(self.loc, self.scale)] * n
            )
            self.assertAllClose(got, group, rtol=1e-10)

    def test_single(self):
        got = losses.mutual_information_penalty(self.c_cont, tfd.Normal(self.loc, self.scale))
        self.assertAllClose(
            got, -np.mean(stats.norm.logpdf(self.c_cont, self.loc, self.scale)), rtol=1e-10
        )

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "same length"):
            losses.mutual_information_penalty([self.c_cont], [])
        with self.assertRaisesRegex(TypeError, "predicted_distributions"):
            losses.mutual_information_penalty(self.c_cont, self.loc)


def np_stable_global_norm(grads):
    """TF-GAN `losses_impl.numerically_stable_global_norm`, in float64."""
    grads = [np.asarray(g, np.float64) for g in grads]
    m = max(np.max(np.abs(g)) for g in grads)
    return m * np.sqrt(sum(np.sum((g / m) ** 2) for g in grads))


class CombineAdversarialLossTest(tf.test.TestCase):
    """TF-GAN `losses_impl.combine_adversarial_loss`: with `gradient_ratio=r`,
    main + stop_gradient(a) · adversarial, a = (‖∇main‖ / (‖∇adv‖ + ε)) / r, the
    norms global over `variables` (numerically stable)."""

    def test_weight_factor(self):
        self.assertAllClose(losses.combine_adversarial_loss(2.0, 3.0, weight_factor=0.5), 3.5)
        self.assertAllEqual(losses.combine_adversarial_loss(2.0, 3.0, weight_factor=0), 2.0)

    def test_gradient_ratio(self):
        """a = (‖∇main‖ / (‖∇adv‖ + 1e-6)) / r over two variables, and d total / dv
        = ∇main + a ∇adv (a held constant)."""
        v = tf.Variable([1.0, 2.0], dtype=tf.float64)
        u = tf.Variable(0.5, dtype=tf.float64)
        with tf.GradientTape(persistent=True) as tape:
            main = tf.reduce_sum(v**2) + u  # grads [2, 4] and 1.
            adv = tf.reduce_sum(3.0 * v) - 2.0 * u  # grads [3, 3] and -2.
            total = losses.combine_adversarial_loss(
                main, adv, gradient_ratio=0.7, variables=[v, u], tape=tape
            )
        a = (np.sqrt(21.0) / (np.sqrt(22.0) + 1e-6)) / 0.7
        self.assertAllClose(total, 5.5 + a * 8.0, rtol=1e-10)
        gv, gu = tape.gradient(total, [v, u])
        self.assertAllClose(gv, [2.0 + 3.0 * a, 4.0 + 3.0 * a], rtol=1e-10)
        self.assertAllClose(gu, 1.0 - 2.0 * a, rtol=1e-10)
        # Afterwards the two gradient magnitudes are in the ratio r (up to ε).
        self.assertAllClose(np.sqrt(21.0) / (a * np.sqrt(22.0)), 0.7, rtol=1e-6)
        # Called outside the tape's context: the same value; default variables =
        # those the tape watched.
        self.assertAllClose(
            losses.combine_adversarial_loss(main, adv, gradient_ratio=0.7, tape=tape),
            5.5 + a * 8.0,
            rtol=1e-10,
        )
        # Only v: a over v's gradients alone.
        a_v = (np.sqrt(20.0) / (np.sqrt(18.0) + 1e-6)) / 0.7
        self.assertAllClose(
            losses.combine_adversarial_loss(
                main, adv, gradient_ratio=0.7, variables=[v], tape=tape
            ),
            5.5 + a_v * 8.0,
            rtol=1e-10,
        )
        del tape

    def test_float32_gradients_near_1e19_stay_finite(self):
        """Squares of 1e19 overflow float32 (max 3.4e38); TF-GAN's
        `numerically_stable_global_norm` scales by max |g| first, so does adinfer."""
        v = tf.Variable(np.ones(8, np.float32))
        with tf.GradientTape(persistent=True) as tape:
            main = tf.reduce_sum(1e19 * v)  # 8 gradients of 1e19: naive Σ g² = 8e38.
            adv = tf.reduce_sum(3.0 * v)
            total = losses.combine_adversarial_loss(
                main, adv, gradient_ratio=2.0, variables=[v], tape=tape
            )
        g_main = tape.gradient(main, v)
        self.assertEqual(self.evaluate(tf.linalg.global_norm([g_main])), np.inf)  # naive
        a = (np_stable_global_norm([np.full(8, 1e19)]) / (np.sqrt(72.0) + 1e-6)) / 2.0
        self.assertTrue(np.isfinite(self.evaluate(total)))
        self.assertAllClose(total, 8e19 + a * 24.0, rtol=1e-5)
        del tape

    def test_zero_gradients_give_zero_norm(self):
        v = tf.Variable([1.0, 2.0])
        with tf.GradientTape(persistent=True) as tape:
            main = 0.0 * tf.reduce_sum(v)
            adv = tf.reduce_sum(v)
        got = losses.combine_adversarial_loss(main, adv, gradient_ratio=1.0, tape=tape)
        self.assertAllEqual(got, 0.0)  # a = 0 / (‖∇adv‖ + ε) = 0, not nan

    def test_batch_compatible_shapes_reduced_per_example(self):
        """TF-GAN: losses of incompatible shapes with the same first dimension are first
        mean-reduced to [batch]; the gradients are those of the reduced losses."""
        rng = np.random.default_rng(11)
        v0, c = rng.normal(size=(4, 3)), rng.normal(size=3)
        v = tf.Variable(v0)
        with tf.GradientTape(persistent=True) as tape:
            main = v**2  # [4, 3] -> mean over axis 1: ∇ Σ_i mean_j v_ij² = 2 v / 3.
            adv = tf.linalg.matvec(v, c)  # [4]: ∇ Σ_i adv_i = c in every row.
            total = losses.combine_adversarial_loss(
                main, adv, gradient_ratio=0.5, variables=[v], tape=tape
            )
        a = (np.linalg.norm(2.0 * v0 / 3.0) / (2.0 * np.linalg.norm(c) + 1e-6)) / 0.5
        self.assertEqual(total.shape, (4,))
        self.assertAllClose(total, np.mean(v0**2, axis=1) + a * (v0 @ c), rtol=1e-10)
        # Outside the context (reduction not recorded): the same.
        self.assertAllClose(
            losses.combine_adversarial_loss(
                main, adv, gradient_ratio=0.5, variables=[v], tape=tape
            ),
            total,
            rtol=1e-10,
        )
        # weight_factor reduces as well.
        self.assertAllClose(
            losses.combine_adversarial_loss(v0**2, v0 @ c, weight_factor=2.0),
            np.mean(v0**2, axis=1) + 2.0 * (v0 @ c),
            rtol=1e-10,
        )
        # Compatible shapes are combined elementwise, unreduced.
        self.assertEqual(
            losses.combine_adversarial_loss(v0**2, v0, weight_factor=1.0).shape, (4, 3)
        )
        del tape

    def test_different_batch_sizes_raise(self):
        with self.assertRaisesRegex(
            ValueError, r"main_loss shape \(4, 3\).*adversarial_loss shape \(5,\)"
        ):
            losses.combine_adversarial_loss(np.zeros((4, 3)), np.zeros(5), weight_factor=1.0)
        with self.assertRaisesRegex(ValueError, "main_loss.*adversarial_loss"):
            losses.combine_adversarial_loss(1.0, np.zeros(5), weight_factor=1.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Exactly one"):
            losses.combine_adversarial_loss(1.0, 1.0)
        with self.assertRaisesRegex(ValueError, "Exactly one"):
            losses.combine_adversarial_loss(1.0, 1.0, weight_factor=1.0, gradient_ratio=1.0)
        with self.assertRaisesRegex(ValueError, "gradient_ratio.*non-negative"):
            losses.combine_adversarial_loss(1.0, 1.0, gradient_ratio=-1.0)
        v = tf.Variable([1.0, 2.0])
        with self.assertRaisesRegex(ValueError, "tape"):
            losses.combine_adversarial_loss(1.0, 1.0, gradient_ratio=1.0, variables=[v])
        with tf.GradientTape() as tape:
            main = tf.reduce_sum(v**2)
        with self.assertRaisesRegex(ValueError, "persistent"):
            losses.combine_adversarial_loss(main, main, gradient_ratio=1.0, tape=tape)
        with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
            main = tf.reduce_sum(v**2)
        with self.assertRaisesRegex(ValueError, "variables"):
            losses.combine_adversarial_loss(main, main, gradient_ratio=1.0, tape=tape)
        with self.assertRaisesRegex(ValueError, "main_loss.*variables"):
            losses.combine_adversarial_loss(
                main, main, gradient_ratio=1.0, variables=[v], tape=tape
            )


if __name__ == "__main__":
    tf.test.main()
