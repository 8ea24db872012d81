"""Inception-v3 pool features from a weights file on disk: never a download."""

import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from adinfer import validate

INCEPTION_IMAGE_SIZE = 299
INCEPTION_FEATURES = 2048

HOW_TO_GET_WEIGHTS = (
    "write it once on a machine with a network: "
    "model = keras.applications.InceptionV3(include_top=False, pooling='avg', "
    "weights='imagenet'); model.save_weights('inception_v3.weights.h5'); then copy the file "
    "here (Keras's own download, ~/.keras/models/"
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5, loads too)"
)

# Networks built, by (real path, size, modification time) of their weights file.
_NETWORKS = {}


def _network(path):
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _NETWORKS:
        model = keras.applications.InceptionV3(
            include_top=False,
            weights=None,
            input_shape=(INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE, 3),
            pooling="avg",
        )
        problem = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.load_weights(path)
            except (ValueError, OSError, KeyError) as e:
                problem = f"{type(e).__name__}: {e}"
        skipped = [str(w.message) for w in caught if "Skipping" in str(w.message)]
        if problem is None and skipped:  # a partial load leaves random layers
            problem = f"{len(skipped)} parts skipped, e.g. {skipped[0]}"
        if problem is not None:
            validate.fail(
                ValueError,
                "weights",
                "a weights file of keras.applications.InceptionV3(include_top=False) "
                f"({HOW_TO_GET_WEIGHTS})",
                given=f"{path!r}, which does not load into it ({problem})",
            )
        spec = tf.TensorSpec([None, INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE, 3], tf.float32)
        _NETWORKS.clear()  # one network (87 MB of weights) at a time
        _NETWORKS[key] = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    return _NETWORKS[key]


def _image_range(images, value_range):
    """(low, high) of the pixel values: `value_range` when given, else [0, 255]
    for integer dtypes and [0, 1] for floating ones.
    """
    if value_range is None:
        return (0.0, 255.0) if images.dtype.is_integer else (0.0, 1.0)
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        validate.fail(TypeError, "value_range", "a (low, high) pair or None", value_range)
    low = validate.number(value_range[0], "value_range[0]")
    high = validate.number(value_range[1], "value_range[1]")
    if not low < high:
        validate.fail(ValueError, "value_range", "a pair with low < high", given=f"{value_range!r}")
    return low, high


def _images(images):
    if images is None or isinstance(images, (str, bytes)):
        validate.fail(TypeError, "images", "an array or tensor of images", images)
    tensor = images if tf.is_tensor(images) else tf.convert_to_tensor(np.asarray(images))
    if tensor.dtype == tf.bool or not (tensor.dtype.is_floating or tensor.dtype.is_integer):
        validate.fail(
            TypeError, "images", "of an integer or floating dtype", given=tensor.dtype.name
        )
    shape = tuple(tensor.shape)
    if len(shape) == 3:
        tensor = tensor[..., None]
        shape = tuple(tensor.shape)
    if len(shape) != 4 or shape[3] not in (1, 3) or shape[0] == 0:
        validate.fail(
            ValueError,
            "images",
            "a non-empty batch [n, height, width, 3], [n, height, width, 1] or [n, height, width]",
            given=f"shape {tuple(images.shape)}",
        )
    return tensor


def inception_inputs(images, *, value_range=None):
    """The network inputs of :func:`inception_features`: ``[n, 299, 299, 3]``
    float32 in [-1, 1].

    The pixel range is decided by the dtype, never guessed from the values:
    integer images (uint8) are read as [0, 255] and floating images as [0, 1],
    unless `value_range` gives ``(low, high)`` (``(-1, 1)`` for a tanh
    generator, ``(0, 255)`` for float copies of bytes). Values outside that
    range raise a ValueError rather than being read wrongly. The images are
    mapped linearly onto [-1, 1] (``2 (x - low) / (high - low) - 1``, as
    Keras's ``inception_v3.preprocess_input`` does for [0, 255]), grayscale is
    repeated over 3 channels, and the result is resized bilinearly to 299 x
    299 (``tf.image.resize``: half-pixel centres, no antialiasing; the
    bilinear resize of pytorch-fid's ``F.interpolate(align_corners=False)``;
    TF-GAN's ``tf.compat.v1.image.resize_bilinear`` and clean-fid's PIL
    bicubic resize differ).

    Args:
      images: ``[n, h, w, 3]``, ``[n, h, w, 1]`` or ``[n, h, w]`` array/tensor.
      value_range: None, or the ``(low, high)`` of the pixel values.

    Returns:
      A float32 tensor ``[n, 299, 299, 3]``.

    Raises:
      TypeError: a non-numeric dtype or a malformed `value_range`.
      ValueError: a bad shape, NaN/Inf, or values outside the range.
    """
    tensor = _images(images)
    low, high = _image_range(tensor, value_range)
    pixels = tf.cast(tensor, tf.float64)
    lowest, highest = float(tf.reduce_min(pixels)), float(tf.reduce_max(pixels))
    if not (np.isfinite(lowest) and np.isfinite(highest)):
        validate.fail(ValueError, "images", "finite (no NaN or Inf)", given="non-finite pixels")
    if lowest < low or highest > high:
        validate.fail(
            ValueError,
            "images",
            f"in [{low:g}, {high:g}] (pass value_range=(low, high) for images in "
            "another range, or clip them)",
            given=f"values in [{lowest:g}, {highest:g}] with dtype {tensor.dtype.name}",
        )
    scaled = tf.cast(2.0 * (pixels - low) / (high - low) - 1.0, tf.float32)
    if scaled.shape[-1] == 1:
        scaled = tf.tile(scaled, [1, 1, 1, 3])
    return tf.image.resize(
        scaled, [INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE], method="bilinear", antialias=False
    )


def inception_features(images, weights, *, batch_size=64, value_range=None):
    """Inception-v3 pool features (2048-d) of images, from a weights file on disk.

    Builds ``keras.applications.InceptionV3(include_top=False, pooling="avg",
    weights=None)`` and loads `weights` from the file given; there is never a
    network call (the most common failure of FID tools is the download of
    their network at run time). A missing file raises FileNotFoundError, saying
    how to get one, before any other work. The network is built once per
    weights file and process and reused while the file is unchanged.

    Images go through :func:`inception_inputs` (the pixel range from the dtype:
    uint8 as [0, 255], floats as [0, 1], unless `value_range` says; scaled to [-1, 1];
    bilinear resize to 299 x 299), `batch_size` at a time. Features of
    :func:`frechet_distance` computed here make an FID, but FID values are
    comparable across tools only with the same network weights and the same
    resizing: Keras's ImageNet weights are not the 2015 Inception graph of
    the original FID code (TF-GAN, pytorch-fid, torch-fidelity, clean-fid),
    and resize filters differ between tools (clean-fid's paper shows the
    effect), so compare adinfer's numbers with adinfer's.

    ```python
    real = metrics.inception_features(x_real_uint8, "inception_v3.weights.h5")
    fake = metrics.inception_features(x_fake, "inception_v3.weights.h5", value_range=(-1, 1))
    metrics.frechet_distance(real, fake)
    ```

    Args:
      images: ``[n, h, w, 3]``, ``[n, h, w, 1]`` or ``[n, h, w]`` array/tensor.
      weights: path to the weights file (``model.save_weights`` output,
        ``*.weights.h5``, or Keras's own ``*_notop.h5`` download).
      batch_size: positive int, images per forward pass.
      value_range: None, or the ``(low, high)`` of the pixel values.

    Returns:
      A float32 tensor ``[n, 2048]``.

    Raises:
      FileNotFoundError: `weights` is not a file.
      TypeError: non-numeric images, a non-path `weights`, a non-int
        `batch_size`.
      ValueError: a bad shape, values outside the range, or a file that is not
        InceptionV3's weights.
    """
    path = validate.path(weights, "weights", allow_none=False)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"weights must be a file of Inception-v3 weights, got {path!r}, which does not "
            f"exist; {HOW_TO_GET_WEIGHTS}. adinfer never downloads it."
        )
    batch_size = validate.integer(batch_size, "batch_size")
    tensor = _images(images)
    network = _network(path)
    features = []
    for start in range(0, int(tensor.shape[0]), batch_size):
        inputs = inception_inputs(tensor[start : start + batch_size], value_range=value_range)
        features.append(network(inputs))
    return tf.concat(features, axis=0)
