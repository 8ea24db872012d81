"""The keras-io WGAN-GP networks on Fashion-MNIST, trained by `WGANInference`.

keras-io's example "WGAN-GP overriding Model.train_step" writes a subclassed Keras model
with its own `train_step` (87 lines); with adinfer the same training is the networks, a
program drawing the generated batch, and `WGANInference.run` with 3 critic updates per
generator update, penalty 10 and Adam(2e-4, 0.5, 0.9) for both. The networks are
keras-io's (critic: conv 64-128-256-512, 5x5 stride 2, dropout; generator: dense 4x4x256,
upsampling convolutions 128-64-1 with BatchNorm, cropped to 28x28), with every width
multiplied by `--width`.

The default budget runs in a few minutes on 2 CPU cores (widths x 1/4, batch 64, 300
generator updates); `--full` is keras-io's: full widths, batch 512, 20 epochs (2,360
generator updates: hours on a CPU, minutes on a GPU). The script writes a grid of
samples and prints their FID and KID (in a small domain classifier's features, see
examples/dcgan_fashion_mnist.py) against the real-vs-real floor.

Data: Fashion-MNIST's IDX files (`apt-get install -y dataset-fashion-mnist`, or
`--data DIR`); without them the script says where it looked and exits with 1.

    python examples/wgan_gp_fashion_mnist.py
    python examples/wgan_gp_fashion_mnist.py --full
"""

import argparse
import math
import time

import fashion_mnist_common as common
import keras

import adinfer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full", action="store_true", help="keras-io's budget: width 1, batch 512, 20 epochs"
    )
    parser.add_argument("--n-iter", type=int, default=None, help="generator updates (default 300)")
    parser.add_argument("--width", type=float, default=None, help="width factor (default 1/4)")
    parser.add_argument("--batch-size", type=int, default=None, help="default 64 (--full 512)")
    parser.add_argument("--n-eval", type=int, default=10_000, help="samples for FID and KID")
    parser.add_argument("--data", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="wgan_gp_fashion_mnist.png")
    args = parser.parse_args()
    width = args.width or (1.0 if args.full else 0.25)
    batch_size = args.batch_size or (512 if args.full else 64)

    x_train, y_train = common.load("train", args.data)  # exits with the loader's message
    x_test, _ = common.load("test", args.data)
    n_iter = args.n_iter or (20 * math.ceil(len(x_train) / batch_size) if args.full else 300)

    keras.utils.set_random_seed(args.seed)
    critic = common.keras_io_critic(width)
    generator = common.keras_io_generator(width)
    noise = keras.random.SeedGenerator(args.seed)
    # training=True: BatchNorm and Dropout behave as in training, as in keras-io's train_step.
    fake = lambda n: generator(
        keras.random.normal([n, common.NOISE_DIM], seed=noise), training=True
    )
    inference = adinfer.WGANInference(
        {fake: x_train},
        lambda x: critic(x, training=True),
        batch_size=batch_size,
        seed=args.seed,
    )
    start = time.time()
    inference.run(
        n_iter=n_iter,
        n_critic=3,
        penalty=10.0,
        n_print=max(1, n_iter // 20),
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
        optimizer_d=keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9),
    )
    print(
        f"training: {n_iter} generator updates (x3 critic updates), widths x {width:g}, "
        f"batch {batch_size}, in {time.time() - start:.0f} s"
    )

    common.evaluate_and_save(inference, x_train, y_train, x_test, args.n_eval, args.seed, args.out)


if __name__ == "__main__":
    main()
