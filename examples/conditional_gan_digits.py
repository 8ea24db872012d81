"""A conditional GAN on scikit-learn's 8x8 digits: one row of samples per class.

The generator is a program fake(n, y) of noise and the requested label y, the
discriminator judges pairs D(x, y), and the labels of the generated batch are
those of the real batch (`GANInference`'s default; `condition=` draws them from
a distribution instead). The data ship with scikit-learn (`load_digits`, 1,797
digits): nothing is downloaded.

The script prints, for each class, how often a classifier trained on the real
digits (an MLP) gives the generated digits the requested label (chance: 10%),
and the Frechet distance in that classifier's hidden-feature space between
generated and real digits, next to the real-vs-real floor (two halves of the
real digits, the same sample sizes).

    python examples/conditional_gan_digits.py --out conditional_gan_digits.png
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

import adinfer
from adinfer import metrics

NOISE = 32


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="conditional_gan_digits.png")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x_train = (digits.data / 8.0 - 1.0).astype(np.float32)  # pixels in [-1, 1]
    y_train = digits.target.astype(np.int64)

    gen = keras.Sequential(
        [
            keras.layers.Dense(256, "relu"),
            keras.layers.Dense(256, "relu"),
            keras.layers.Dense(64, "tanh"),
        ]
    )
    disc = keras.Sequential(
        [
            keras.layers.Dense(256),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Dense(256),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Dense(1),
        ]
    )

    def fake(n, y):
        return gen(tf.concat([tf.random.normal([n, NOISE]), tf.one_hot(y, 10)], -1))

    def discriminator(x, y):
        return disc(tf.concat([x, tf.one_hot(y, 10)], -1))

    inference = adinfer.GANInference(
        {fake: (x_train, y_train)}, discriminator, batch_size=64, seed=args.seed
    )
    inference.run(
        n_iter=args.n_iter,
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        optimizer_d=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )

    # A classifier of the real digits, and its hidden layer as feature space.
    classifier = MLPClassifier((64,), max_iter=600, random_state=args.seed)
    classifier.fit(x_train, y_train)
    features = lambda x: np.maximum(x @ classifier.coefs_[0] + classifier.intercepts_[0], 0.0)
    requested = np.repeat(np.arange(10), 90)
    generated, _ = inference.sample(len(requested), y=requested)
    predicted = classifier.predict(generated)
    print("class agreement of a classifier of real digits with the requested label:")
    for k in range(10):
        print(f"  {k}: {np.mean(predicted[requested == k] == k):.0%}")
    agreement = np.mean(predicted == requested)
    print(f"overall agreement: {agreement:.1%} (chance: 10%)")
    half = np.random.default_rng(args.seed).permutation(len(x_train))
    real_a, real_b = x_train[half[:900]], x_train[half[900:]]
    fd = float(metrics.frechet_distance(features(generated), features(real_a)))
    floor = float(metrics.frechet_distance(features(real_b), features(real_a)))
    print(f"Frechet distance in the classifier's features: {fd:.2f} (real vs real: {floor:.2f})")

    grid, _ = inference.sample(100, y=np.repeat(np.arange(10), 10))
    fig, axes = plt.subplots(10, 10, figsize=(6, 6))
    for ax, image in zip(axes.ravel(), grid):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    for k in range(10):
        axes[k, 0].set_ylabel(str(k), rotation=0, labelpad=10)
    fig.suptitle(f"conditional GAN, one row per label (agreement {agreement:.0%})")
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
