"""BiGAN on the 25-Gaussian grid: samples, reconstructions and mode coverage.

A decoder maps z ~ N(0, I) to the plane, an encoder maps the plane back, and a
joint discriminator D(x, z) tells (decoder(z), z) from (x, encoder(x)). The
picture shows data, generated samples, and reconstructions decoder(encoder(x));
the script prints modes covered and the high-quality fraction (REFERENCE.md).

    python examples/bigan_grid.py --out bigan_grid.png
"""
import argparse
import time

import numpy as np
import keras
import tensorflow as tf

import adinfer
from adinfer import datasets, metrics

Z_DIM = 2


def mlp(out, hidden=128, depth=3):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu") for _ in range(depth)]
                            + [keras.layers.Dense(out)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bigan_grid.png")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    x_train = datasets.grid(20000, seed=args.seed)
    means, std = datasets.mixture_params("grid")
    encoder, decoder = mlp(Z_DIM), mlp(2)
    joint = mlp(1, hidden=256)
    discriminator = lambda x, z: joint(tf.concat([x, z], axis=-1))
    prior = lambda n: tf.random.normal([n, Z_DIM])

    inference = adinfer.BiGANInference(latent_vars={prior: encoder}, data={decoder: x_train},
                                       discriminator=discriminator, batch_size=256, seed=args.seed)
    start = time.time()
    inference.run(n_iter=args.n_iter, n_print=args.n_iter // 10,
                  optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  optimizer_d=keras.optimizers.Adam(2e-4, beta_1=0.5))
    seconds = time.time() - start

    samples = decoder(prior(2500)).numpy()
    coverage = metrics.mode_coverage(samples, means, std)
    x_test = datasets.grid(2500, seed=args.seed + 1)
    reconstructions = decoder(encoder(x_test)).numpy()
    recon_coverage = metrics.mode_coverage(reconstructions, means, std)
    same_mode = np.mean(np.argmin(((x_test[:, None] - means) ** 2).sum(-1), 1)
                        == np.argmin(((reconstructions[:, None] - means) ** 2).sum(-1), 1))
    print(f"samples: {coverage.modes_covered}/25 modes covered, "
          f"{100 * coverage.high_quality_fraction:.1f}% high quality, "
          f"reverse KL {coverage.reverse_kl:.3f}")
    print(f"reconstructions: {100 * same_mode:.1f}% land on their own mode, "
          f"{100 * recon_coverage.high_quality_fraction:.1f}% high quality")
    print(f"training: {args.n_iter} iterations in {seconds:.0f} s")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharex=True, sharey=True)
    panels = (("data", x_test), ("samples decoder(z)", samples),
              ("reconstructions decoder(encoder(x))", reconstructions))
    for ax, (title, points) in zip(axes, panels):
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4)
        ax.scatter(means[:, 0], means[:, 1], s=12, c="r", marker="x")
        ax.set_title(title)
        ax.set_xlim(-6, 6)
        ax.set_ylim(-6, 6)
        ax.set_aspect("equal")
    fig.suptitle(f"BiGANInference on the 25-Gaussian grid: {coverage.modes_covered}/25 modes, "
                 f"{100 * coverage.high_quality_fraction:.0f}% high quality")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
