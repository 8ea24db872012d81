"""Data sets used to evaluate adversarial inference: 2-D toys and 28×28 images.

Toy sets. All samplers return NumPy ``float32`` arrays of shape ``[n, 2]``
and take a ``seed`` argument that may be ``None`` (fresh OS entropy), an
``int`` or a ``numpy.random.Generator`` (used as is, so successive calls with
the same generator draw fresh samples).  Mixture means are returned in
``float64``.  The Gaussian mixtures come with :func:`mixture_params`, which
gives the ``(means, std)`` pair expected by
:func:`adinfer.metrics.mode_coverage`.

Images. :func:`fashion_mnist` and :func:`mnist` read the original IDX files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each gzipped or not)
from local directories and return ``(images uint8 [N, 28, 28], labels int64
[N])``.  They never use the network.  Where they look, in order:

  1. ``path``, when given (then nowhere else);
  2. ``$ADINFER_DATA/<name>/`` then ``$ADINFER_DATA/`` itself, where
     ``<name>`` is ``fashion-mnist`` or ``mnist`` (both data sets use the same
     file names, so a directory holding both needs the subdirectories);
  3. the directories of :data:`FASHION_MNIST_DIRECTORIES` or
     :data:`MNIST_DIRECTORIES`: Debian's ``dataset-fashion-mnist`` package
     (``/usr/share/datasets/fashion-mnist/``; Debian ships no MNIST) and the
     Keras cache (``~/.keras/datasets/fashion-mnist/``; ``~/.keras/datasets/``
     for MNIST, whose ``mnist.npz`` is read as well).  A leading ``~/.keras``
     stands for ``$KERAS_HOME`` when that is set, as in Keras.

References:
  * Metz et al. (2017), "Unrolled Generative Adversarial Networks"
    (ring of 8 Gaussians) and Srivastava et al. (2017), "VEEGAN" (ring and
    grid mixtures, mode-coverage metrics).
  * Gulrajani et al. (2017), "Improved Training of Wasserstein GANs",
    ``gan_toy.py`` (``8gaussians``, ``25gaussians``, ``swissroll``).
  * LeCun et al. (1998), "Gradient-Based Learning Applied to Document
    Recognition" (MNIST, the IDX format); Xiao et al. (2017),
    "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
    Algorithms".
"""

import gzip
import os
import zipfile
import zlib

import numpy as np

from adinfer import validate

__all__ = [
    "ring_means",
    "ring",
    "grid_means",
    "grid",
    "wgan_gp_8gaussians",
    "wgan_gp_25gaussians",
    "swiss_roll",
    "mixture_params",
    "fashion_mnist",
    "mnist",
    "FASHION_MNIST_DIRECTORIES",
    "MNIST_DIRECTORIES",
]

# Scale factors used by Gulrajani et al.'s gan_toy.py.
_WGAN_GP_8_SCALE = 1.414
_WGAN_GP_25_SCALE = 2.828
_SWISS_ROLL_SCALE = 7.5


def _rng(seed):
    """Returns a ``np.random.Generator`` for ``None``, an int or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    expected = "None, a non-negative int or a numpy.random.Generator"
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        validate.fail(TypeError, "seed", expected, seed)
    if seed < 0:
        validate.fail(ValueError, "seed", expected, seed)
    return np.random.default_rng(seed)


def _sample_mixture(n, means, std, rng, return_labels):
    """Equal-weight isotropic Gaussian mixture sample, float32."""
    labels = rng.integers(means.shape[0], size=n)
    x = means[labels] + std * rng.standard_normal((n, means.shape[1]))
    x = x.astype(np.float32)
    if return_labels:
        return x, labels
    return x


def _checked_mixture(n, std, seed, return_labels, means_fn, *means_args):
    """Checks `n`, `std` and `return_labels`, then samples :func:`_sample_mixture`
    around ``means_fn(*means_args)`` (which checks its own arguments next) with
    the generator of `seed` (checked last).
    """
    n = validate.integer(n, "n", minimum=0)
    std = validate.nonnegative(std, "std", allow_none=False)
    return_labels = validate.boolean(return_labels, "return_labels")
    return _sample_mixture(n, means_fn(*means_args), std, _rng(seed), return_labels)


def ring_means(n_modes=8, radius=1.0):
    """Means of a ring mixture: ``(r cos(2 pi k / n), r sin(2 pi k / n))``.

    Args:
      n_modes: number of modes ``n >= 1``, ``k = 0, ..., n - 1`` (the angles are
        ``2 pi k / n``, not ``linspace(0, 2 pi, n)``, which would repeat a mode).
      radius: ring radius ``r >= 0``.

    Returns:
      ``float64`` array of shape ``[n_modes, 2]``.
    """
    n_modes = validate.integer(n_modes, "n_modes", minimum=1)
    radius = validate.nonnegative(radius, "radius", allow_none=False)
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
    return _checked_mixture(n, std, seed, return_labels, ring_means, n_modes, radius)


def grid_means(side=5, spacing=2.0):
    """Means of a square grid mixture, centred at the origin.

    For the defaults the means are ``{-4, -2, 0, 2, 4}^2`` (25 modes).  Mode
    ``k`` has coordinates ``(a[k // side], a[k % side])`` with
    ``a = spacing * (arange(side) - (side - 1) / 2)``.

    Returns:
      ``float64`` array of shape ``[side**2, 2]``.
    """
    side = validate.integer(side, "side", minimum=1)
    spacing = validate.nonnegative(spacing, "spacing", allow_none=False)
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
    return _checked_mixture(n, std, seed, return_labels, grid_means, side, spacing)


def wgan_gp_8gaussians(n, seed=None):
    """The ``8gaussians`` toy set of Gulrajani et al. (2017).

    Radius-2 ring of 8 modes (axes and diagonals), noise std 0.02, and the
    whole sample divided by 1.414; i.e. means ``ring_means(8, 2) / 1.414`` and
    std ``0.02 / 1.414``.  (Modes are ordered by angle here, whereas gan_toy.py
    lists axis modes first; the distribution is the same.)

    Returns:
      ``float32`` array ``[n, 2]``.
    """
    n = validate.integer(n, "n", minimum=0)
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
    n = validate.integer(n, "n", minimum=0)
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
    n = validate.integer(n, "n", minimum=0)
    noise = validate.nonnegative(noise, "noise", allow_none=False)
    rng = _rng(seed)
    t = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(size=n))
    x = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    x = x + noise * rng.standard_normal((n, 2))
    return (x / _SWISS_ROLL_SCALE).astype(np.float32)


# The keyword arguments of `mixture_params` and their defaults, by name.
_MIXTURE_DEFAULTS = {
    "ring": {"std": 0.01, "n_modes": 8, "radius": 1.0},
    "grid": {"std": 0.05, "side": 5, "spacing": 2.0},
    "8gaussians": {},
    "25gaussians": {},
}


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
    validate.one_of(name, "name", tuple(_MIXTURE_DEFAULTS))
    allowed = _MIXTURE_DEFAULTS[name]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        validate.fail(
            TypeError,
            f"the keyword arguments of mixture_params({name!r})",
            "among " + ", ".join(repr(k) for k in allowed) if allowed else "none",
            given=", ".join(repr(k) for k in unknown),
        )
    params = dict(allowed, **kwargs)
    if name == "ring":
        return (
            ring_means(params["n_modes"], params["radius"]),
            validate.nonnegative(params["std"], "std", allow_none=False),
        )
    if name == "grid":
        return (
            grid_means(params["side"], params["spacing"]),
            validate.nonnegative(params["std"], "std", allow_none=False),
        )
    if name == "8gaussians":
        return ring_means(8, 2.0) / _WGAN_GP_8_SCALE, 0.02 / _WGAN_GP_8_SCALE
    return grid_means(5, 2.0) / _WGAN_GP_25_SCALE, 0.05 / _WGAN_GP_25_SCALE


# ------------------------------------------------------------------ images --

# Where `fashion_mnist` and `mnist` look after `path` and `$ADINFER_DATA`, in
# order. A leading "~" is the home directory at call time, and a leading
# "~/.keras" is `$KERAS_HOME` when that is set (Keras's own rule).
FASHION_MNIST_DIRECTORIES = (
    "/usr/share/datasets/fashion-mnist",  # Debian: apt-get install dataset-fashion-mnist
    "~/.keras/datasets/fashion-mnist",  # keras.datasets.fashion_mnist.load_data()
)
MNIST_DIRECTORIES = ("~/.keras/datasets",)  # keras.datasets.mnist.load_data(): mnist.npz

# The two files of each split, without the optional ".gz".
_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX magic numbers: two zero bytes, the type (0x08, unsigned byte), the rank.
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801
_IMAGE_SIDE = 28
_N_CLASSES = 10


def fashion_mnist(split="train", path=None):
    """Zalando's Fashion-MNIST, read from the original IDX files on this machine.

    Ten balanced classes of 28×28 grey-scale clothing images (0 T-shirt/top,
    1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag,
    9 ankle boot): 60,000 training and 10,000 test images. The files are read
    from the first of these directories that holds both files of the split
    (`train-images-idx3-ubyte` and `train-labels-idx1-ubyte`, or the `t10k-`
    pair; each gzipped, `.gz`, or not, the uncompressed one read when both
    are there): `path` when given (and then only it);
    else `$ADINFER_DATA/fashion-mnist/`, `$ADINFER_DATA/`, then
    `FASHION_MNIST_DIRECTORIES` (Debian's `/usr/share/datasets/fashion-mnist/`,
    the Keras cache `~/.keras/datasets/fashion-mnist/`). Nothing is downloaded.

    To get the files: `apt-get install -y dataset-fashion-mnist` (Debian,
    about 30 MB); or `keras.datasets.fashion_mnist.load_data()` on a machine
    with a network, which caches them in `~/.keras/datasets/fashion-mnist/`;
    or any copy of the four files, pointed at with `path=` or `$ADINFER_DATA`.

    Args:
      split: `"train"` (60,000 images) or `"test"` (10,000).
      path: optional directory holding the IDX files (str or os.PathLike;
        `~` is expanded).

    Returns:
      `(images, labels)`: `uint8` array `[N, 28, 28]` (0 is the background)
      and `int64` array `[N]` of class indices in 0..9.

    Raises:
      FileNotFoundError: no directory searched holds the split; the message
        lists each place searched and how to get the files.
      ValueError: a malformed file (wrong magic number, not 28×28 images,
        truncated or overlong data, a label outside 0..9, a broken gzip
        stream) or image and label files of different lengths; the message
        names the file.
      TypeError, ValueError: for `split` or `path` of the wrong kind or value.
    """
    return _load_images(
        "Fashion-MNIST",
        split,
        path,
        subdirectory="fashion-mnist",
        defaults=FASHION_MNIST_DIRECTORIES,
        archive=None,
        how_to_get=(
            "apt-get install -y dataset-fashion-mnist (Debian; installs "
            "/usr/share/datasets/fashion-mnist/)",
            'python -c "import keras; keras.datasets.fashion_mnist.load_data()" on a '
            "machine with a network (it caches ~/.keras/datasets/fashion-mnist/; copy "
            "that directory to this machine's ~/.keras/datasets/)",
        ),
    )


def mnist(split="train", path=None):
    """LeCun et al.'s MNIST digits, read from IDX files or Keras's `mnist.npz`.

    28×28 grey-scale handwritten digits 0..9: 60,000 training and 10,000
    test images. The same search as `fashion_mnist`, with `mnist` for
    `fashion-mnist`: `path` when given (and then only it); else
    `$ADINFER_DATA/mnist/`, `$ADINFER_DATA/`, then `MNIST_DIRECTORIES` (the
    Keras cache `~/.keras/datasets/`; Debian packages no MNIST). A directory
    serves if it holds both IDX files of the split (gzipped or not) or, failing
    that, Keras's `mnist.npz` (arrays `x_train`, `y_train`, `x_test`, `y_test`).
    Nothing is downloaded.

    To get the files: `keras.datasets.mnist.load_data()` on a machine with a
    network, which caches `~/.keras/datasets/mnist.npz`; or any copy of the
    four IDX files (or of `mnist.npz`), pointed at with `path=` or
    `$ADINFER_DATA`.

    Args:
      split: `"train"` (60,000 images) or `"test"` (10,000).
      path: optional directory holding the files (str or os.PathLike; `~` is
        expanded).

    Returns:
      `(images, labels)`: `uint8` array `[N, 28, 28]` and `int64` array `[N]`
      of digits 0..9.

    Raises:
      FileNotFoundError: no directory searched holds the split; the message
        lists each place searched and how to get the files.
      ValueError: a malformed file (as in `fashion_mnist`; for `mnist.npz`, a
        missing array or arrays of the wrong shape or dtype); the message
        names the file.
      TypeError, ValueError: for `split` or `path` of the wrong kind or value.
    """
    return _load_images(
        "MNIST",
        split,
        path,
        subdirectory="mnist",
        defaults=MNIST_DIRECTORIES,
        archive="mnist.npz",
        how_to_get=(
            'python -c "import keras; keras.datasets.mnist.load_data()" on a machine '
            "with a network (it caches ~/.keras/datasets/mnist.npz; copy that file to "
            "this machine's ~/.keras/datasets/)",
        ),
    )


def _load_images(title, split, path, subdirectory, defaults, archive, how_to_get):
    """Finds the split in the first directory that has it and reads it."""
    split = validate.one_of(split, "split", ("train", "test"))
    path = validate.path(path, "path")
    images_name, labels_name = _IDX_NAMES[split]
    searched = []
    for place, directory in _search_places(path, subdirectory, defaults):
        images_file = _idx_file(directory, images_name)
        labels_file = _idx_file(directory, labels_name)
        if images_file and labels_file:
            return _read_idx_pair(images_file, labels_file)
        if archive and os.path.isfile(os.path.join(directory, archive)):
            return _read_npz(os.path.join(directory, archive), split)
        if not os.path.isdir(directory):
            found = "no such directory"
        elif images_file or labels_file:
            missing = labels_name if images_file else images_name
            found = f"has {os.path.basename(images_file or labels_file)} but no {missing}(.gz)"
        else:
            found = "no files of the split"
        searched.append(f"  {place}: {found}")
    if path is not None:
        searched.append("  (nowhere else: path= was given)")
    elif not os.environ.get("ADINFER_DATA"):
        searched.insert(0, "  $ADINFER_DATA: not set")
    names = ", ".join(f"{n}.gz" for pair in _IDX_NAMES.values() for n in pair)
    ways = list(how_to_get) + [
        f"any copy of the four IDX files ({names}; gzipped or not)"
        + (f" or of {archive}" if archive else "")
        + f", in a directory given as path=... or as $ADINFER_DATA (or "
        f"$ADINFER_DATA/{subdirectory}/)"
    ]
    raise FileNotFoundError(
        f"{title} ({split!r} split) was not found on this machine (adinfer never "
        "downloads it). Searched, in this order, for "
        f"{images_name}(.gz) with {labels_name}(.gz)"
        + (f" or {archive}" if archive else "")
        + ":\n"
        + "\n".join(searched)
        + "\nTo get it:\n"
        + "\n".join(f"  - {way}" for way in ways)
    )


def _search_places(path, subdirectory, defaults):
    """`(description, directory)` pairs in search order, without repeats."""
    if path is not None:
        candidates = [("path=" + repr(path), os.path.expanduser(path))]
    else:
        candidates = []
        root = os.environ.get("ADINFER_DATA")
        if root:
            root = os.path.expanduser(root)
            sub = os.path.join(root, subdirectory)
            candidates += [(f"$ADINFER_DATA/{subdirectory} = {sub}", sub)]
            candidates += [(f"$ADINFER_DATA = {root}", root)]
        for directory in defaults:
            directory = _expand_default(directory)
            candidates.append((directory, directory))
    seen = set()
    for place, directory in candidates:
        key = os.path.normpath(os.path.abspath(directory))
        if key not in seen:
            seen.add(key)
            yield place, directory


def _expand_default(directory):
    """`~/.keras` as `$KERAS_HOME` when set (as Keras does), then `~` as home."""
    keras_home = os.environ.get("KERAS_HOME")
    prefix = os.path.join("~", ".keras")
    if keras_home and (directory == prefix or directory.startswith(prefix + os.sep)):
        directory = keras_home + directory[len(prefix) :]
    return os.path.expanduser(directory)


def _idx_file(directory, name):
    """The raw file `name` in `directory`, else `name.gz`, else None."""
    for candidate in (name, name + ".gz"):
        filename = os.path.join(directory, candidate)
        if os.path.isfile(filename):
            return filename
    return None


def _read_idx_pair(images_file, labels_file):
    images = _read_idx(images_file, _IMAGES_MAGIC, "images", (_IMAGE_SIDE, _IMAGE_SIDE))
    labels = _read_idx(labels_file, _LABELS_MAGIC, "labels", ())
    if len(images) != len(labels):
        validate.fail(
            ValueError,
            f"the IDX files {images_file!r} and {labels_file!r}",
            "of the same length (one label per image)",
            given=f"{len(images)} images and {len(labels)} labels",
        )
    return images, _checked_labels(labels, labels_file)


def _read_idx(filename, magic, kind, item_shape):
    """The uint8 array `[N, *item_shape]` of an IDX file, checked against its header."""
    name = f"the IDX {kind} file {filename!r}"
    opener = gzip.open if filename.endswith(".gz") else open
    try:
        with opener(filename, "rb") as stream:
            header = _read_bytes(stream, 4)
            found = int.from_bytes(header, "big") if len(header) == 4 else None
            if found != magic:
                validate.fail(
                    ValueError,
                    name,
                    f"headed by the magic number 0x{magic:08x} (uint8 {kind} of rank "
                    f"{1 + len(item_shape)})",
                    given=f"{len(header)} bytes" if found is None else f"0x{found:08x}",
                )
            dimensions = _read_bytes(stream, 4 * (1 + len(item_shape)))
            if len(dimensions) < 4 * (1 + len(item_shape)):
                validate.fail(
                    ValueError,
                    name,
                    f"headed by {1 + len(item_shape)} dimension sizes",
                    given="a truncated header",
                )
            count, *shape = (int(d) for d in np.frombuffer(dimensions, ">u4"))
            if tuple(shape) != item_shape:
                validate.fail(
                    ValueError,
                    name,
                    f"of {kind} of shape {list(item_shape)}",
                    given=f"shape {shape}",
                )
            data = np.empty((count, *item_shape), np.uint8)
            size = _read_into(stream, data.reshape(-1))
            if size < data.size:
                validate.fail(
                    ValueError,
                    name,
                    f"complete: {count} {kind} of {data.size} bytes as its header says",
                    given=f"{size} bytes (truncated)",
                )
            if stream.read(1):
                validate.fail(
                    ValueError,
                    name,
                    f"exactly {count} {kind} ({data.size} bytes) as its header says",
                    given="more bytes",
                )
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(
            f"{name} must be a complete gzip file, got a broken one ({error})."
        ) from error
    return data


def _read_bytes(stream, size):
    """Up to `size` bytes of `stream`, fewer only at its end."""
    data = bytearray(size)
    return bytes(data[: _read_into(stream, data)])


def _read_into(stream, buffer):
    """Fills `buffer` (1-D, bytes) from `stream`; returns the number of bytes read
    (fewer at its end).
    """
    view = memoryview(buffer)
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def _checked_labels(labels, filename):
    """`labels` as int64, all in 0..9."""
    labels = np.asarray(labels).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= _N_CLASSES):
        validate.fail(
            ValueError,
            f"the labels of {filename!r}",
            f"class indices in 0..{_N_CLASSES - 1}",
            given=f"values in {labels.min()}..{labels.max()}",
        )
    return labels


def _read_npz(filename, split):
    """`(images, labels)` of a split in Keras's `mnist.npz`."""
    images_key, labels_key = f"x_{split}", f"y_{split}"
    try:
        with np.load(filename, allow_pickle=False) as arrays:
            names = arrays.files
            images = arrays[images_key] if images_key in names else None
            labels = arrays[labels_key] if labels_key in names else None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(
            f"the archive {filename!r} must be a readable npz file, got a broken one ({error})."
        ) from error
    if images is None or labels is None:
        validate.fail(
            ValueError,
            f"the archive {filename!r}",
            f"an npz file holding {images_key} and {labels_key}",
            given=f"one holding {', '.join(names) or 'nothing'}",
        )
    if images.dtype != np.uint8 or images.shape[1:] != (_IMAGE_SIDE, _IMAGE_SIDE):
        validate.fail(
            ValueError,
            f"{images_key} in {filename!r}",
            f"a uint8 array [N, {_IMAGE_SIDE}, {_IMAGE_SIDE}]",
            given=f"{images.dtype} {list(images.shape)}",
        )
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        validate.fail(
            ValueError,
            f"{labels_key} in {filename!r}",
            "an integer array [N]",
            given=f"{labels.dtype} {list(labels.shape)}",
        )
    if len(images) != len(labels):
        validate.fail(
            ValueError,
            f"the arrays {images_key} and {labels_key} in {filename!r}",
            "of the same length (one label per image)",
            given=f"{len(images)} images and {len(labels)} labels",
        )
    return images, _checked_labels(labels, filename)
