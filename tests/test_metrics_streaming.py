"""FrechetDistance and KernelDistance: streaming equals one-shot, stays exact
with a large common offset (where a sum-of-squares accumulator does not), and
plugs into sample_and_run and run(evaluate=...)."""

import numpy as np
import pytest
import tensorflow as tf

from adinfer import metrics


def correlated(rng, n, d, scale=1.0, shift=0.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return scale * rng.normal(size=(n, d)) @ mixing + shift


def batches(x, sizes):
    assert sum(sizes) == len(x)
    starts = np.cumsum([0, *sizes])
    return [x[a:b] for a, b in zip(starts[:-1], starts[1:])]


REAL_SIZES = [1, 7, 100, 333, 2, 557]  # 1,000 rows, uneven, batches of one included
FAKE_SIZES = [400, 1, 399]  # 800 rows


class SumOfSquares:
    """The naive accumulator: sum x, sum x x^T, then (S - n mu mu^T) / (n - 1)."""

    def __init__(self):
        self.n, self.total, self.squares = 0, 0.0, 0.0

    def update(self, x):
        self.n += len(x)
        self.total = self.total + x.sum(axis=0)
        self.squares = self.squares + x.T @ x

    def moments(self):
        mean = self.total / self.n
        return mean, (self.squares - self.n * np.outer(mean, mean)) / (self.n - 1)


def frechet_of_moments(mean_1, cov_1, mean_2, cov_2):
    """The Frechet distance of two Gaussians (SciPy's sqrtm, independent of adinfer)."""
    import scipy.linalg

    root = np.real(scipy.linalg.sqrtm(cov_1 @ cov_2))
    return float(np.sum((mean_1 - mean_2) ** 2) + np.trace(cov_1 + cov_2 - 2 * root))


def streamed_frechet(real, fake):
    fd = metrics.FrechetDistance()
    for batch in batches(real, REAL_SIZES):
        fd.update_state(real_features=batch)
    for batch in batches(fake, FAKE_SIZES):
        fd.update_state(fake_features=batch)
    return fd


def test_streaming_frechet_over_uneven_batches_equals_one_shot():
    rng = np.random.default_rng(0)
    real, fake = correlated(rng, 1000, 16), correlated(rng, 800, 16, 1.1, 0.05)
    fd = streamed_frechet(real, fake)
    assert (fd.num_real, fd.num_fake) == (1000, 800)
    result = fd.result()
    assert isinstance(result, tf.Tensor) and result.dtype == tf.float64 and result.shape == ()
    one_shot = float(metrics.frechet_distance(real, fake))
    assert float(result) == pytest.approx(one_shot, rel=1e-6)
    assert float(result) == pytest.approx(one_shot, rel=1e-9)  # in fact much closer
    # Both sides in one call, float32 tensors.
    both = metrics.FrechetDistance()
    for r, f in zip(batches(real, [500, 500]), batches(fake, [300, 500])):
        both.update_state(tf.constant(r, tf.float32), tf.constant(f, tf.float32))
    one_shot_32 = metrics.frechet_distance(real.astype(np.float32), fake.astype(np.float32))
    assert float(both.result()) == pytest.approx(float(one_shot_32), rel=1e-9)


def test_large_mean_stays_exact_where_sum_of_squares_fails():
    """Features of scale 0.1 around 1e4: the streamed distance is within 1e-6
    of the distance without the offset (it is shift-invariant), and of the
    one-shot function; the sum-of-squares accumulator misses by more than 1e-6
    (cancellation in S - n mu mu^T loses log10(1e8 / 0.01) = 10 digits)."""
    rng = np.random.default_rng(1)
    real, fake = correlated(rng, 1000, 16, 0.1), correlated(rng, 800, 16, 0.11, 0.005)
    exact = float(metrics.frechet_distance(real, fake))
    offset = 1e4
    streamed = float(streamed_frechet(real + offset, fake + offset).result())
    assert streamed == pytest.approx(exact, rel=1e-6)
    assert float(metrics.frechet_distance(real + offset, fake + offset)) == pytest.approx(
        exact, rel=1e-6
    )
    naive_real, naive_fake = SumOfSquares(), SumOfSquares()
    for batch in batches(real + offset, REAL_SIZES):
        naive_real.update(batch)
    for batch in batches(fake + offset, FAKE_SIZES):
        naive_fake.update(batch)
    naive = frechet_of_moments(*naive_real.moments(), *naive_fake.moments())
    assert abs(naive - exact) / exact > 1e-6  # the same test fails for the naive one
    # The accumulator's sanity: without the offset the naive one agrees.
    plain_real, plain_fake = SumOfSquares(), SumOfSquares()
    plain_real.update(real)
    plain_fake.update(fake)
    assert frechet_of_moments(*plain_real.moments(), *plain_fake.moments()) == pytest.approx(
        exact, rel=1e-6
    )


def test_reset_one_side_and_sample_and_run():
    rng = np.random.default_rng(2)
    real, fake_a, fake_b = (correlated(rng, 300, 6, s) for s in (1.0, 1.3, 0.7))
    fd = metrics.FrechetDistance()
    fd.update_state(real_features=real)
    fd.update_state(fake_features=fake_a)
    assert float(fd.result()) == pytest.approx(float(metrics.frechet_distance(real, fake_a)))
    fd.reset_state(real=False)
    assert (fd.num_real, fd.num_fake) == (300, 0)
    # sample_and_run with an update_state that returns None keeps nothing.
    stream = iter(batches(fake_b, [64] * 4 + [44]))
    kept = metrics.sample_and_run(
        lambda x: fd.update_state(fake_features=x), lambda b: next(stream), n=300, batch_size=64
    )
    assert kept is None
    assert float(fd.result()) == pytest.approx(
        float(metrics.frechet_distance(real, fake_b)), rel=1e-9
    )
    fd.reset_state()
    assert (fd.num_real, fd.num_fake) == (0, 0)
    fd.update_state(real_features=np.zeros((3, 2)))  # a new width after a full reset


def test_frechet_accumulator_errors():
    fd = metrics.FrechetDistance()
    with pytest.raises(ValueError, match=r"^real_features or fake_features must be"):
        fd.update_state()
    fd.update_state(real_features=np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^fake_features must be an array with 3 features"):
        fd.update_state(fake_features=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"^fake_features must be an array with 3 features"):
        fd.update_state(np.zeros((4, 3)), np.zeros((4, 2)))
    assert fd.num_real == 4  # a refused call changes nothing
    with pytest.raises(ValueError, match=r"^fake_features must be finite"):
        fd.update_state(fake_features=np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match=r"^real_features must be a rank-2 array"):
        fd.update_state(real_features=np.zeros(3))
    with pytest.raises(TypeError, match=r"^real_features must be a numeric"):
        fd.update_state(real_features="x")
    fd.update_state(fake_features=np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"^fake_features must be .*at least 2 rows.*got 1"):
        fd.result()
    with pytest.raises(TypeError, match=r"^real must be a bool"):
        fd.reset_state(real=None)


def test_streaming_kid_equals_one_shot_while_it_fits():
    rng = np.random.default_rng(3)
    real, fake = correlated(rng, 1000, 8), correlated(rng, 800, 8, 1.2)
    kid = metrics.KernelDistance(max_samples=1000, max_block_size=300)
    for batch in batches(real, REAL_SIZES):
        kid.update_state(real_features=batch)
    for batch in batches(fake, FAKE_SIZES):
        kid.update_state(fake_features=batch)
    mean, std = kid.result()
    ref_mean, ref_std = metrics.kernel_distance(real, fake, max_block_size=300)
    assert float(mean) == float(ref_mean) and float(std) == float(ref_std)
    assert float(kid.result(return_std=False)) == float(ref_mean)
    np.testing.assert_array_equal(kid.real_sample, real)


def test_streaming_kid_keeps_a_uniform_reservoir():
    """Beyond max_samples a side keeps max_samples rows of those seen, each row
    with probability max_samples / n (Algorithm R), reproducibly from the seed."""
    stream = np.arange(1000, dtype=np.float64)[:, None]  # row i holds i
    hits = np.zeros(1000)
    for seed in range(300):
        kid = metrics.KernelDistance(max_samples=100, seed=seed)
        for batch in batches(stream, [150, 1, 349, 500]):
            kid.update_state(real_features=batch)
        kept = kid.real_sample[:, 0].astype(int)
        assert kid.num_real == 1000 and len(np.unique(kept)) == 100
        hits[kept] += 1
    # Each row is kept with probability 0.1: 30 of 300 on average (sd 5.2).
    first, last = hits[:500].mean(), hits[500:].mean()
    assert 28 < first < 32 and 28 < last < 32
    again = metrics.KernelDistance(max_samples=100, seed=299)
    again.update_state(real_features=stream)
    np.testing.assert_array_equal(np.sort(again.real_sample[:, 0]), np.sort(kept))
    # A reservoir's KID is the one-shot KID of the rows kept.
    rng = np.random.default_rng(4)
    real, fake = correlated(rng, 500, 4), correlated(rng, 400, 4, 1.5)
    kid = metrics.KernelDistance(max_samples=200, max_block_size=100, seed=0)
    kid.update_state(real, fake)
    assert kid.real_sample.shape == kid.fake_sample.shape == (200, 4)
    expected = metrics.kernel_distance(kid.real_sample, kid.fake_sample, max_block_size=100)
    assert [float(v) for v in kid.result()] == [float(v) for v in expected]


def test_kid_accumulator_errors():
    with pytest.raises(ValueError, match=r"^max_samples must be a positive int"):
        metrics.KernelDistance(max_samples=0)
    with pytest.raises(TypeError, match=r"^seed must be an int"):
        metrics.KernelDistance(seed=1.5)
    kid = metrics.KernelDistance()
    kid.update_state(real_features=np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"^fake_features must be an array with 2 features"):
        kid.update_state(fake_features=np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"^fake_features must be .*at least 2 rows.*got 0"):
        kid.result()


def test_usable_in_run_evaluate():
    """Inside inference.run(evaluate=...): the real statistics kept, the fakes
    drawn and accumulated a batch at a time at each evaluation."""
    import keras

    from adinfer import GANInference

    keras.utils.set_random_seed(0)
    real = np.random.default_rng(5).normal(size=(256, 2)).astype(np.float32)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    def fake(n):
        return generator(tf.random.normal([n, 2]))

    fid = metrics.FrechetDistance()
    kid = metrics.KernelDistance(max_samples=500, seed=0)
    fid.update_state(real_features=real)
    kid.update_state(real_features=real)
    seen = []

    def evaluate(inference):
        fid.reset_state(real=False)
        kid.reset_state(real=False)

        def update(x):
            fid.update_state(fake_features=x)
            kid.update_state(fake_features=x)

        metrics.sample_and_run(update, inference.sample, n=1000, batch_size=300)
        seen.append(fid.num_fake)
        return {"fid": fid.result(), "kid": kid.result(return_std=False)}

    inference = GANInference(data={fake: real}, discriminator=discriminator, batch_size=64)
    inference.run(n_iter=4, n_print=0, evaluate=evaluate, evaluate_every=2)
    assert seen == [1000, 1000]
    assert np.isfinite(float(fid.result())) and float(fid.result()) > 0
