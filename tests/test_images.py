"""Images: pixels to bytes and PNG grids; a convolutional GAN on upsampled digits;
the Fashion-MNIST examples without the data; benchmarks/images.py's quick path on
IDX files written here (no data set needed)."""

import gzip
import os
import struct
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer
from adinfer import metrics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- to_uint8 and save_image_grid ---------------------------------------------------


def test_to_uint8_maps_the_range_to_bytes():
    """[-1, 1] -> round(127.5 (x + 1)), clipped; (0, 1) -> round(255 x); uint8 kept."""
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], np.float32)
    np.testing.assert_array_equal(metrics.to_uint8(x), [0, 0, 64, 128, 191, 255, 255])
    np.testing.assert_array_equal(
        metrics.to_uint8(tf.constant([0.0, 0.2, 1.0]), value_range=(0, 1)), [0, 51, 255]
    )
    raw = np.arange(256, dtype=np.uint8)
    assert metrics.to_uint8(raw) is raw


@pytest.mark.parametrize(
    "images, kwargs, error, message",
    [
        (np.zeros(3, np.int32), {}, TypeError, "images must be uint8 or floating pixels"),
        (np.zeros(3), {"value_range": 1.0}, TypeError, "value_range must be a (low, high) pair"),
        (np.zeros(3), {"value_range": (1, 1)}, ValueError, "low < high"),
        (np.array([np.nan]), {}, ValueError, "images must be pixels without NaN"),
    ],
)
def test_to_uint8_errors(images, kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        metrics.to_uint8(images, **kwargs)


@pytest.mark.parametrize("shape", [(5, 4, 3), (5, 4, 3, 1), (5, 4, 3, 3)])
def test_save_image_grid_round_trip(tmp_path, shape):
    """The PNG decodes to exactly image_grid of the bytes (gray or RGB)."""
    images = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    path = str(tmp_path / "grid.png")
    assert metrics.save_image_grid(path, images, grid_shape=(2, 3)) == path
    decoded = tf.io.decode_png(tf.io.read_file(path)).numpy()
    expected = metrics.image_grid(metrics.to_uint8(images), (2, 3))
    assert decoded.shape == (8, 9, 1 if len(shape) == 3 else shape[-1])
    np.testing.assert_array_equal(decoded, expected.reshape(decoded.shape))


def test_save_image_grid_refuses_two_channels(tmp_path):
    path = tmp_path / "grid.png"
    with pytest.raises(ValueError, match=r"images must be gray or RGB images"):
        metrics.save_image_grid(str(path), np.zeros((2, 4, 4, 2), np.float32))
    assert not path.exists()


# -- A convolutional GAN on upsampled digits ------------------------------------------


@pytest.mark.slow
def test_conv_gan_trains_on_upsampled_digits(tmp_path):
    """A DCGAN-shaped GAN (transposed convolutions, BatchNorm, strided critic) on
    scikit-learn's digits upsampled to 16x16, with EMA and DiffAugment: 30
    iterations keep losses finite, move both networks, and give samples of the
    data's shape in [-1, 1] that the EMA and raw weights draw differently."""
    from sklearn.datasets import load_digits

    digits = load_digits().images.astype(np.float32) / 8.0 - 1.0  # [-1, 1]
    x = np.repeat(np.repeat(digits, 2, axis=1), 2, axis=2)[..., None]  # [1797, 16, 16, 1]
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(4 * 4 * 16, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Reshape((4, 4, 16)),
            keras.layers.Conv2DTranspose(8, 4, 2, padding="same"),
            keras.layers.ReLU(),
            keras.layers.Conv2DTranspose(1, 4, 2, padding="same", activation="tanh"),
        ]
    )
    critic = keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            keras.layers.Conv2D(8, 4, 2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(16, 4, 2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    noise = keras.random.SeedGenerator(0)
    fake = lambda n: generator(keras.random.normal([n, 16], seed=noise), training=True)
    inference = adinfer.GANInference(
        {fake: x},
        critic,
        batch_size=32,
        seed=0,
        augment=adinfer.augment.DiffAugment("translation", seed=0),
    )
    before = [w.numpy().copy() for w in generator.trainable_weights + critic.trainable_weights]
    losses = []
    inference.initialize(n_iter=30, n_print=0, ema_decay=0.9, optimizer="adam", optimizer_d="adam")
    for _ in range(30):
        info = inference.update()
        losses.append((info["loss"], info["loss_d"]))
    inference.finalize()
    assert np.all(np.isfinite(losses))
    after = generator.trainable_weights + critic.trainable_weights
    assert all(not np.allclose(b, a.numpy()) for b, a in zip(before, after))
    samples = inference.sample(40)
    assert samples.shape == (40, 16, 16, 1) and samples.dtype == np.float32
    assert np.all(np.abs(samples) <= 1.0)
    assert not np.allclose(samples, inference.sample(40, ema=False))
    path = metrics.save_image_grid(str(tmp_path / "digits.png"), samples)
    assert tf.io.decode_png(tf.io.read_file(path)).shape == (
        6 * 16,
        7 * 16,
        1,
    )  # 40 images: 7 columns, 6 rows


# -- The examples and the benchmark ---------------------------------------------------


def run_script(args, timeout=600):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_examples_exit_with_the_loaders_message_without_data(tmp_path, capsys):
    """What both examples call first: a missing data set is the loader's message on
    stderr and exit status 1, not a traceback."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import fashion_mnist_common
    finally:
        sys.path.pop(0)
    with pytest.raises(SystemExit) as exit_info:
        fashion_mnist_common.load("train", str(tmp_path / "none"))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Fashion-MNIST ('train' split) was not found" in err
    assert "apt-get install -y dataset-fashion-mnist" in err


@pytest.mark.slow  # starts TensorFlow in a subprocess
def test_example_without_data_says_how_to_get_it(tmp_path):
    example = "examples/wgan_gp_fashion_mnist.py"
    result = run_script([example, "--data", str(tmp_path / "none")], timeout=300)
    assert result.returncode == 1
    assert "Fashion-MNIST ('train' split) was not found" in result.stderr
    assert "apt-get install -y dataset-fashion-mnist" in result.stderr
    assert "Traceback" not in result.stderr


def write_idx(filename, magic, array):
    with gzip.open(filename, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def write_fashion_like(directory, n_train=96, n_test=64):
    """Ten classes of 28x28 images: a bright bar at a class-dependent row, noise."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label : 5 + 2 * label, 4:24] = 220
        write_idx(directory / f"{split}-images-idx3-ubyte.gz", 0x803, images)
        write_idx(directory / f"{split}-labels-idx1-ubyte.gz", 0x801, labels)


@pytest.mark.slow  # one process trains three GANs and a classifier, tiny
def test_benchmark_quick_path_writes_its_section(tmp_path):
    """`benchmarks/images.py --quick` on written IDX files: the table rows, the
    section between its markers (the rest of RESULTS.md untouched), four grids."""
    data = tmp_path / "data"
    data.mkdir()
    write_fashion_like(data)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n## Other\n\nkept\n")
    figures = tmp_path / "figures"
    result = run_script(
        [
            "benchmarks/images.py",
            "--quick",
            "--batch",
            "16",
            "--data",
            str(data),
            "--results",
            str(results),
            "--figures",
            str(figures),
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = results.read_text()
    assert text.startswith("# Results\n\n## Other\n\nkept\n")
    assert "<!-- images:start -->\n## Images (Fashion-MNIST)" in text
    assert text.rstrip().endswith("<!-- images:end -->")
    for row in ("| off |", "| keras-io WGAN-GP (`fit`) |", "| adinfer `WGANInference`"):
        assert row in text
    assert "held-out accuracy" in text and "nan ms" not in text
    names = sorted(os.listdir(figures))
    assert names == [f"images_{n}.png" for n in ("adinfer", "adinfer_best", "keras_io", "real")]
