"""Sample-quality metrics for generative models.

Return conventions:

* The core distribution metrics -- :func:`frechet_distance`,
  :func:`frechet_distance_from_samples`, :func:`kernel_distance`,
  :func:`classifier_score` and :func:`classifier_score_and_std` -- compute in
  ``float64`` and return scalar ``tf.Tensor``\\ s of dtype ``tf.float64`` (as
  TF-GAN does); use ``float(x)`` or ``x.numpy()`` to get Python/NumPy values.
  Pairs ``(mean, std)`` are returned as Python tuples of such scalars.
* :func:`mode_coverage` is NumPy-based and returns a :class:`ModeCoverage`
  dataclass of Python / NumPy values.
* :func:`sample_and_run` returns the concatenated outputs of ``fn`` with
  ``fn``'s structure (``tf.Tensor`` leaves stay tensors, NumPy leaves stay
  arrays).
* :func:`image_grid` returns a NumPy array.

Bad input raises ``TypeError`` (wrong type / dtype) or ``ValueError`` (wrong
rank, mismatched feature dimensions, too few samples, ...), naming the
offending argument.  Shape checks are done on static shapes; in graph mode
with unknown shapes the rank and sample-count checks become runtime
assertions.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

__all__ = [
    "frechet_distance",
    "frechet_distance_from_samples",
    "kernel_distance",
    "classifier_score",
    "classifier_score_and_std",
    "ModeCoverage",
    "mode_coverage",
    "sample_and_run",
    "image_grid",
]


# ---------------------------------------------------------------------------
# Input validation helpers.
# ---------------------------------------------------------------------------


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value}.")
    return int(value)


def _to_float64_tensor(x, name):
    """Converts `x` to a float64 tensor; TypeError for non-numeric input."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}` must be a numeric array or tensor; got {type(x).__name__}.")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"`{name}` must be a numeric array or tensor; could not convert {type(x).__name__}: {e}"
        ) from e
    if not (t.dtype.is_floating or t.dtype.is_integer) or t.dtype == tf.bool:
        raise TypeError(
            f"`{name}` must have a real (floating or integer) dtype; got {t.dtype.name}."
        )
    return tf.cast(t, tf.float64)


def _as_matrix(x, name, min_rows):
    """float64 tensor of rank 2 with at least `min_rows` rows."""
    t = _to_float64_tensor(x, name)
    rank = t.shape.rank
    if rank is None:
        with tf.control_dependencies(
            [tf.debugging.assert_rank(t, 2, message=f"`{name}` must be rank 2")]
        ):
            t = tf.identity(t)
    elif rank != 2:
        raise ValueError(
            f"`{name}` must be a rank-2 [num_samples, num_features] array; got shape {t.shape}."
        )
    n = t.shape[0]
    if n is None:
        with tf.control_dependencies(
            [
                tf.debugging.assert_greater_equal(
                    tf.shape(t)[0], min_rows, message=f"`{name}` needs at least {min_rows} samples"
                )
            ]
        ):
            t = tf.identity(t)
    elif n < min_rows:
        raise ValueError(f"`{name}` needs at least {min_rows} samples (rows); got {n}.")
    return t


def _check_same_features(a, b, name_a, name_b):
    da, db = a.shape[-1], b.shape[-1]
    if da is not None and db is not None and da != db:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same number of features; got {da} and {db}."
        )
    if da is None and db is None:
        raise ValueError(f"The feature dimension of `{name_a}` / `{name_b}` must be static.")


# ---------------------------------------------------------------------------
# Frechet distance.
# ---------------------------------------------------------------------------


def _mean_and_cov(x):
    """Sample mean and unbiased (ddof=1) covariance of the rows of `x`."""
    n = tf.cast(tf.shape(x)[0], tf.float64)
    mu = tf.reduce_mean(x, axis=0)
    centred = x - mu
    cov = tf.matmul(centred, centred, transpose_a=True) / (n - 1.0)
    return mu, cov


def _symmetric_sqrtm(m):
    """Principal square root of a symmetric PSD matrix via eigh."""
    m = 0.5 * (m + tf.linalg.matrix_transpose(m))
    w, v = tf.linalg.eigh(m)
    w = tf.sqrt(tf.maximum(w, 0.0))
    return tf.matmul(v * w[..., tf.newaxis, :], v, transpose_b=True)


def _trace_sqrt_product(sigma_1, sigma_2):
    """Tr((sigma_1 sigma_2)^(1/2)) for symmetric PSD matrices.

    (sigma_1 sigma_2) is similar to A = sqrt(sigma_1) sigma_2 sqrt(sigma_1),
    which is symmetric PSD, so the trace of the square root is the sum of the
    square roots of the (clipped non-negative) eigenvalues of A.
    """
    sqrt_1 = _symmetric_sqrtm(sigma_1)
    a = tf.matmul(sqrt_1, tf.matmul(sigma_2, sqrt_1))
    a = 0.5 * (a + tf.linalg.matrix_transpose(a))
    w = tf.linalg.eigvalsh(a)
    return tf.reduce_sum(tf.sqrt(tf.maximum(w, 0.0)))


def frechet_distance(features_1, features_2):
    """Frechet distance between Gaussians fitted to two feature sets.

    ``FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))``

    where ``mu_i`` is the sample mean and ``S_i`` the unbiased sample covariance
    (``ddof=1``, as ``np.cov``) of the rows of ``features_i``.  The trace of
    the matrix square root is computed stably as in TF-GAN's
    ``trace_sqrt_product``: ``sum_j sqrt(max(lambda_j, 0))`` over the
    eigenvalues of the symmetric PSD matrix ``S_1^(1/2) S_2 S_1^(1/2)``.
    With Inception pool features this is the FID of Heusel et al. (2017),
    "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium".

    Note: the plug-in estimate is biased -- it depends on the number of samples
    (it is positive in expectation even for two samples of one distribution and
    decreases with ``n``; Binkowski et al. 2018, Chong & Forsyth 2020).  Only
    compare values computed with the same sample sizes.

    Args:
      features_1: ``[n_1, d]`` real array/tensor, ``n_1 >= 2``.
      features_2: ``[n_2, d]`` real array/tensor, ``n_2 >= 2``.

    Returns:
      Scalar ``tf.float64`` tensor.

    Raises:
      TypeError: non-numeric input.
      ValueError: rank != 2, fewer than 2 rows, or different ``d``.
    """
    f1 = _as_matrix(features_1, "features_1", min_rows=2)
    f2 = _as_matrix(features_2, "features_2", min_rows=2)
    _check_same_features(f1, f2, "features_1", "features_2")
    mu_1, sigma_1 = _mean_and_cov(f1)
    mu_2, sigma_2 = _mean_and_cov(f2)
    mean_term = tf.reduce_sum(tf.square(mu_1 - mu_2))
    trace_term = (
        tf.linalg.trace(sigma_1)
        + tf.linalg.trace(sigma_2)
        - 2.0 * _trace_sqrt_product(sigma_1, sigma_2)
    )
    return mean_term + trace_term


def _run_on_array(fn, x, batch_size, name):
    """Applies `fn` to `x` in batches along axis 0 and concatenates."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}` must be an array or tensor; got {type(x).__name__}.")
    if not tf.is_tensor(x):
        x = np.asarray(x)
    shape = x.shape
    if len(shape) < 1:
        raise ValueError(f"`{name}` must have a leading sample axis; got a scalar.")
    n = int(shape[0])
    if n < 2:
        raise ValueError(f"`{name}` needs at least 2 samples; got {n}.")
    state = {"start": 0}

    def take(b):
        s = state["start"]
        state["start"] = s + b
        return x[s : s + b]

    return sample_and_run(fn, take, n, batch_size)


def frechet_distance_from_samples(samples_1, samples_2, feature_fn, *, batch_size=500):
    """Frechet distance between the features of two sets of samples.

    ``frechet_distance(feature_fn(samples_1), feature_fn(samples_2))`` with the
    features computed ``batch_size`` samples at a time (see
    :func:`sample_and_run`), so ``feature_fn`` (e.g. an Inception network)
    never sees more than ``batch_size`` inputs at once.

    Args:
      samples_1: array/tensor ``[n_1, ...]`` of samples.
      samples_2: array/tensor ``[n_2, ...]`` of samples.
      feature_fn: callable mapping a batch ``[b, ...]`` to features ``[b, d]``.
      batch_size: positive int.

    Returns:
      Scalar ``tf.float64`` tensor.
    """
    if not callable(feature_fn):
        raise TypeError(f"`feature_fn` must be callable; got {type(feature_fn).__name__}.")
    _check_int(batch_size, "batch_size", 1)
    f1 = _run_on_array(feature_fn, samples_1, batch_size, "samples_1")
    f2 = _run_on_array(feature_fn, samples_2, batch_size, "samples_2")
    return frechet_distance(f1, f2)


# ---------------------------------------------------------------------------
# Kernel (inception) distance.
# ---------------------------------------------------------------------------


def _block_bounds(n, num_blocks):
    """np.array_split boundaries: sizes differ by at most one, larger first."""
    base, extra = divmod(n, num_blocks)
    sizes = [base + 1] * extra + [base] * (num_blocks - extra)
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


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
    The estimator is unbiased, so it can be negative.

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
      ValueError: bad rank, different ``d``, or a block with fewer than two
        samples of either set.
    """
    max_block_size = _check_int(max_block_size, "max_block_size", 1)
    f1 = _as_matrix(features_1, "features_1", min_rows=2)
    f2 = _as_matrix(features_2, "features_2", min_rows=2)
    _check_same_features(f1, f2, "features_1", "features_2")
    n1, n2 = f1.shape[0], f2.shape[0]
    if n1 is None or n2 is None:
        raise ValueError(
            "`features_1` and `features_2` must have static numbers of rows for kernel_distance."
        )
    dim = tf.constant(float(f1.shape[1] if f1.shape[1] is not None else f2.shape[1]), tf.float64)
    num_blocks = -(-max(n1, n2) // max_block_size)
    for n, name in ((n1, "features_1"), (n2, "features_2")):
        if n // num_blocks < 2:
            raise ValueError(
                f"`{name}` has {n} samples, too few for {num_blocks} blocks (each "
                f"block needs >= 2 samples); increase `max_block_size`."
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


# ---------------------------------------------------------------------------
# Classifier (inception) score.
# ---------------------------------------------------------------------------


def _log_classifier_score(logits):
    log_p = tf.nn.log_softmax(logits, axis=-1)
    n = tf.cast(tf.shape(logits)[0], tf.float64)
    # log of the marginal p(y) = mean_x p(y|x), computed stably.
    log_q = tf.reduce_logsumexp(log_p, axis=0) - tf.math.log(n)
    kl = tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=-1)
    return tf.reduce_mean(kl)


def _as_logits(logits, num_splits):
    x = _as_matrix(logits, "logits", min_rows=1)
    n = x.shape[0]
    if n is not None and num_splits > n:
        raise ValueError(
            f"`num_splits` ({num_splits}) must be <= the number of samples in `logits` ({n})."
        )
    if n is None and num_splits > 1:
        raise ValueError("`logits` must have a static number of rows when `num_splits` > 1.")
    return x


def _split_scores(x, num_splits):
    bounds = _block_bounds(x.shape[0], num_splits)
    return tf.stack(
        [tf.exp(_log_classifier_score(x[bounds[i] : bounds[i + 1]])) for i in range(num_splits)]
    )


def classifier_score_and_std(logits, *, num_splits=10):
    """Classifier score over ``num_splits`` splits: ``(mean, std)``.

    ``logits`` is split into ``num_splits`` consecutive parts whose sizes differ
    by at most one (``np.array_split``; no sample is dropped), the score of
    :func:`classifier_score` is computed on each part, and the mean and the
    population standard deviation (``ddof=0``, as in Salimans et al.'s code) of
    the split scores are returned.  ``num_splits=10`` is the usual protocol.

    Returns:
      ``(mean, std)`` scalar ``tf.float64`` tensors.
    """
    num_splits = _check_int(num_splits, "num_splits", 1)
    x = _as_logits(logits, num_splits)
    scores = _split_scores(x, num_splits)
    mean = tf.reduce_mean(scores)
    std = tf.sqrt(tf.reduce_mean(tf.square(scores - mean)))
    return mean, std


def classifier_score(logits, *, num_splits=1):
    """Classifier score (generalised Inception score) from logits.

    ``CS = exp(E_x KL(p(y|x) || p(y)))``, ``p(y) = E_x p(y|x)``,
    with ``p(y|x) = softmax(logits)`` and the expectations replaced by sample
    means over the rows of ``logits`` (Salimans et al. 2016, "Improved
    Techniques for Training GANs"; TF-GAN ``classifier_score_from_logits``).
    It lies in ``[1, num_classes]``.  Computed in float64 with log-softmax.

    Args:
      logits: ``[n, num_classes]`` unnormalised log-probabilities.
      num_splits: with the default 1, the score over all samples is returned.
        With ``num_splits > 1``, returns ``(mean, std)`` over splits exactly as
        :func:`classifier_score_and_std`.

    Returns:
      Scalar ``tf.float64`` tensor, or a ``(mean, std)`` tuple if
      ``num_splits > 1``.
    """
    num_splits = _check_int(num_splits, "num_splits", 1)
    if num_splits > 1:
        return classifier_score_and_std(logits, num_splits=num_splits)
    x = _as_logits(logits, 1)
    return tf.exp(_log_classifier_score(x))


# ---------------------------------------------------------------------------
# Mode coverage for Gaussian-mixture toy data.
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    Attributes:
      high_quality_fraction: fraction of samples within ``threshold * std`` of
        their nearest mean (Python float).
      modes_covered: number of modes that are the nearest mean of at least one
        high-quality sample (Python int).
      reverse_kl: ``KL(p || uniform)`` of the high-quality histogram (Python
        float; ``nan`` if there is no high-quality sample).
      counts: ``int64`` array ``[K]``, high-quality samples per mode.
    """

    high_quality_fraction: float
    modes_covered: int
    reverse_kl: float
    counts: np.ndarray

    @property
    def num_modes(self):
        return int(self.counts.shape[0])


def mode_coverage(samples, means, std, *, threshold=3.0, chunk_size=None):
    """Mode-coverage statistics of samples from a Gaussian-mixture toy set.

    Following Srivastava et al. (2017), "VEEGAN", and Metz et al. (2017): each
    sample is assigned to its nearest mean (Euclidean); it is *high quality* if
    that distance is ``<= threshold * std``.  With ``c_k`` the number of
    high-quality samples assigned to mode ``k`` (of ``K``):

    * ``high_quality_fraction = sum_k c_k / n``;
    * ``modes_covered = #{k : c_k > 0}``;
    * ``reverse_kl = KL(p || U_K) = sum_{k: p_k > 0} p_k log(p_k K)``, with
      ``p_k = c_k / sum_j c_j``.  It is 0 when the high-quality samples are
      spread evenly over all modes and ``log(K / m)`` when spread evenly over
      ``m`` modes.  If there is no high-quality sample it is undefined and
      ``nan`` is returned.

    Note: for an isotropic 2-D Gaussian, ``P(||x - mu|| <= 3 std) =
    1 - exp(-4.5) ~ 0.989``, so perfect samples give a high-quality fraction
    of about 0.989 with the default threshold.

    Args:
      samples: ``[n, d]`` real array/tensor, ``n >= 1``.
      means: ``[K, d]`` mixture means.
      std: positive scalar, or ``[K]`` per-mode standard deviations.
      threshold: positive number of standard deviations.
      chunk_size: samples per distance computation (the ``[chunk, K]`` distance
        matrix bounds memory); default ``max(1, 2**22 // K)``.

    Returns:
      A :class:`ModeCoverage`.
    """
    x = _as_numpy_matrix(samples, "samples")
    mu = _as_numpy_matrix(means, "means")
    if x.shape[1] != mu.shape[1]:
        raise ValueError(
            f"`samples` and `means` must have the same number of features; got "
            f"{x.shape[1]} and {mu.shape[1]}."
        )
    k = mu.shape[0]
    std = _as_numpy_real(std, "std")
    if std.ndim > 1 or (std.ndim == 1 and std.shape[0] != k):
        raise ValueError(f"`std` must be a scalar or have shape [{k}]; got {std.shape}.")
    if not np.all(np.isfinite(std)) or np.any(std <= 0):
        raise ValueError("`std` must be finite and > 0.")
    threshold = _as_numpy_real(threshold, "threshold")
    if threshold.ndim != 0 or not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"`threshold` must be a finite scalar > 0; got {threshold}.")
    if chunk_size is None:
        chunk_size = max(1, 2**22 // k)
    chunk_size = _check_int(chunk_size, "chunk_size", 1)
    radius = threshold * np.broadcast_to(std, (k,))

    mu_sq = np.sum(mu * mu, axis=1)
    counts = np.zeros(k, dtype=np.int64)
    for start in range(0, x.shape[0], chunk_size):
        xc = x[start : start + chunk_size]
        # Squared distances up to the per-row constant ||x||^2 (argmin only).
        partial = mu_sq[np.newaxis, :] - 2.0 * (xc @ mu.T)
        nearest = np.argmin(partial, axis=1)
        # Exact distance to the nearest mean.
        dist = np.sqrt(np.sum((xc - mu[nearest]) ** 2, axis=1))
        hq = dist <= radius[nearest]
        counts += np.bincount(nearest[hq], minlength=k)

    total = int(counts.sum())
    if total == 0:
        reverse_kl = float("nan")
    else:
        p = counts[counts > 0] / total
        reverse_kl = float(np.sum(p * np.log(p * k)))
    return ModeCoverage(
        high_quality_fraction=total / x.shape[0],
        modes_covered=int(np.count_nonzero(counts)),
        reverse_kl=reverse_kl,
        counts=counts,
    )


def _as_numpy_real(x, name):
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}` must be numeric; got {type(x).__name__}.")
    if tf.is_tensor(x):
        x = x.numpy()
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"`{name}` must be numeric: {e}") from e
    if a.dtype == bool or not (
        np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
    ):
        raise TypeError(f"`{name}` must have a real dtype; got {a.dtype}.")
    return a.astype(np.float64)


def _as_numpy_matrix(x, name):
    a = _as_numpy_real(x, name)
    if a.ndim != 2:
        raise ValueError(f"`{name}` must be rank 2 [num, features]; got shape {a.shape}.")
    if a.shape[0] < 1:
        raise ValueError(f"`{name}` must not be empty.")
    return a


# ---------------------------------------------------------------------------
# Batching and images.
# ---------------------------------------------------------------------------


def _leading_dim(x):
    shape = x.shape
    if len(shape) == 0:
        return None
    return shape[0]


def _concat(*parts):
    if any(tf.is_tensor(p) for p in parts):
        return tf.concat(parts, axis=0)
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def sample_and_run(fn, sample_fn, n, batch_size):
    """Draws ``n`` samples in batches, applies ``fn`` and concatenates.

    Calls ``sample_fn(b)`` for ``b = batch_size, ..., batch_size, r`` (the last
    batch is smaller so that exactly ``n`` samples are drawn), applies ``fn``
    to each batch and concatenates the outputs along axis 0.  Only ``fn``'s
    outputs are kept, never all the samples at once (useful for computing
    Inception features of many generated images).

    Args:
      fn: callable mapping a batch ``[b, ...]`` to a tensor/array ``[b, ...]``
        or a (nested) tuple/list/dict of them.
      sample_fn: callable ``b -> batch of b samples``.
      n: positive int, total number of samples.
      batch_size: positive int.

    Returns:
      ``fn``'s output structure with each leaf concatenated along axis 0 (a
      ``tf.Tensor`` if any batch output of that leaf is a tensor, else a NumPy
      array).

    Raises:
      TypeError: non-callable ``fn``/``sample_fn`` or non-int ``n``/
        ``batch_size``.
      ValueError: ``n`` or ``batch_size`` < 1, or an output whose leading
        dimension is not the batch size.
    """
    if not callable(fn):
        raise TypeError(f"`fn` must be callable; got {type(fn).__name__}.")
    if not callable(sample_fn):
        raise TypeError(f"`sample_fn` must be callable; got {type(sample_fn).__name__}.")
    n = _check_int(n, "n", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    outputs = []
    remaining = n
    while remaining > 0:
        b = min(batch_size, remaining)
        out = fn(sample_fn(b))
        for leaf in tf.nest.flatten(out):
            if not tf.is_tensor(leaf):
                leaf = np.asarray(leaf)
            lead = _leading_dim(leaf)
            if lead is not None and lead != b:
                raise ValueError(
                    f"`fn` must return outputs with leading dimension equal to the "
                    f"batch size {b}; got shape {tuple(leaf.shape)}."
                )
            if lead is None and len(leaf.shape) == 0:
                raise ValueError(
                    "`fn` must return outputs with a leading batch dimension; got a scalar."
                )
        outputs.append(out)
        remaining -= b
    if len(outputs) == 1:
        return tf.nest.map_structure(_concat, outputs[0])
    return tf.nest.map_structure(_concat, *outputs)


def image_grid(images, grid_shape=None, *, pad_value=0.0):
    """Tiles a batch of images into one image.

    Image ``i`` goes to row ``i // cols`` and column ``i % cols`` (row-major),
    like TF-GAN's ``image_grid``.

    Args:
      images: ``[n, h, w, c]`` or ``[n, h, w]`` array/tensor.
      grid_shape: ``(rows, cols)`` with ``rows * cols >= n``; when ``None``,
        a near-square grid ``cols = ceil(sqrt(n))``, ``rows = ceil(n / cols)``.
        Unused cells are filled with ``pad_value``.
      pad_value: fill value of empty cells.

    Returns:
      NumPy array ``[rows * h, cols * w, c]`` (``[rows * h, cols * w]`` for
      rank-3 input) with the dtype of ``images``.

    Raises:
      ValueError: bad rank, empty batch, or ``rows * cols < n``.
      TypeError: malformed ``grid_shape``.
    """
    if tf.is_tensor(images):
        images = images.numpy()
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"`images` must be [n, h, w, c] or [n, h, w]; got shape {images.shape}.")
    n = images.shape[0]
    if n < 1:
        raise ValueError("`images` must contain at least one image.")
    if grid_shape is None:
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
    else:
        if not isinstance(grid_shape, (tuple, list)) or len(grid_shape) != 2:
            raise TypeError(f"`grid_shape` must be a (rows, cols) pair; got {grid_shape!r}.")
        rows = _check_int(grid_shape[0], "grid_shape[0]", 1)
        cols = _check_int(grid_shape[1], "grid_shape[1]", 1)
        if rows * cols < n:
            raise ValueError(
                f"`grid_shape` {(rows, cols)} has {rows * cols} cells, too few for {n} images."
            )
    h, w = images.shape[1:3]
    rest = images.shape[3:]
    padded = np.full((rows * cols, h, w) + rest, pad_value, dtype=images.dtype)
    padded[:n] = images
    grid = padded.reshape((rows, cols, h, w) + rest)
    grid = np.swapaxes(grid, 1, 2)  # [rows, h, cols, w, ...]
    return grid.reshape((rows * h, cols * w) + rest)
