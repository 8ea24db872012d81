"""What the Fashion-MNIST examples and benchmarks/images.py share: the data as
GAN inputs, the keras-io WGAN-GP networks at a width factor, and a small domain
classifier whose penultimate features give Frechet and kernel distances.

Not an example itself: `examples/dcgan_fashion_mnist.py`,
`examples/wgan_gp_fashion_mnist.py` and `benchmarks/images.py` import it.
"""

import sys

import keras
import numpy as np

from adinfer import datasets, metrics

NOISE_DIM = 128  # keras-io's noise_dim


def load(split="train", path=None):
    """Fashion-MNIST `split` as float32 images [N, 28, 28, 1] in [-1, 1] and
    int64 labels; a missing data set prints the loader's message (the places
    searched, how to get the files) and exits with status 1."""
    try:
        images, labels = datasets.fashion_mnist(split, path=path)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    return scaled(images), labels


def scaled(images):
    """uint8 images [N, 28, 28] as float32 [N, 28, 28, 1] in [-1, 1]."""
    return ((images.astype(np.float32) - 127.5) / 127.5)[..., None]


def width(channels, factor):
    return max(1, round(channels * factor))


def keras_io_critic(factor=1.0, spectral_norm=False):
    """The keras-io WGAN-GP critic with every width scaled by `factor`: pad to
    32x32, four 5x5 stride-2 convolutions (64, 128, 256, 512; LeakyReLU 0.2,
    dropout 0.3 after the second and third), flatten, dropout 0.2, dense 1.
    With `spectral_norm`, each convolution and the dense layer are wrapped in
    `adinfer.layers.SpectralNormalization`."""
    from adinfer.layers import SpectralNormalization

    wrap = SpectralNormalization if spectral_norm else (lambda layer: layer)
    images = keras.Input((28, 28, 1))
    x = keras.layers.ZeroPadding2D((2, 2))(images)
    for channels, dropout in ((64, 0.0), (128, 0.3), (256, 0.3), (512, 0.0)):
        x = wrap(keras.layers.Conv2D(width(channels, factor), 5, 2, padding="same"))(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dropout(0.2)(keras.layers.Flatten()(x))
    return keras.Model(images, wrap(keras.layers.Dense(1))(x), name="critic")


def keras_io_generator(factor=1.0):
    """The keras-io WGAN-GP generator with every width scaled by `factor`:
    dense 4x4x256 (no bias), BatchNorm, LeakyReLU 0.2, then three blocks of
    UpSampling2D and a 3x3 convolution (128, 64, then 1 channel; no bias,
    BatchNorm; LeakyReLU, tanh at the end), cropped from 32x32 to 28x28."""
    noise = keras.Input((NOISE_DIM,))
    top = width(256, factor)
    x = keras.layers.Dense(4 * 4 * top, use_bias=False)(noise)
    x = keras.layers.LeakyReLU(0.2)(keras.layers.BatchNormalization()(x))
    x = keras.layers.Reshape((4, 4, top))(x)
    for channels in (width(128, factor), width(64, factor), 1):
        x = keras.layers.UpSampling2D((2, 2))(x)
        x = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("tanh")(x) if channels == 1 else keras.layers.LeakyReLU(0.2)(x)
    return keras.Model(noise, keras.layers.Cropping2D((2, 2))(x), name="generator")


class DomainFeatures:
    """A small CNN classifier of Fashion-MNIST (conv 32, conv 64, dense 128,
    softmax 10) trained on real images; its 128 penultimate activations are
    the features in which Frechet and kernel distances are taken (Inception
    features for this domain, which need no download)."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        images = keras.Input((28, 28, 1))
        x = keras.layers.Conv2D(32, 3, activation="relu")(images)
        x = keras.layers.Conv2D(64, 3, activation="relu")(keras.layers.MaxPooling2D()(x))
        x = keras.layers.Flatten()(keras.layers.MaxPooling2D()(x))
        features = keras.layers.Dense(128, activation="relu")(x)
        self.classifier = keras.Model(images, keras.layers.Dense(10)(features))
        self.features = keras.Model(images, features)

    def fit(self, images, labels, epochs=1, batch_size=128):
        self.classifier.compile(
            keras.optimizers.Adam(1e-3),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        self.classifier.fit(images, labels, batch_size=batch_size, epochs=epochs, verbose=0)
        return self

    def accuracy(self, images, labels):
        logits = self.classifier.predict(images, batch_size=1000, verbose=0)
        return float(np.mean(np.argmax(logits, axis=1) == labels))

    def __call__(self, images):
        """Features [n, 128] of images [n, 28, 28, 1] in [-1, 1], 1,000 at a time."""
        return self.features.predict(np.asarray(images), batch_size=1000, verbose=0)


def distances(real_features, fake_features):
    """`(FID, KID)`: the Frechet distance and the kernel distance (KID's
    polynomial MMD², unbiased) between two feature sets, as floats."""
    fid = float(metrics.frechet_distance(real_features, fake_features))
    kid, _ = metrics.kernel_distance(real_features, fake_features)
    return fid, float(kid)


def evaluate_and_save(inference, x_train, y_train, x_test, n_eval, seed, out):
    """Prints FID and KID of `inference.sample` in a domain classifier's features
    (1 epoch on the training images) beside the real-vs-real floor, and writes
    a grid of 64 samples to `out`.
    """
    domain = DomainFeatures(seed=seed).fit(x_train, y_train, epochs=1)
    real = domain(x_test)
    n_eval = min(n_eval, len(x_test), len(x_train))
    rows = np.random.default_rng(seed).choice(len(x_train), n_eval, replace=False)
    floor = distances(real, domain(x_train[rows]))
    samples = metrics.sample_and_run(domain, inference.sample, n_eval, batch_size=500)
    fid, kid = distances(real, samples)
    print(f"FID {fid:.3f} (real vs real floor {floor[0]:.3f}), KID {kid:.5f} ({floor[1]:.5f})")
    metrics.save_image_grid(out, inference.sample(64))
    print(f"wrote {out}")
