"""Precision, recall, density and coverage: k-nearest-neighbour manifolds in feature space."""

from typing import NamedTuple

import tensorflow as tf

from adinfer import validate
from adinfer.metrics import checks

# Distances held at once (a [rows, columns] float64 block of 128 MiB).
_BLOCK_ENTRIES = 2**24


class PrecisionRecall(NamedTuple):
    """Result of :func:`precision_recall`: scalar ``tf.float64`` tensors."""

    precision: tf.Tensor
    recall: tf.Tensor


class DensityCoverage(NamedTuple):
    """Result of :func:`density_coverage`: scalar ``tf.float64`` tensors."""

    density: tf.Tensor
    coverage: tf.Tensor


def _squared_norms(x):
    return tf.reduce_sum(tf.square(x), axis=1)


def _squared_distances(block, block_norms, other, other_norms):
    """``||a - b||^2`` for the rows `a` of `block` and `b` of `other`, ``>= 0``."""
    cross = tf.matmul(block, other, transpose_b=True)
    return tf.maximum(block_norms[:, None] + other_norms[None, :] - 2.0 * cross, 0.0)


def _blocks(n, other, batch_size):
    rows = batch_size or max(1, _BLOCK_ENTRIES // max(other, 1))
    return [(start, min(start + rows, n)) for start in range(0, n, rows)]


def _squared_distance_blocks(x, y, batch_size):
    """Yields ``(start, stop, d2)`` over blocks of rows of `x`, ``d2`` the
    ``[stop - start, len(y)]`` squared distances of ``x[start:stop]`` to
    every row of `y`.
    """
    x_norms = _squared_norms(x)
    y_norms = x_norms if y is x else _squared_norms(y)
    for start, stop in _blocks(int(x.shape[0]), int(y.shape[0]), batch_size):
        yield start, stop, _squared_distances(x[start:stop], x_norms[start:stop], y, y_norms)


def _kth_neighbour_squared_radii(x, k, batch_size):
    """Squared distance of each row of `x` to its k-th nearest other row.

    As prdc: the (k + 1)-th smallest distance in the row of all distances,
    whose smallest is the point's own (set to exactly 0).
    """
    radii = []
    for start, stop, d2 in _squared_distance_blocks(x, x, batch_size):
        rows = tf.range(stop - start)
        own = tf.stack([rows, rows + start], axis=1)
        d2 = tf.tensor_scatter_nd_update(d2, own, tf.zeros([stop - start], tf.float64))
        radii.append(-tf.math.top_k(-d2, k + 1, sorted=True).values[:, k])
    return tf.concat(radii, axis=0)


def _features(real_features, fake_features, k, min_fake_rows):
    real = checks.feature_matrix(real_features, "real_features", min_rows=1)
    fake = checks.feature_matrix(fake_features, "fake_features", min_rows=1)
    checks.same_width(real, fake, "real_features", "fake_features")
    for x, name, needed in ((real, "real_features", k + 1), (fake, "fake_features", min_fake_rows)):
        if x.shape[0] < needed:
            validate.fail(
                ValueError,
                name,
                f"an array of at least k + 1 = {needed} rows for k={k} (the k-th nearest "
                "neighbour of a point is another point of its set)",
                given=f"{x.shape[0]} rows",
            )
    # Distances do not change under a common shift; centring both sets at the
    # real mean keeps ||a||^2 + ||b||^2 - 2 a.b free of cancellation.
    centre = tf.reduce_mean(real, axis=0)
    return real - centre, fake - centre


def precision_recall(real_features, fake_features, k=3, *, batch_size=None):
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points, each ball's
    radius the distance to the point's k-th nearest neighbour in its own set
    (the point itself excluded): ``r_k(x) = ||x - NN_k(x)||``. With real
    features ``X`` (``n`` rows) and fake features ``Y`` (``m`` rows):

    ``precision = (1/m) sum_j 1[exists i: ||y_j - x_i|| < r_k(x_i)]``
    (the fraction of fake samples inside the real manifold: fidelity),

    ``recall = (1/n) sum_i 1[exists j: ||x_i - y_j|| < r_k(y_j)]``
    (the fraction of real samples inside the fake manifold: diversity).

    Kynkäänniemi, Karras, Laine, Lehtinen & Aila (2019), "Improved Precision
    and Recall Metric for Assessing Generative Models", NeurIPS. The
    comparisons are strict, as in the `prdc` reference implementation of
    Naeem et al. (and StudioGAN, which uses it); torch-fidelity counts a
    distance equal to the radius as inside (``<=``), which differs only on
    exact ties (decided by float64 rounding here). Identical sets give
    precision = recall = 1 (when no point has k duplicates).

    Distances are computed in float64 in blocks of `batch_size` rows against
    all rows of the other set, so memory grows with ``batch_size * max(n, m)``,
    never with ``n * m``: by default a block holds 2^24 distances (128 MiB)
    whatever the sizes, so 50,000 x 50,000 sets of 2048-d features need the
    features in float64 (0.8 GB a set) and under 1 GB of temporaries (0.84 GB
    measured at 20,000 x 20,000, where the full distance matrix would take
    3.2 GB). The cost is ``O((n + m)^2 d)``.

    Args:
      real_features: ``[n, d]`` real array/tensor, ``n >= k + 1``.
      fake_features: ``[m, d]`` real array/tensor, ``m >= k + 1``.
      k: positive int, the neighbour whose distance is the radius (3 in the paper).
      batch_size: rows per distance block; None for blocks of about 2^24 distances.

    Returns:
      A :class:`PrecisionRecall` of scalar ``tf.float64`` tensors
      (``precision, recall = precision_recall(...)``).

    Raises:
      TypeError: non-numeric features or a non-int `k`.
      ValueError: rank != 2, different ``d``, NaN/Inf, ``k < 1`` or fewer than
        ``k + 1`` rows in either set.
    """
    k = validate.integer(k, "k")
    batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
    real, fake = _features(real_features, fake_features, k, k + 1)
    real_radii = _kth_neighbour_squared_radii(real, k, batch_size)
    fake_radii = _kth_neighbour_squared_radii(fake, k, batch_size)
    fake_inside = tf.zeros([int(fake.shape[0])], tf.bool)
    real_inside = []
    for start, stop, d2 in _squared_distance_blocks(real, fake, batch_size):
        fake_inside |= tf.reduce_any(d2 < real_radii[start:stop, None], axis=0)
        real_inside.append(tf.reduce_any(d2 < fake_radii[None, :], axis=1))
    precision = tf.reduce_mean(tf.cast(fake_inside, tf.float64))
    recall = tf.reduce_mean(tf.cast(tf.concat(real_inside, axis=0), tf.float64))
    return PrecisionRecall(precision, recall)


def density_coverage(real_features, fake_features, k=5, *, batch_size=None):
    """Density and coverage (Naeem et al. 2020).

    With the real k-NN radii ``r_k(x_i)`` of :func:`precision_recall`, real
    features ``X`` (``n`` rows) and fake features ``Y`` (``m`` rows):

    ``density = (1 / (k m)) sum_j sum_i 1[||y_j - x_i|| < r_k(x_i)]``
    (how many real balls hold each fake sample, on average, over k: fidelity;
    about 1 when the sets come from one distribution, above 1 where fakes
    crowd dense real regions, and not bounded by 1),

    ``coverage = (1/n) sum_i 1[min_j ||x_i - y_j|| < r_k(x_i)]``
    (the fraction of real balls that hold at least one fake sample: diversity,
    in [0, 1]).

    Only the real set's radii are used, so neither metric is inflated by
    outliers among the fakes (the weakness of precision and recall that the
    paper fixes). Naeem, Oh, Uh, Choi & Yoo (2020), "Reliable Fidelity and
    Diversity Metrics for Generative Models", ICML; comparisons strict as in
    their `prdc` package, whose values these equal. Identical sets give
    coverage = 1. Memory and blocks as in :func:`precision_recall`.

    Args:
      real_features: ``[n, d]`` real array/tensor, ``n >= k + 1``.
      fake_features: ``[m, d]`` real array/tensor, ``m >= 1``.
      k: positive int (5 in the paper).
      batch_size: rows per distance block; None for blocks of about 2^24 distances.

    Returns:
      A :class:`DensityCoverage` of scalar ``tf.float64`` tensors.

    Raises:
      TypeError: non-numeric features or a non-int `k`.
      ValueError: rank != 2, different ``d``, NaN/Inf, ``k < 1`` or fewer than
        ``k + 1`` real rows.
    """
    k = validate.integer(k, "k")
    batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
    real, fake = _features(real_features, fake_features, k, 1)
    real_radii = _kth_neighbour_squared_radii(real, k, batch_size)
    m = int(fake.shape[0])
    balls_per_fake = tf.zeros([m], tf.float64)
    covered = []
    for start, stop, d2 in _squared_distance_blocks(real, fake, batch_size):
        radii = real_radii[start:stop]
        inside = d2 < radii[:, None]
        balls_per_fake += tf.reduce_sum(tf.cast(inside, tf.float64), axis=0)
        covered.append(tf.reduce_min(d2, axis=1) < radii)
    density = tf.reduce_sum(balls_per_fake) / (k * m)
    coverage = tf.reduce_mean(tf.cast(tf.concat(covered, axis=0), tf.float64))
    return DensityCoverage(density, coverage)
