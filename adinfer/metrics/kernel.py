"""Kernel (inception) distance: one-shot and streaming."""

import numpy as np
import tensorflow as tf

from adinfer import validate
from adinfer.metrics import checks
from adinfer.metrics.streaming import StreamingDistance


def _kid_block_bounds(n, num_blocks):
    """TF-GAN's KID blocks: sizes ``n // num_blocks``, the *last* ``n % num_blocks``
    blocks one larger (``kernel_classifier_distance_and_std_from_activations``).
    """
    base, extra = divmod(n, num_blocks)
    sizes = [base] * (num_blocks - extra) + [base + 1] * extra
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


def _polynomial_mmd2_unbiased(x, y, dim):
    k_xx = (tf.matmul(x, x, transpose_b=True) / dim + 1.0) ** 3
    k_yy = (tf.matmul(y, y, transpose_b=True) / dim + 1.0) ** 3
    k_xy = (tf.matmul(x, y, transpose_b=True) / dim + 1.0) ** 3
    m = tf.cast(tf.shape(x)[0], tf.float64)
    n = tf.cast(tf.shape(y)[0], tf.float64)
    return (
        (tf.reduce_sum(k_xx) - tf.linalg.trace(k_xx)) / (m * (m - 1.0))
        + (tf.reduce_sum(k_yy) - tf.linalg.trace(k_yy)) / (n * (n - 1.0))
        - 2.0 * tf.reduce_mean(k_xy)
    )


def kernel_distance(features_1, features_2, *, max_block_size=1024, return_std=True):
    """Kernel (inception) distance: unbiased polynomial-kernel MMD^2, in blocks.

    With ``k(x, y) = (x^T y / d + 1)^3`` and samples ``X`` (size m), ``Y``
    (size n), the unbiased estimator is

    ``MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1))
              + sum_{i != j} k(y_i, y_j) / (n (n - 1))
              - 2 sum_{i, j} k(x_i, y_j) / (m n)``

    (Binkowski et al. 2018, "Demystifying MMD GANs", KID).  As in TF-GAN's
    ``kernel_classifier_distance_and_std_from_activations``, both sets are split
    into ``B = ceil(max(n_1, n_2) / max_block_size)`` consecutive blocks: a set
    of ``n`` samples into blocks of ``n // B`` samples, the *last* ``n mod B``
    blocks one larger (e.g. 10 samples in 3 blocks: sizes 3, 3, 4); block ``b``
    of ``features_1`` is paired with block ``b`` of ``features_2``; the
    estimate is the mean of the ``B`` block estimates and ``std`` is its
    standard error,
    ``sqrt(sum_b (e_b - mean)^2 / (B - 1) / B)`` (``nan`` when ``B == 1``).
    The estimator is unbiased, so it can be negative.  :class:`KernelDistance`
    computes it from batches with bounded memory.

    Args:
      features_1: ``[n_1, d]`` real array/tensor.
      features_2: ``[n_2, d]`` real array/tensor.
      max_block_size: positive int, maximum block size.
      return_std: whether to also return the standard error.

    Returns:
      ``(mean, std)`` scalar ``tf.float64`` tensors if ``return_std`` else
      ``mean``.

    Raises:
      TypeError: non-numeric input or non-int ``max_block_size``.
      ValueError: bad rank, different ``d``, NaN/Inf, or a block with fewer
        than two samples of either set.
    """
    max_block_size = validate.integer(max_block_size, "max_block_size")
    return_std = validate.boolean(return_std, "return_std")
    f1 = checks.feature_matrix(features_1, "features_1", min_rows=2)
    f2 = checks.feature_matrix(features_2, "features_2", min_rows=2)
    width = checks.same_width(f1, f2, "features_1", "features_2")
    n1, n2 = f1.shape[0], f2.shape[0]
    if n1 is None or n2 is None:
        validate.fail(
            ValueError,
            "the number of rows of features_1 and features_2",
            "static for kernel_distance",
            given="None",
        )
    dim = tf.constant(float(width), tf.float64)
    num_blocks = -(-max(n1, n2) // max_block_size)
    for n, name in ((n1, "features_1"), (n2, "features_2")):
        if n // num_blocks < 2:
            validate.fail(
                ValueError,
                name,
                f"an array of at least 2 rows per block ({num_blocks} blocks of at most "
                f"max_block_size={max_block_size}; increase max_block_size)",
                given=f"{n} rows, too few",
            )
    b1 = _kid_block_bounds(n1, num_blocks)
    b2 = _kid_block_bounds(n2, num_blocks)
    estimates = tf.stack(
        [
            _polynomial_mmd2_unbiased(f1[b1[i] : b1[i + 1]], f2[b2[i] : b2[i + 1]], dim)
            for i in range(num_blocks)
        ]
    )
    mean = tf.reduce_mean(estimates)
    if not return_std:
        return mean
    if num_blocks == 1:
        std = tf.constant(float("nan"), tf.float64)
    else:
        var = tf.reduce_sum(tf.square(estimates - mean)) / (num_blocks - 1.0)
        std = tf.sqrt(var / num_blocks)
    return mean, std


class _Reservoir:
    """A uniform sample of at most `capacity` of the rows seen (Vitter's
    Algorithm R): the first `capacity` rows in order; then row ``t`` (0-based)
    replaces slot ``j ~ U{0, ..., t}`` when ``j < capacity``.
    """

    def __init__(self, capacity, seed_sequence):
        self.capacity = capacity
        self.seed_sequence = seed_sequence
        self.rng = np.random.default_rng(seed_sequence)
        self.count = 0
        self.rows = None

    def update(self, x):
        if self.rows is None:
            self.rows = np.empty((self.capacity, x.shape[1]), np.float64)
        filled = min(self.count, self.capacity)
        take = min(self.capacity - filled, x.shape[0])
        self.rows[filled : filled + take] = x[:take]
        rest = x[take:]
        if rest.shape[0]:
            seen = self.count + take + np.arange(rest.shape[0])  # 0-based stream index
            slots = self.rng.integers(0, seen + 1)
            kept = np.flatnonzero(slots < self.capacity)
            for i in kept:  # in stream order: a later row replaces an earlier one
                self.rows[slots[i]] = rest[i]
        self.count += x.shape[0]

    def sample(self):
        return self.rows[: min(self.count, self.capacity)]


class KernelDistance(StreamingDistance):
    """Streaming kernel distance (KID) with bounded memory: a reservoir per side.

    Each side (real, fake) keeps a uniform random sample of at most
    `max_samples` of the feature rows it has seen (Vitter's reservoir sampling,
    Algorithm R: the first `max_samples` rows as they come, then row ``t``
    replaces a random slot with probability ``max_samples / (t + 1)``), and
    ``result()`` is :func:`kernel_distance` of the two reservoirs with
    `max_block_size`.

    What equality holds with the one-shot :func:`kernel_distance`:

    * while each side has seen at most `max_samples` rows, the reservoirs are
      the concatenated batches in order, and ``result()`` equals
      ``kernel_distance(concat(real batches), concat(fake batches),
      max_block_size=max_block_size)`` exactly;
    * beyond that, ``result()`` is :func:`kernel_distance` of uniform random
      subsets of `max_samples` rows of each side: still an unbiased estimate of
      MMD^2 (the estimator is unbiased for any sample size), with the variance
      of `max_samples` rows; the `seed` makes the subsets reproducible.

    Memory: ``2 * max_samples * d`` float64 numbers (164 MB per side with the
    default 10,000 rows of 2048-d Inception features). The state lives in
    NumPy: call it eagerly, not inside a `tf.function`. Use it as
    :class:`FrechetDistance` (``run(evaluate=...)``, :func:`sample_and_run`):

    ```python
    kid = metrics.KernelDistance(max_samples=10_000, seed=0)
    kid.update_state(real_features=features(x_real))
    metrics.sample_and_run(
        lambda x: kid.update_state(fake_features=features(x)),
        inference.sample, n=50_000, batch_size=500)
    mean, std = kid.result()
    ```

    Args:
      max_samples: positive int, rows kept per side.
      max_block_size: positive int, as in :func:`kernel_distance`.
      seed: None or int, seeds the reservoirs' replacement draws (one stream
        per side; `reset_state` restarts a side's stream).
      name: a name for reports.
    """

    def __init__(
        self, max_samples=10_000, *, max_block_size=1024, seed=None, name="kernel_distance"
    ):
        self.max_samples = validate.integer(max_samples, "max_samples")
        self.max_block_size = validate.integer(max_block_size, "max_block_size")
        seed = validate.integer(seed, "seed", minimum=0, allow_none=True)
        self._seeds = dict(zip(("real", "fake"), np.random.SeedSequence(seed).spawn(2)))
        super().__init__(name)

    num_real = property(
        StreamingDistance.num_real.fget,
        doc="Rows of real features seen (not all kept beyond `max_samples`).",
    )
    num_fake = property(
        StreamingDistance.num_fake.fget,
        doc="Rows of fake features seen (not all kept beyond `max_samples`).",
    )

    @property
    def real_sample(self):
        """The real rows kept, ``[min(num_real, max_samples), d]`` float64: all
        rows seen while they fit, then a uniform sample of them.
        """
        return None if self._real.rows is None else self._real.sample().copy()

    @property
    def fake_sample(self):
        """The fake rows kept, as `real_sample`."""
        return None if self._fake.rows is None else self._fake.sample().copy()

    def new_side(self, side):
        """An empty reservoir of `max_samples` rows, drawing from `side`'s seed stream."""
        return _Reservoir(self.max_samples, self._seeds[side])

    def result(self, return_std=True):
        """:func:`kernel_distance` of the two reservoirs: ``(mean, std)``
        scalar ``tf.float64`` tensors, or ``mean`` alone.

        Raises:
          ValueError: fewer than 2 rows of either side, or too few for the
            blocks (see :func:`kernel_distance`).
        """
        real, fake = self.ready_sides()
        return kernel_distance(
            real.sample(),
            fake.sample(),
            max_block_size=self.max_block_size,
            return_std=return_std,
        )
