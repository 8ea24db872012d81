"""Images as pictures: pixel values to bytes, a grid of samples to a PNG file."""

import numpy as np
import tensorflow as tf

from adinfer import validate
from adinfer.metrics.images import image_grid


def to_uint8(images, value_range=(-1.0, 1.0)):
    """Maps pixel values in `value_range` to bytes 0..255.

    ``round(255 (x - low) / (high - low))``, clipped to 0..255: a generator's
    tanh output ``[-1, 1]`` with the default, ``[0, 1]`` with ``(0, 1)``.
    ``uint8`` images are returned unchanged.

    Args:
      images: array/tensor of any shape, ``uint8`` or floating.
      value_range: ``(low, high)`` with ``low < high``: the values that become
        0 and 255.

    Returns:
      ``uint8`` NumPy array of the shape of `images`.

    Raises:
      TypeError: images neither ``uint8`` nor floating; a malformed
        `value_range`.
      ValueError: ``low >= high``; NaN in `images`.
    """
    if tf.is_tensor(images):
        images = images.numpy()
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        validate.fail(
            TypeError, "images", "uint8 or floating pixels", given=f"dtype {images.dtype}"
        )
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        validate.fail(TypeError, "value_range", "a (low, high) pair", value_range)
    low = validate.number(value_range[0], "value_range[0]")
    high = validate.number(value_range[1], "value_range[1]")
    if not low < high:
        validate.fail(ValueError, "value_range", "a (low, high) pair with low < high", value_range)
    if np.isnan(images).any():
        validate.fail(ValueError, "images", "pixels without NaN", given="NaN")
    scaled = np.rint((images.astype(np.float64) - low) * (255.0 / (high - low)))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def save_image_grid(path, images, grid_shape=None, value_range=(-1.0, 1.0)):
    """Tiles `images` (see :func:`image_grid`) and writes the grid as a PNG.

    Encoded by TensorFlow (``tf.io.encode_png``), so no imaging library is
    needed; ``tf.io.decode_png`` reads back exactly the tiled bytes.

    ```python
    metrics.save_image_grid("samples.png", inference.sample(64))  # tanh output
    ```

    Args:
      path: the PNG file to write (its directory must exist).
      images: ``[n, h, w]``, ``[n, h, w, 1]`` (gray) or ``[n, h, w, 3]`` (RGB),
        ``uint8`` or floating in `value_range`.
      grid_shape: ``(rows, cols)``, or None for a near-square grid.
      value_range: the pixel values that become black and white (see
        :func:`to_uint8`); ignored for ``uint8`` images.

    Returns:
      `path`.

    Raises:
      TypeError, ValueError: as :func:`image_grid` and :func:`to_uint8`; a
        channel count other than 1 or 3.
    """
    pixels = to_uint8(images, value_range)
    if pixels.ndim == 4 and pixels.shape[-1] not in (1, 3):
        validate.fail(
            ValueError,
            "images",
            "gray or RGB images, [n, h, w, 1] or [n, h, w, 3]",
            given=f"shape {pixels.shape}",
        )
    grid = image_grid(pixels, grid_shape)
    if grid.ndim == 2:
        grid = grid[..., None]
    tf.io.write_file(path, tf.io.encode_png(grid))
    return path
