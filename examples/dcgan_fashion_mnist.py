"""A DCGAN on Fashion-MNIST: a grid of samples and their FID against the real-vs-real floor.

The generator (dense 7x7x128, two stride-2 transposed convolutions, tanh) and the
discriminator (two stride-2 convolutions, LeakyReLU, dense 1) are Radford et al.'s
DCGAN at 28x28; `GANInference` trains them with the non-saturating loss, simultaneous
updates and Adam(2e-4, 0.5), and keeps an exponential moving average of the generator
(`ema_decay`), from which the samples are drawn. `--diffaugment` makes the
discriminator see every image through DiffAugment's translation and cutout (Zhao et
al., 2020), which matters when real images are few (`--train-images 2000`).

Quality is measured in the features of a small classifier trained here on the real
training images (128 penultimate activations; no download): the Frechet distance
(FID) and kernel distance (KID) of 10,000 samples to the 10,000 test images, next to
the floor, the same distances between 10,000 training images and the test images.

Data: Fashion-MNIST's IDX files (`apt-get install -y dataset-fashion-mnist`, or
`--data DIR`); without them the script says where it looked and exits with 1.

    python examples/dcgan_fashion_mnist.py                # ~3 min on 2 CPU cores
    python examples/dcgan_fashion_mnist.py --full         # 10,000 iterations
    python examples/dcgan_fashion_mnist.py --diffaugment --train-images 2000
"""

import argparse
import time

import fashion_mnist_common as common
import keras

import adinfer

NOISE_DIM = 100


def dcgan_generator():
    return keras.Sequential(
        [
            keras.Input((NOISE_DIM,)),
            keras.layers.Dense(7 * 7 * 128, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Reshape((7, 7, 128)),
            keras.layers.Conv2DTranspose(64, 4, 2, padding="same", use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Conv2DTranspose(1, 4, 2, padding="same", activation="tanh"),
        ],
        name="generator",
    )


def dcgan_discriminator():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(64, 4, 2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(128, 4, 2, padding="same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=None, help="default 1,500 (--full 10,000)")
    parser.add_argument("--full", action="store_true", help="the full budget: 10,000 iterations")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--ema-decay", type=float, default=None, help="default 0.99 (--full 0.999)")
    parser.add_argument("--diffaugment", action="store_true", help="DiffAugment translation,cutout")
    parser.add_argument("--train-images", type=int, default=None, help="train on the first N")
    parser.add_argument("--n-eval", type=int, default=10_000, help="samples for FID and KID")
    parser.add_argument("--data", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="dcgan_fashion_mnist.png")
    args = parser.parse_args()
    n_iter = args.n_iter or (10_000 if args.full else 1_500)
    ema_decay = args.ema_decay or (0.999 if args.full else 0.99)

    x_train, y_train = common.load("train", args.data)  # exits with the loader's message
    x_test, _ = common.load("test", args.data)
    x_gan = x_train[: args.train_images] if args.train_images else x_train

    keras.utils.set_random_seed(args.seed)
    generator, discriminator = dcgan_generator(), dcgan_discriminator()
    noise = keras.random.SeedGenerator(args.seed)
    # training=True: BatchNorm uses (and updates) batch statistics, as in any custom loop.
    fake = lambda n: generator(keras.random.normal([n, NOISE_DIM], seed=noise), training=True)
    augment = adinfer.augment.DiffAugment("translation,cutout", seed=args.seed)
    inference = adinfer.GANInference(
        {fake: x_gan},
        discriminator,
        batch_size=args.batch_size,
        seed=args.seed,
        augment=augment if args.diffaugment else None,
    )
    start = time.time()
    inference.run(
        n_iter=n_iter,
        n_print=max(1, n_iter // 10),
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        optimizer_d=keras.optimizers.Adam(2e-4, beta_1=0.5),
        ema_decay=ema_decay,
    )
    print(f"training: {n_iter} iterations in {time.time() - start:.0f} s")

    common.evaluate_and_save(inference, x_train, y_train, x_test, args.n_eval, args.seed, args.out)


if __name__ == "__main__":
    main()
