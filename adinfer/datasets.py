"""Toy two-dimensional data sets used to evaluate adversarial inference.

All samplers return NumPy ``float32`` arrays of shape ``[n, 2]`` and take a
``seed`` argument that may be ``None`` (fresh OS entropy), an ``int`` or a
``numpy.random.Generator`` (used as is, so successive calls with the same
generator draw fresh samples).  Mixture means are returned in ``float64``.

The Gaussian mixtures come with :func:`mixture_params`, which gives the
``(means, std)`` pair expected by :func:`adinfer.metrics.mode_coverage`.

References:
  * Metz et al. (2017), "Unrolled Generative Adversarial Networks"
    (ring of 8 Gaussians) and Srivastava et al. (2017), "VEEGAN" (ring and
    grid mixtures, mode-coverage metrics).
  * Gulrajani et al. (2017), "Improved Training of Wasserstein GANs",
    ``gan_toy.py`` (``8gaussians``, ``25gaussians``, ``swissroll``).
"""

import numpy as np

__all__ = [
    "ring_means",
    "ring",
    "grid_means",
    "grid",
    "wgan_gp_8gaussians",
    "wgan_gp_25gaussians",
    "swiss_roll",
    "mixture_params",
]

# Scale factors used by Gulrajani et al.'s gan_toy.py.
_WGAN_GP_8_SCALE = 1.414
_WGAN_GP_25_SCALE = 2.828
_SWISS_ROLL_SCALE = 7.5


def _rng(seed):
    """Returns a ``np.random.Generator`` for ``None``, an int or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(
            f"`seed` must be None, an int or a numpy.random.Generator; got {type(seed).__name__}."
        )
    return np.random.default_rng(seed)


def _check_count(n, name="n", minimum=0):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(n).__name__}.")
    if n < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {n}.")
    return int(n)


def _check_nonnegative(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a real number; got {type(x).__name__}.")
    if not np.isfinite(x) or x < 0:
        raise ValueError(f"`{name}` must be finite and >= 0; got {x}.")
    return float(x)


def _sample_mixture(n, means, std, rng, return_labels):
    """Equal-weight isotropic Gaussian mixture sample, float32."""
    labels = rng.integers(means.shape[0], size=n)
    x = means[labels] + std * rng.standard_normal((n, means.shape[1]))
    x = x.astype(np.float32)
    if return_labels:
        return x, labels
    return x


def ring_means(n_modes=8, radius=1.0):
    """Means of a ring mixture: ``(r cos(2 pi k / n), r sin(2 pi k / n))``.

    Args:
      n_modes: number of modes ``n >= 1``, ``k = 0, ..., n - 1`` (the angles are
        ``2 pi k / n``, not ``linspace(0, 2 pi, n)``, which would repeat a mode).
      radius: ring radius ``r >= 0``.

    Returns:
      ``float64`` array of shape ``[n_modes, 2]``.
    """
    n_modes = _check_count(n_modes, "n_modes", minimum=1)
    radius = _check_nonnegative(radius, "radius")
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring(n, *, std=0.01, n_modes=8, radius=1.0, seed=None, return_labels=False):
    """Samples an equal-weight mixture of Gaussians on a ring.

    Each sample picks a mode uniformly from :func:`ring_means` and adds
    isotropic Gaussian noise with standard deviation ``std``.

    Args:
      n: number of samples.
      std: per-coordinate standard deviation of each component.
      n_modes: number of modes.
      radius: ring radius.
      seed: ``None``, an int or a ``numpy.random.Generator``.
      return_labels: if True also return the ``int64`` mode index per sample.

    Returns:
      ``float32`` array ``[n, 2]`` (and the labels ``[n]`` if requested).
    """
    n = _check_count(n)
    std = _check_nonnegative(std, "std")
    means = ring_means(n_modes, radius)
    return _sample_mixture(n, means, std, _rng(seed), return_labels)


def grid_means(side=5, spacing=2.0):
    """Means of a square grid mixture, centred at the origin.

    For the defaults the means are ``{-4, -2, 0, 2, 4}^2`` (25 modes).  Mode
    ``k`` has coordinates ``(a[k // side], a[k % side])`` with
    ``a = spacing * (arange(side) - (side - 1) / 2)``.

    Returns:
      ``float64`` array of shape ``[side**2, 2]``.
    """
    side = _check_count(side, "side", minimum=1)
    spacing = _check_nonnegative(spacing, "spacing")
    a = spacing * (np.arange(side) - (side - 1) / 2.0)
    xx, yy = np.meshgrid(a, a, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def grid(n, *, std=0.05, side=5, spacing=2.0, seed=None, return_labels=False):
    """Samples an equal-weight mixture of Gaussians on a square grid.

    Args:
      n: number of samples.
      std: per-coordinate standard deviation of each component.
      side: grid side (``side**2`` modes).
      spacing: distance between neighbouring means.
      seed: ``None``, an int or a ``numpy.random.Generator``.
      return_labels: if True also return the ``int64`` mode index per sample.

    Returns:
      ``float32`` array ``[n, 2]`` (and the labels ``[n]`` if requested).
    """
    n = _check_count(n)
    std = _check_nonnegative(std, "std")
    means = grid_means(side, spacing)
    return _sample_mixture(n, means, std, _rng(seed), return_labels)


def wgan_gp_8gaussians(n, seed=None):
    """The ``8gaussians`` toy set of Gulrajani et al. (2017).

    Radius-2 ring of 8 modes (axes and diagonals), noise std 0.02, and the
    whole sample divided by 1.414; i.e. means ``ring_means(8, 2) / 1.414`` and
    std ``0.02 / 1.414``.  (Modes are ordered by angle here, whereas gan_toy.py
    lists axis modes first; the distribution is the same.)

    Returns:
      ``float32`` array ``[n, 2]``.
    """
    n = _check_count(n)
    means, std = mixture_params("8gaussians")
    return _sample_mixture(n, means, std, _rng(seed), False)


def wgan_gp_25gaussians(n, seed=None):
    """The ``25gaussians`` toy set of Gulrajani et al. (2017).

    Means ``{-4, -2, 0, 2, 4}^2``, noise std 0.05, the whole sample divided by
    2.828; i.e. means ``grid_means(5, 2) / 2.828`` and std ``0.05 / 2.828``.
    (gan_toy.py draws each mode equally often and shuffles; here the mode of
    each sample is drawn uniformly at random.)

    Returns:
      ``float32`` array ``[n, 2]``.
    """
    n = _check_count(n)
    means, std = mixture_params("25gaussians")
    return _sample_mixture(n, means, std, _rng(seed), False)


def swiss_roll(n, *, noise=0.25, seed=None):
    """The 2-D ``swissroll`` toy set of Gulrajani et al. (2017).

    Same formula as ``sklearn.datasets.make_swiss_roll``:
    ``t = 1.5 pi (1 + 2 u)``, ``u ~ U(0, 1)``, point
    ``(t cos t, 21 v, t sin t) + noise * N(0, I_3)``; the 2-D set keeps
    columns 0 and 2 and divides by 7.5 (the unused height is not drawn).

    Args:
      n: number of samples.
      noise: standard deviation of the Gaussian noise (before the 1/7.5 scale).
      seed: ``None``, an int or a ``numpy.random.Generator``.

    Returns:
      ``float32`` array ``[n, 2]``.
    """
    n = _check_count(n)
    noise = _check_nonnegative(noise, "noise")
    rng = _rng(seed)
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(size=n))
    x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    x = x + noise * rng.standard_normal((n, 2))
    return (x / _SWISS_ROLL_SCALE).astype(np.float32)


def mixture_params(name, **kwargs):
    """``(means, std)`` of a named Gaussian-mixture toy set.

    Args:
      name: one of ``"ring"``, ``"grid"``, ``"8gaussians"``, ``"25gaussians"``.
      **kwargs: for ``"ring"`` (``std``, ``n_modes``, ``radius``) and ``"grid"``
        (``std``, ``side``, ``spacing``) the same keyword arguments as the
        sampler; none for the WGAN-GP sets.

    Returns:
      ``(means, std)``: ``float64`` array ``[K, 2]`` and a Python float, ready
      for ``adinfer.metrics.mode_coverage(samples, means, std)``.
    """
    if name == "ring":
        allowed = {"std": 0.01, "n_modes": 8, "radius": 1.0}
    elif name == "grid":
        allowed = {"std": 0.05, "side": 5, "spacing": 2.0}
    elif name in ("8gaussians", "25gaussians"):
        allowed = {}
    else:
        raise ValueError(
            f"Unknown mixture `name` {name!r}; expected one of 'ring', 'grid', "
            "'8gaussians', '25gaussians'."
        )
    unknown = set(kwargs) - set(allowed)
    if unknown:
        raise TypeError(
            f"mixture_params({name!r}) got unexpected keyword arguments {sorted(unknown)}."
        )
    params = dict(allowed, **kwargs)
    if name == "ring":
        return (
            ring_means(params["n_modes"], params["radius"]),
            _check_nonnegative(params["std"], "std"),
        )
    if name == "grid":
        return (
            grid_means(params["side"], params["spacing"]),
            _check_nonnegative(params["std"], "std"),
        )
    if name == "8gaussians":
        return ring_means(8, 2.0) / _WGAN_GP_8_SCALE, 0.02 / _WGAN_GP_8_SCALE
    return grid_means(5, 2.0) / _WGAN_GP_25_SCALE, 0.05 / _WGAN_GP_25_SCALE
