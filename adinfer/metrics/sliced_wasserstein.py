"""Sliced Wasserstein distance between image sets over Laplacian pyramids (ProGAN, TF-GAN)."""

import math

import numpy as np
import tensorflow as tf

from adinfer import validate
from adinfer.metrics import checks

# The 5x5 binomial filter of cv2.pyrDown / cv2.pyrUp: outer([1, 4, 6, 4, 1]) / 256.
_BINOMIAL_5 = np.outer([1.0, 4.0, 6.0, 4.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]) / 256.0


def _blur(images, gain):
    """Each channel convolved with the binomial filter times `gain`, edges
    reflected without repeating the border pixel (TF's "REFLECT", SciPy's
    ``mode="mirror"``); the shape is kept.
    """
    channels = images.shape[-1]
    kernel = tf.constant(_BINOMIAL_5 * gain, tf.float32)[:, :, None, None]
    kernel = tf.tile(kernel, [1, 1, channels, 1])
    padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")


def _pyramid_down(images):
    """cv2.pyrDown: blur, then keep every other row and column."""
    return _blur(images, 1.0)[:, ::2, ::2]


def _pyramid_up(images):
    """cv2.pyrUp: the pixels at even rows and columns of a zero image twice
    the size, then blurred with four times the filter.
    """
    b, h, w, c = (tf.shape(images)[i] for i in range(4))
    zeros = tf.zeros_like(images)
    wide = tf.reshape(tf.stack([images, zeros], axis=3), [b, h, 2 * w, c])
    tall = tf.reshape(tf.stack([wide, tf.zeros_like(wide)], axis=2), [b, 2 * h, 2 * w, c])
    return _blur(tall, 4.0)


def laplacian_pyramid(images, num_levels):
    """Laplacian pyramid of a batch of images, finest level first.

    ``G_0 = images``, ``G_{l+1} = down(G_l)``; level ``l < L - 1`` is
    ``G_l - up(G_{l+1})`` and the last level is ``G_{L-1}`` itself, with
    ``down``/``up`` OpenCV's ``pyrDown``/``pyrUp`` (the 5x5 binomial filter,
    mirrored edges), as in ProGAN's code and TF-GAN's ``laplacian_pyramid``.

    Args:
      images: ``[batch, height, width, channels]`` array/tensor; computed in
        float32. Height and width must be divisible by ``2^(num_levels - 1)``.
      num_levels: positive int.

    Returns:
      A list of ``num_levels`` float32 tensors, from the highest resolution to
      the lowest.
    """
    num_levels = validate.integer(num_levels, "num_levels")
    images = tf.cast(checks.real_tensor(images, "images"), tf.float32)
    if images.shape.rank != 4:
        validate.fail(
            ValueError,
            "images",
            "an array [batch, height, width, channels]",
            given=f"shape {tuple(images.shape)}",
        )
    factor = 2 ** (num_levels - 1)
    for size in images.shape[1:3]:
        if size is not None and size % factor:
            validate.fail(
                ValueError,
                "images",
                f"of a height and width divisible by 2^(num_levels - 1) = {factor}",
                given=f"shape {tuple(images.shape)}",
            )
    pyramid = [images]
    for _ in range(1, num_levels):
        pyramid.append(_pyramid_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - _pyramid_up(pyramid[-1])
    return pyramid


def _random_patches(level, patches_per_image, patch_size, rng):
    """`patches_per_image` square patches per image at uniform random centres
    ``[half, size - half)``, as `[batch * patches_per_image, patch_size^2 * channels]`.
    Patch ``p`` comes from image ``p // patches_per_image``.
    """
    level = np.asarray(level)
    batch, height, width, _ = level.shape
    half = patch_size // 2
    count = batch * patches_per_image
    image = np.repeat(np.arange(batch), patches_per_image)[:, None, None]
    rows = rng.integers(half, height - half, size=count)[:, None, None]
    cols = rng.integers(half, width - half, size=count)[:, None, None]
    offsets = np.arange(-half, half + 1)
    patches = level[image, rows + offsets[None, :, None], cols + offsets[None, None, :]]
    return patches.reshape(count, -1)


def _normalize_patches(patches):
    """Each patch (row) less its mean, over its standard deviation (ddof=0).

    TF-GAN divides by the standard deviation unguarded, so a constant patch
    (a flat background) makes its result NaN; here a constant patch stays all
    zeros.
    """
    centred = patches - patches.mean(axis=1, keepdims=True)
    std = np.sqrt(np.mean(np.square(centred), axis=1, keepdims=True))
    return centred / np.where(std > 0, std, 1.0)


def _sliced_wasserstein(a, b, random_sampling_count, random_projection_dim, rng):
    """Mean over `random_sampling_count` draws of: random unit directions
    (`random_projection_dim` Gaussian columns, each normalised), the rows of
    `a` and `b` projected on them and sorted per direction, and the mean
    absolute difference of the sorted projections.
    """
    distances = []
    for _ in range(random_sampling_count):
        directions = rng.standard_normal((a.shape[1], random_projection_dim))
        directions /= np.sqrt(np.sum(np.square(directions), axis=0, keepdims=True))
        directions = directions.astype(np.float32)
        projected_a = np.sort(a @ directions, axis=0)
        projected_b = np.sort(b @ directions, axis=0)
        distances.append(np.mean(np.abs(projected_a - projected_b), dtype=np.float64))
    return tf.constant(np.mean(distances), tf.float64)


def _sliced_wasserstein_svd(a, b):
    """TF-GAN's experimental variant: the directions are the right singular
    vectors of the stacked patches `[a; b]` (the columns of ``U S``), not
    random ones.
    """
    u, s, _ = np.linalg.svd(np.concatenate([a, b]), full_matrices=False)
    projected_a, projected_b = np.split(u * s, 2, axis=0)
    difference = np.abs(np.sort(projected_a, axis=0) - np.sort(projected_b, axis=0))
    return tf.constant(np.mean(difference, dtype=np.float64), tf.float64)


def _image_batch(images, name):
    tensor = checks.real_tensor(images, name)
    shape = tuple(tensor.shape)
    if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2] or None in shape:
        validate.fail(
            ValueError,
            name,
            "a batch of square RGB images [batch, size, size, 3] of static shape (tile "
            "grayscale images to 3 channels: np.repeat(x, 3, axis=-1))",
            given=f"shape {shape}",
        )
    checks.finite_values(tensor, name)
    return tf.cast(tensor, tf.float32)


def sliced_wasserstein_distance(
    real_images,
    fake_images,
    resolution_min=16,
    patches_per_image=64,
    patch_size=7,
    random_sampling_count=1,
    random_projection_dim=7 * 7 * 3,
    use_svd=False,
    *,
    seed=None,
):
    """Sliced Wasserstein distance between two image sets, per pyramid level.

    The multi-scale statistical similarity of ProGAN (Karras, Aila, Laine &
    Lehtinen 2018, "Progressive Growing of GANs for Improved Quality,
    Stability, and Variation", ICLR, section 5), with TF-GAN's arguments,
    defaults and semantics (``tfgan.eval.sliced_wasserstein_distance``):

    1. Levels: resolutions ``2^i`` from ``2^floor(log2 size)`` down to
       ``2^floor(log2 min(resolution_min, size))``; each set's Laplacian
       pyramid (:func:`laplacian_pyramid`) has that many levels.
    2. Patches: at every level, `patches_per_image` random ``patch_size x
       patch_size x 3`` patches per image for the fakes and, twice
       independently, for the reals; each patch is normalised by its own mean
       and standard deviation (TF-GAN; ProGAN's code normalised per channel
       over all patches).
    3. Distance: with unit directions ``w`` (`random_projection_dim` normalised
       Gaussian columns, drawn `random_sampling_count` times and averaged),
       ``SWD(A, B) = mean_w mean_i |sort(A w)_i - sort(B w)_i|``, the mean
       absolute difference of the sorted projections: the 1-D Wasserstein-1
       distance between the projected patch sets, averaged over directions.

    It is an approximation through random projections, and its value depends
    on the number of images (TF-GAN recommends 8,192 for numbers comparable
    with ProGAN's). ``distance_real`` compares two draws of real patches: a
    floor for ``distance_fake``. ProGAN reports the values times 1e3.

    Args:
      real_images: ``[batch, size, size, 3]`` real array/tensor (any range:
        patches are normalised); static shape.
      fake_images: the same shape as `real_images` (the same batch too).
      resolution_min: positive int, the lowest pyramid resolution.
      patches_per_image: positive int, patches per image per level.
      patch_size: odd positive int, the width of a square patch.
      random_sampling_count: positive int, draws of random directions averaged.
      random_projection_dim: positive int, directions per draw.
      use_svd: TF-GAN's experimental variant: the directions are the singular
        vectors of the stacked real and compared patches, not random.
      seed: None or int, seeds the patch positions and directions (TF-GAN
        draws from NumPy's and TF's global generators).

    Returns:
      A list, one ``(distance_real, distance_fake)`` pair of scalar
      ``tf.float64`` tensors per level, from the highest resolution to the
      lowest.

    Raises:
      TypeError: non-numeric images or non-int arguments.
      ValueError: non-square or non-RGB images, shapes that differ between the
        sets, NaN/Inf, an even `patch_size`, a level smaller than a patch, or a
        size not divisible by 2 at each level above the last.
    """
    real = _image_batch(real_images, "real_images")
    fake = _image_batch(fake_images, "fake_images")
    if tuple(fake.shape) != tuple(real.shape):
        validate.fail(
            ValueError,
            "fake_images",
            f"of the shape of real_images {tuple(real.shape)}",
            given=f"shape {tuple(fake.shape)}",
        )
    resolution_min = validate.integer(resolution_min, "resolution_min")
    patches_per_image = validate.integer(patches_per_image, "patches_per_image")
    patch_size = validate.integer(patch_size, "patch_size")
    if patch_size % 2 == 0:
        validate.fail(ValueError, "patch_size", "an odd int (a centre pixel)", patch_size)
    random_sampling_count = validate.integer(random_sampling_count, "random_sampling_count")
    random_projection_dim = validate.integer(random_projection_dim, "random_projection_dim")
    use_svd = validate.boolean(use_svd, "use_svd")
    seed = validate.integer(seed, "seed", minimum=0, allow_none=True)

    size = int(real.shape[1])
    lowest = min(resolution_min, size)
    num_levels = int(math.log2(size)) - int(math.log2(lowest)) + 1
    coarsest = size // 2 ** (num_levels - 1)
    if size % 2 ** (num_levels - 1):
        validate.fail(
            ValueError,
            "real_images",
            f"of a size divisible by 2^{num_levels - 1} for its {num_levels} pyramid levels "
            "(resize the images or raise resolution_min)",
            given=f"size {size}",
        )
    if coarsest < patch_size:
        validate.fail(
            ValueError,
            "patch_size",
            f"at most the coarsest level's size {coarsest} (raise resolution_min)",
            patch_size,
        )

    rng = np.random.default_rng(seed)
    real_pyramid = laplacian_pyramid(real, num_levels)
    fake_pyramid = laplacian_pyramid(fake, num_levels)
    scores = []
    for real_level, fake_level in zip(real_pyramid, fake_pyramid):
        real_level, fake_level = real_level.numpy(), fake_level.numpy()
        patches_real = _random_patches(real_level, patches_per_image, patch_size, rng)
        patches_test = _random_patches(real_level, patches_per_image, patch_size, rng)
        patches_fake = _random_patches(fake_level, patches_per_image, patch_size, rng)
        patches_real, patches_test, patches_fake = (
            _normalize_patches(p) for p in (patches_real, patches_test, patches_fake)
        )
        if use_svd:
            scores.append(
                (
                    _sliced_wasserstein_svd(patches_real, patches_test),
                    _sliced_wasserstein_svd(patches_real, patches_fake),
                )
            )
        else:
            scores.append(
                tuple(
                    _sliced_wasserstein(
                        patches_real, other, random_sampling_count, random_projection_dim, rng
                    )
                    for other in (patches_test, patches_fake)
                )
            )
    return scores
