"""sliced_wasserstein_distance: TF-GAN's own unit tests
(`tensorflow_gan/python/eval/sliced_wasserstein_test.py`) ported with their
expected values and tolerances, and the arguments' checks."""

import numpy as np
import pytest
from scipy import ndimage

from adinfer import metrics

GAUSSIAN_FILTER = (
    np.float32(
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, 36, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ]
    )
    / 256.0
)


def np_pyr_down(minibatch):  # matches cv2.pyrDown(); NCHW
    return ndimage.convolve(minibatch, GAUSSIAN_FILTER[None, None], mode="mirror")[:, :, ::2, ::2]


def np_pyr_up(minibatch):  # matches cv2.pyrUp(); NCHW
    s = minibatch.shape
    res = np.zeros((s[0], s[1], s[2] * 2, s[3] * 2), minibatch.dtype)
    res[:, :, ::2, ::2] = minibatch
    return ndimage.convolve(res, GAUSSIAN_FILTER[None, None] * 4.0, mode="mirror")


def np_laplacian_pyramid(minibatch, num_levels):
    pyramid = [minibatch.astype("f").copy()]
    for _ in range(1, num_levels):
        pyramid.append(np_pyr_down(pyramid[-1]))
        pyramid[-2] -= np_pyr_up(pyramid[-1])
    return pyramid


def test_laplacian_pyramid():
    """TF-GAN's `test_laplacian_pyramid`: ProGAN's NumPy/SciPy pyramid, atol 1e-6."""
    data = np.random.default_rng(0).normal(size=[256, 3, 32, 32]).astype("f")
    pyramid = np_laplacian_pyramid(data, 3)
    pyramid_tf = metrics.laplacian_pyramid(data.transpose(0, 2, 3, 1), 3)
    assert [tuple(level.shape) for level in pyramid_tf] == [
        (256, 32, 32, 3),
        (256, 16, 16, 3),
        (256, 8, 8, 3),
    ]
    for x in range(3):
        np.testing.assert_allclose(
            pyramid[x].transpose(0, 2, 3, 1), pyramid_tf[x].numpy(), rtol=1e-6, atol=1e-6
        )


def uniform_and_normal(seed):
    # TF-GAN: d1 = tf.random.uniform([256, 32, 32, 3]); d2 = tf.random.normal(...).
    rng = np.random.default_rng(seed)
    d1 = rng.uniform(size=[256, 32, 32, 3]).astype(np.float32)
    d2 = rng.normal(size=[256, 32, 32, 3]).astype(np.float32)
    return d1, d2


# TF-GAN's tests draw unseeded. Running TF-GAN's own implementation on other
# draws gives the fake distance at 16 x 16 as 0.0226 +- 0.0009 (8 draws of
# patches and directions on one pair of image sets) and 0.0287 on another pair,
# beside its expected 0.020 +- 15%: the value depends on the draw, and this
# implementation's spread is the same (0.0225 +- 0.0007 on the first pair). A
# fixed seed makes the ported expectations a deterministic test.
SEED = 7


def test_sliced_wasserstein_distance():
    """TF-GAN's `test_sliced_wasserstein_distance`."""
    d1, d2 = uniform_and_normal(SEED)
    wscores = metrics.sliced_wasserstein_distance(d1, d2, seed=SEED)
    assert len(wscores) == 2 and all(len(pair) == 2 for pair in wscores)
    np.testing.assert_allclose(
        np.array([0.014, 0.014], "f"), np.array([x[0] for x in wscores], "f"), rtol=0.15
    )
    np.testing.assert_allclose(
        np.array([0.014, 0.020], "f"), np.array([x[1] for x in wscores], "f"), rtol=0.15
    )


@pytest.mark.slow  # 7 s of CPU, among the costliest of the fast selection
def test_sliced_wasserstein_distance_svd():
    """TF-GAN's `test_sliced_wasserstein_distance_svd`."""
    d1, d2 = uniform_and_normal(SEED)
    wscores = metrics.sliced_wasserstein_distance(d1, d2, use_svd=True, seed=SEED)
    np.testing.assert_allclose(
        np.array([0.013, 0.013], "f"), np.array([x[0] for x in wscores], "f"), rtol=0.15
    )
    np.testing.assert_allclose(
        np.array([0.014, 0.019], "f"), np.array([x[1] for x in wscores], "f"), rtol=0.15
    )


def test_swd_mismatched():
    """TF-GAN's `test_swd_mismatched`."""
    rng = np.random.default_rng(1)
    d1 = rng.uniform(size=[256, 32, 32, 3])
    d2 = rng.normal(size=[256, 32, 31, 3])
    d3 = rng.normal(size=[256, 31, 32, 3])
    d4 = rng.normal(size=[255, 32, 32, 3])
    with pytest.raises(ValueError, match=r"^fake_images must be a batch of square RGB"):
        metrics.sliced_wasserstein_distance(d1, d2)
    with pytest.raises(ValueError, match=r"^fake_images must be a batch of square RGB"):
        metrics.sliced_wasserstein_distance(d1, d3)
    with pytest.raises(ValueError, match=r"^fake_images must be of the shape of real_images"):
        metrics.sliced_wasserstein_distance(d1, d4)


def test_swd_not_rgb():
    """TF-GAN's `test_swd_not_rgb`."""
    rng = np.random.default_rng(2)
    d1 = rng.uniform(size=[256, 32, 32, 1])
    d2 = rng.normal(size=[256, 32, 32, 1])
    with pytest.raises(ValueError, match=r"^real_images must be .*np.repeat\(x, 3, axis=-1\)"):
        metrics.sliced_wasserstein_distance(d1, d2)


def test_levels_seed_and_flat_patches():
    """One pair per level (64 -> 64, 32, 16), float64 scalars, reproducible with a
    seed, and finite where a patch is constant (TF-GAN's would be NaN)."""
    rng = np.random.default_rng(3)
    real = rng.uniform(size=[8, 64, 64, 3])
    fake = rng.uniform(size=[8, 64, 64, 3])
    fake[:, :32] = 0.5  # flat half: constant patches at every level
    first = metrics.sliced_wasserstein_distance(real, fake, patches_per_image=16, seed=4)
    again = metrics.sliced_wasserstein_distance(real, fake, patches_per_image=16, seed=4)
    assert len(first) == 3
    values = np.array([[float(v) for v in pair] for pair in first])
    assert first[0][0].dtype.name == "float64" and np.all(np.isfinite(values))
    np.testing.assert_array_equal(values, [[float(v) for v in pair] for pair in again])
    coarse = metrics.sliced_wasserstein_distance(real, fake, resolution_min=64, seed=4)
    assert len(coarse) == 1


def test_bad_arguments():
    images = np.zeros([4, 32, 32, 3])
    with pytest.raises(ValueError, match=r"^patch_size must be an odd int"):
        metrics.sliced_wasserstein_distance(images, images, patch_size=8)
    with pytest.raises(
        ValueError, match=r"^patch_size must be at most the coarsest level's size 4"
    ):
        metrics.sliced_wasserstein_distance(images, images, resolution_min=4)
    with pytest.raises(ValueError, match=r"^real_images must be of a size divisible by 2\^2"):
        metrics.sliced_wasserstein_distance(np.zeros([4, 50, 50, 3]), np.zeros([4, 50, 50, 3]), 8)
    with pytest.raises(TypeError, match=r"^patches_per_image must be an int"):
        metrics.sliced_wasserstein_distance(images, images, patches_per_image=1.5)
    with pytest.raises(ValueError, match=r"^real_images must be finite"):
        metrics.sliced_wasserstein_distance(np.full([4, 32, 32, 3], np.nan), images)
    with pytest.raises(TypeError, match=r"^use_svd must be a bool"):
        metrics.sliced_wasserstein_distance(images, images, use_svd="yes")
