"""Mode coverage of samples from Gaussian-mixture toy data (ring, grid)."""

import dataclasses

import numpy as np

from adinfer import validate
from adinfer.metrics import checks


@dataclasses.dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    Attributes:
      high_quality_fraction: fraction of samples within ``threshold * std`` of
        their nearest mean (Python float).
      modes_covered: number of modes that are the nearest mean of at least one
        high-quality sample (Python int).
      reverse_kl: ``KL(p || uniform)`` of the high-quality histogram (Python
        float; ``inf`` if there is no high-quality sample).
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
      ``m`` modes.  With no high-quality sample at all it is ``inf`` (not
      ``nan``): the worst value, above the ``log K`` of a generator that puts
      everything on one mode, so that averages and comparisons over runs treat
      a generator that produces nothing usable as the worst, not as missing.

    Note: for an isotropic 2-D Gaussian, ``P(||x - mu|| <= 3 std) =
    1 - exp(-4.5) ~ 0.989``, so perfect samples give a high-quality fraction
    of about 0.989 with the default threshold.

    Args:
      samples: ``[n, d]`` real array/tensor, ``n >= 1``; a sample holding NaN
        or Inf counts as not high quality.
      means: ``[K, d]`` mixture means.
      std: positive scalar, or ``[K]`` per-mode standard deviations.
      threshold: positive number of standard deviations.
      chunk_size: samples per distance computation (the ``[chunk, K]`` distance
        matrix bounds memory); default ``max(1, 2**22 // K)``.

    Returns:
      A :class:`ModeCoverage`.
    """
    x = checks.numpy_matrix(samples, "samples", finite=False)
    mu = checks.numpy_matrix(means, "means")
    if x.shape[1] != mu.shape[1]:
        validate.fail(
            ValueError,
            "means",
            f"an array with the same number of features as samples ({x.shape[1]} columns)",
            given=f"{mu.shape[1]} columns",
        )
    k = mu.shape[0]
    std = checks.numpy_real(std, "std")
    if std.ndim > 1 or (std.ndim == 1 and std.shape[0] != k):
        validate.fail(ValueError, "std", f"a scalar or an array of shape [{k}]", given=std.shape)
    if not np.all(np.isfinite(std)) or np.any(std <= 0):
        validate.fail(
            ValueError, "std", "finite and > 0 (a scalar or one per mode)", given=std.tolist()
        )
    threshold = validate.positive(threshold, "threshold", allow_none=False)
    chunk_size = validate.integer(chunk_size, "chunk_size", allow_none=True)
    if chunk_size is None:
        chunk_size = max(1, 2**22 // k)
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
        reverse_kl = float("inf")
    else:
        p = counts[counts > 0] / total
        reverse_kl = float(np.sum(p * np.log(p * k)))
    return ModeCoverage(
        high_quality_fraction=total / x.shape[0],
        modes_covered=int(np.count_nonzero(counts)),
        reverse_kl=reverse_kl,
        counts=counts,
    )
