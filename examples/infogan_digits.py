"""InfoGAN on scikit-learn's 8x8 digits: a categorical and a continuous code.

The generator is a program fake(n, codes) of noise and the codes (c, u), with c
~ Categorical(10) and u ~ Uniform(-1, 1) drawn by `InfoGANInference`; the
discriminator's second head returns q(c | x) and q(u | x), and the mutual
information penalty (TF-GAN's) is added to both objectives. The data ship with
scikit-learn (`load_digits`): nothing is downloaded.

The picture varies c along the rows and u along the columns, at one noise
vector per row. The script prints the mutual-information penalty before and
after training (lower: the codes are easier to read back from the samples),
how often argmax q(c | x) recovers c, and the correlation of u with the mean
of q(u | x).

    python examples/infogan_digits.py --out infogan_digits.png
"""

import argparse

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer
from adinfer import losses

tfd = tfp.distributions
NOISE = 16


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="infogan_digits.png")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(args.seed)
    x_train = (load_digits().data / 8.0 - 1.0).astype(np.float32)

    gen = keras.Sequential(
        [
            keras.layers.Dense(256, "relu"),
            keras.layers.Dense(256, "relu"),
            keras.layers.Dense(64, "tanh"),
        ]
    )
    body = keras.Sequential(
        [
            keras.layers.Dense(256),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Dense(256),
            keras.layers.LeakyReLU(0.2),
        ]
    )
    head, category, location = (keras.layers.Dense(k) for k in (1, 10, 1))
    codes = [tfd.Categorical(logits=tf.zeros(10)), tfd.Uniform(-1.0, 1.0)]

    def generate(noise, codes):
        c, u = codes
        return gen(tf.concat([noise, tf.one_hot(c, 10), u[:, None]], -1))

    def fake(n, codes):
        return generate(tf.random.normal([n, NOISE]), codes)

    def discriminator(x):
        h = body(x)
        q = [tfd.Categorical(logits=category(h)), tfd.Normal(location(h)[:, 0], 1.0)]
        return head(h), q

    inference = adinfer.InfoGANInference(
        {fake: x_train},
        discriminator,
        codes=codes,
        mutual_information_penalty_weight=1.0,
        batch_size=64,
        seed=args.seed,
    )

    def evaluate(n=2000):
        drawn = tuple(code.sample(n, seed=args.seed + i) for i, code in enumerate(codes))
        _, q = discriminator(fake(n, drawn))
        mi = float(losses.mutual_information_penalty(list(drawn), q))
        recovered = np.mean(np.argmax(q[0].logits_parameter(), -1) == drawn[0].numpy())
        correlation = np.corrcoef(drawn[1].numpy(), q[1].mean().numpy())[0, 1]
        return mi, recovered, correlation

    inference.initialize(n_iter=args.n_iter)
    mi_before, _, _ = evaluate()
    inference.run(
        n_iter=args.n_iter,
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        optimizer_d=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    mi_after, recovered, correlation = evaluate()
    print(f"mutual-information penalty: {mi_before:.3f} before, {mi_after:.3f} after training")
    print(f"categorical code recovered by argmax q(c | x): {recovered:.1%} (chance: 10%)")
    print(f"correlation of u with the mean of q(u | x): {correlation:.2f}")

    columns = np.linspace(-1.0, 1.0, 8).astype(np.float32)
    noise = np.repeat(np.random.default_rng(args.seed).normal(size=(10, NOISE)), 8, axis=0)
    c = np.repeat(np.arange(10), 8)
    u = np.tile(columns, 10)
    grid = generate(tf.constant(noise, tf.float32), (tf.constant(c), tf.constant(u))).numpy()
    fig, axes = plt.subplots(10, 8, figsize=(6, 7))
    for ax, image in zip(axes.ravel(), grid):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    for k in range(10):
        axes[k, 0].set_ylabel(f"c={k}", rotation=0, labelpad=14)
    for j, value in enumerate(columns):
        axes[-1, j].set_xlabel(f"{value:.1f}")
    fig.suptitle("InfoGAN: categorical code c by row, continuous u by column", fontsize=10)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
