# Copyright adinfer authors. Licensed under the Apache License, Version 2.0.
"""Property tests of adinfer.losses with hypothesis (bounded: a few seconds in all)."""

import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adinfer import losses

# Deterministic examples and no example database in the tree, so CI runs are
# reproducible and leave nothing behind.
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None)
DTYPES = st.sampled_from([np.float32, np.float64])
NAMES = list(losses.NAMES)


def logits(dtype=np.float64, min_size=1, max_size=16, bound=50.0):
    return hnp.arrays(
        dtype,
        st.integers(min_size, max_size),
        elements=st.floats(-bound, bound, allow_nan=False, width=np.dtype(dtype).itemsize * 8),
    )


def batch(draw, shape, dtype=np.float64):
    return draw(hnp.arrays(dtype, shape, elements=st.floats(-3.0, 3.0, allow_nan=False, width=64)))


class LossPropertyTest(tf.test.TestCase):
    @SETTINGS
    @given(logits(), logits())
    def test_minimax_discriminator_minimised_by_perfect_separation(self, d_real, d_fake):
        """CE(1, l) and CE(0, l) decrease monotonically to 0 as l → +∞ and l → −∞, so
        real logits +100 and fake logits −100 (beyond every sampled logit, |l| ≤ 50)
        give a loss ≈ 0 (≈ 7e-44 in float64) no larger than any sampled pair's."""
        best = losses.minimax_discriminator_loss(
            np.full_like(d_real, 100.0), np.full_like(d_fake, -100.0)
        )
        self.assertLess(float(best), 1e-40)
        self.assertLessEqual(float(best), float(losses.minimax_discriminator_loss(d_real, d_fake)))

    @SETTINGS
    @given(DTYPES.flatmap(lambda d: st.tuples(logits(d, bound=1e3), logits(d, bound=1e3))))
    def test_wasserstein_discriminator_antisymmetric(self, pair):
        """mean(d_fake) − mean(d_real) changes sign, exactly, when real and fake swap
        (IEEE subtraction is antisymmetric); the batches may differ in size."""
        d_real, d_fake = pair
        forward = losses.wasserstein_discriminator_loss(d_real, d_fake)
        backward = losses.wasserstein_discriminator_loss(d_fake, d_real)
        self.assertEqual(forward.dtype, d_real.dtype)
        self.assertAllEqual(forward, -backward)

    @SETTINGS
    @given(st.data())
    def test_gradient_penalty_invariant_to_batch_order(self, data):
        """The penalty is a mean of per-pair terms, but ε is drawn per *position*
        (stateful, or stateless from `seed`): permuting the batch gives each pair
        another ε, so for a general critic only the penalty's distribution is
        invariant, not its value. The property is well-posed, with one seed for
        both calls, when the per-pair term does not depend on ε:

          * any critic with x_real = x_fake (then x̂ = x for every ε), here a
            nonlinear per-sample one, D(x) = Σ tanh(x A) v;
          * a linear critic D(x) = w·x on any pairs (∇D = w for every x̂).
        """
        n = data.draw(st.integers(1, 8), label="batch")
        d = data.draw(st.integers(1, 4), label="dim")
        perm = np.array(data.draw(st.permutations(range(n)), label="permutation"), int)
        x = batch(data.draw, (n, d))
        y = batch(data.draw, (n, d))
        rng = np.random.default_rng(d)
        a, v, w = rng.normal(size=(d, 5)), rng.normal(size=5), rng.normal(size=d)
        nonlinear = lambda t: tf.linalg.matvec(tf.tanh(tf.matmul(t, a)), v)
        linear = lambda t: tf.linalg.matvec(t, w)
        seed = [1, 2]
        for critic, real, fake in ((nonlinear, x, x), (linear, x, y)):
            got = losses.gradient_penalty(critic, real, fake, seed=seed)
            permuted = losses.gradient_penalty(critic, real[perm], fake[perm], seed=seed)
            self.assertAllClose(got, permuted, rtol=1e-12, atol=1e-12)

    @SETTINGS
    @given(
        st.sampled_from(NAMES),
        DTYPES,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
        st.data(),
    )
    def test_no_valid_input_raises(self, name, dtype, shape_real, shape_fake, data):
        """Every `losses.get` pair accepts any finite float32/float64 logits of any
        (independent) non-empty shapes and returns finite scalars of that dtype."""
        width = np.dtype(dtype).itemsize * 8
        values = st.floats(-1e3, 1e3, allow_nan=False, width=width)
        d_real = data.draw(hnp.arrays(dtype, shape_real, elements=values), label="d_real")
        d_fake = data.draw(hnp.arrays(dtype, shape_fake, elements=values), label="d_fake")
        for fn in losses.get(name):
            got = fn(tf.constant(d_real), tf.constant(d_fake))
            self.assertEqual(got.dtype, dtype)
            self.assertEqual(got.shape, ())
            self.assertTrue(np.isfinite(self.evaluate(got)), (fn.__name__, got))


if __name__ == "__main__":
    tf.test.main()
