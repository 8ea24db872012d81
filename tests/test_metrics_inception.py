"""inception_features from a weights file the test writes (random weights of
keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None)):
shapes, scaling and resizing, determinism, and never a download."""

import os
import socket
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

from adinfer import metrics


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """(path of a weights file, the network that wrote it); built once."""
    keras.utils.set_random_seed(0)
    model = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None)
    path = str(tmp_path_factory.mktemp("inception") / "inception_v3.weights.h5")
    model.save_weights(path)
    return path, model


def small_images(n=3, size=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def bilinear_half_pixel(image, size):
    """Independent reference: separable bilinear resize with half-pixel
    centres (source = (out + 0.5) * in / out - 0.5, edges clamped)."""

    def weights(n_in, n_out):
        source = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        lower = np.floor(source)
        frac = source - lower
        lo = np.clip(lower, 0, n_in - 1).astype(int)
        hi = np.clip(lower + 1, 0, n_in - 1).astype(int)
        matrix = np.zeros((n_out, n_in))
        np.add.at(matrix, (np.arange(n_out), lo), 1 - frac)
        np.add.at(matrix, (np.arange(n_out), hi), frac)
        return matrix

    rows, cols = weights(image.shape[0], size), weights(image.shape[1], size)
    return np.einsum("ij,jkc,lk->ilc", rows, image, cols)


def test_missing_file_raises_before_any_work(tmp_path):
    missing = str(tmp_path / "nowhere.weights.h5")
    with mock.patch.object(keras.applications, "InceptionV3", side_effect=AssertionError):
        with pytest.raises(FileNotFoundError) as raised:
            metrics.inception_features(None, weights=missing)  # images not even looked at
    message = str(raised.value)
    assert message.startswith("weights must be a file of Inception-v3 weights, got ")
    assert missing in message
    assert "weights='imagenet'" in message and "save_weights" in message
    with pytest.raises(TypeError, match=r"^weights must be a path"):
        metrics.inception_features(small_images(), weights=None)


def test_inputs_scaled_to_minus_one_one_and_resized_bilinearly():
    images = small_images(2, 8)
    inputs = metrics.inception_inputs(images)
    assert inputs.shape == (2, 299, 299, 3) and inputs.dtype == tf.float32
    scaled = images.astype(np.float64) / 127.5 - 1.0
    for i in range(2):
        np.testing.assert_allclose(
            inputs[i].numpy(), bilinear_half_pixel(scaled[i], 299), atol=1e-5
        )
    # Extremes map to -1 and 1; a constant image stays constant.
    ends = metrics.inception_inputs(np.array([[[[0, 255, 0]]]], np.uint8)).numpy()
    np.testing.assert_allclose(ends[0, :, :, 0], -1.0)
    np.testing.assert_allclose(ends[0, :, :, 1], 1.0)
    # The range comes from the dtype and value_range, never from the values.
    as_unit = images.astype(np.float32) / 255.0
    as_tanh = images.astype(np.float32) / 127.5 - 1.0
    for same in (
        metrics.inception_inputs(as_unit),
        metrics.inception_inputs(as_tanh, value_range=(-1, 1)),
        metrics.inception_inputs(images.astype(np.float64), value_range=(0, 255)),
    ):
        np.testing.assert_allclose(same.numpy(), inputs.numpy(), atol=1e-5)
    # Grayscale [n, h, w] and [n, h, w, 1] are repeated over 3 channels.
    gray = images[..., 0]
    np.testing.assert_array_equal(
        metrics.inception_inputs(gray).numpy(),
        metrics.inception_inputs(np.repeat(gray[..., None], 3, axis=-1)).numpy(),
    )
    # Already 299 x 299: scaled, not moved.
    big = small_images(1, 299)
    np.testing.assert_allclose(metrics.inception_inputs(big).numpy(), big / 127.5 - 1.0, atol=1e-6)


def test_inputs_refuse_values_outside_their_range():
    tanh_images = np.linspace(-1, 1, 2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    with pytest.raises(ValueError, match=r"^images must be in \[0, 1\].*value_range"):
        metrics.inception_inputs(tanh_images)
    with pytest.raises(ValueError, match=r"^images must be in \[0, 1\]"):
        metrics.inception_inputs(np.full((1, 4, 4, 3), 255.0))
    with pytest.raises(ValueError, match=r"^images must be finite"):
        metrics.inception_inputs(np.full((1, 4, 4, 3), np.nan))
    with pytest.raises(ValueError, match=r"^images must be a non-empty batch"):
        metrics.inception_inputs(np.zeros((1, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"^value_range must be a pair with low < high"):
        metrics.inception_inputs(tanh_images, value_range=(1, -1))
    with pytest.raises(TypeError, match=r"^value_range must be a \(low, high\) pair"):
        metrics.inception_inputs(tanh_images, value_range=1.0)
    with pytest.raises(TypeError, match=r"^images must be of an integer or floating dtype"):
        metrics.inception_inputs(np.zeros((1, 4, 4, 3), bool))


@pytest.mark.slow  # 5 s of CPU, among the costliest of the fast selection
def test_features_shapes_determinism_and_batches(network):
    path, model = network
    images = small_images(3, 8)
    features = metrics.inception_features(images, weights=path, batch_size=2)
    assert features.shape == (3, 2048) and features.dtype == tf.float32
    assert float(tf.math.reduce_std(features)) > 0  # not a constant network
    expected = model(metrics.inception_inputs(images), training=False).numpy()
    np.testing.assert_allclose(features.numpy(), expected, rtol=1e-4, atol=1e-5)
    again = metrics.inception_features(images, weights=path, batch_size=3)
    np.testing.assert_allclose(again.numpy(), features.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        metrics.inception_features(images, weights=path, batch_size=2).numpy(), features.numpy()
    )
    # Images of another size and dtype: resized to the same network input.
    resized = metrics.inception_features(
        small_images(1, 40, seed=1).astype(np.float32) / 255.0, weights=path
    )
    assert resized.shape == (1, 2048)


@pytest.mark.slow
def test_keras_download_format_and_never_a_network_call(network, tmp_path):
    """The format of Keras's own download (`*_notop.h5`, the legacy HDF5 layout,
    written here by Keras's writer of it) loads into the same features, and
    building from a new file connects no socket."""
    legacy = pytest.importorskip("keras.src.legacy.saving.legacy_h5_format")
    h5py = pytest.importorskip("h5py")
    _, model = network
    copy = str(tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
    with h5py.File(copy, "w") as f:
        legacy.save_weights_to_hdf5_group(f, model)

    def refuse(*args, **kwargs):
        raise AssertionError(f"network call {args}")

    images = small_images(2)
    with mock.patch.object(socket.socket, "connect", refuse):
        features = metrics.inception_features(images, weights=copy)
    expected = model(metrics.inception_inputs(images), training=False).numpy()
    np.testing.assert_allclose(features.numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_a_file_of_another_network_is_named(tmp_path):
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = str(tmp_path / "other.weights.h5")
    other.save_weights(path)
    assert os.path.isfile(path)
    with pytest.raises(ValueError, match=r"^weights must be a weights file of keras.applications"):
        metrics.inception_features(small_images(1), weights=path)
