"""Tiling a batch of images into one picture."""

import math

import numpy as np
import tensorflow as tf

from adinfer import validate


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
        validate.fail(
            ValueError,
            "images",
            "an array [n, h, w, c] or [n, h, w]",
            given=f"shape {images.shape}",
        )
    n = images.shape[0]
    if n < 1:
        validate.fail(ValueError, "images", "a batch of at least one image", given="0 images")
    if grid_shape is None:
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
    else:
        if not isinstance(grid_shape, (tuple, list)) or len(grid_shape) != 2:
            validate.fail(TypeError, "grid_shape", "a (rows, cols) pair", grid_shape)
        rows = validate.integer(grid_shape[0], "grid_shape[0]")
        cols = validate.integer(grid_shape[1], "grid_shape[1]")
        if rows * cols < n:
            validate.fail(
                ValueError,
                "grid_shape",
                f"a (rows, cols) pair with at least {n} cells, one per image",
                given=f"{(rows, cols)}, {rows * cols} cells: too few",
            )
    h, w = images.shape[1:3]
    rest = images.shape[3:]
    padded = np.full((rows * cols, h, w) + rest, pad_value, dtype=images.dtype)
    padded[:n] = images
    grid = padded.reshape((rows, cols, h, w) + rest)
    grid = np.swapaxes(grid, 1, 2)  # [rows, h, cols, w, ...]
    return grid.reshape((rows * h, cols * w) + rest)
