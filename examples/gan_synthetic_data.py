"""Edward's GAN tutorial, ported: learn N(4, 0.5) with a tiny generator.

Part 1 is the tutorial as Edward users wrote it: a placeholder fed batch by batch
through `update(feed_dict=...)`, M = 12 stratified noise draws, SGD 0.03,
1,000 simultaneous updates. Part 2 is the recipe that fits the standard deviation
too: Gaussian noise, Adam, five discriminator updates per generator update, all
inside `run()`. Both learned densities are plotted against the truth, beside
their loss curves: the tutorial's from the `info` dicts of its `update()` loop,
the recipe's from the `History` that `run()` returns (as Keras's `fit` does).

    python examples/gan_synthetic_data.py --out gan_synthetic_data.png
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

import adinfer

MU, SIGMA = 4.0, 0.5


def generator_network():
    return keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])


def edward_tutorial(n_iter, m=12):
    """The tutorial: stratified noise, fed batches, SGD, Edward's simultaneous update."""
    generator = generator_network()
    discriminator = keras.Sequential(
        [keras.layers.Dense(8, activation="tanh") for _ in range(3)] + [keras.layers.Dense(1)]
    )

    def fake(n):  # stratified noise: linspace(-8, 8, M) + small jitter
        eps = tf.linspace(-8.0, 8.0, m) + 0.01 * tf.random.normal([m])
        return generator(eps[:, None])

    x_ph = adinfer.placeholder([m, 1])
    inference = adinfer.GANInference(data={fake: x_ph}, discriminator=discriminator)
    inference.initialize(
        n_iter=n_iter,
        n_print=n_iter // 10,
        optimizer=keras.optimizers.SGD(0.03),
        optimizer_d=keras.optimizers.SGD(0.03),
    )
    rng = np.random.default_rng(0)
    curves = {"iteration": [], "loss": [], "loss_d": []}  # Edward's info_dict, kept
    for _ in range(n_iter):
        x_batch = np.sort(rng.normal(MU, SIGMA, size=(m, 1)), axis=0)
        info = inference.update(feed_dict={x_ph: x_batch})
        inference.print_progress(info)
        for key, value in zip(curves, (info["t"], info["loss"], info["loss_d"])):
            curves[key].append(value)
    inference.finalize()
    sample = lambda n: generator(tf.linspace(-8.0, 8.0, n)[:, None]).numpy()[:, 0]
    return sample, curves


def adinfer_recipe(n_iter):
    """Gaussian noise, Adam, n_critic = 5, the whole loop compiled by run()."""
    generator = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    discriminator = keras.Sequential(
        [
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    x_train = np.random.default_rng(1).normal(MU, SIGMA, size=(5000, 1)).astype(np.float32)
    fake = lambda n: generator(tf.random.normal([n, 1]))
    inference = adinfer.GANInference(
        data={fake: x_train}, discriminator=discriminator, batch_size=256, seed=0
    )
    history = inference.run(
        n_iter=n_iter,
        n_print=n_iter // 10,
        n_critic=5,
        optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        optimizer_d=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    # Every iteration's losses, as the progress bar showed them at its print points.
    curves = {"iteration": history.epoch, **history.history}
    return lambda n: generator(tf.random.normal([n, 1])).numpy()[:, 0], curves


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=1000, help="iterations of the tutorial")
    parser.add_argument("--n-iter-recipe", type=int, default=2000, help="iterations of the recipe")
    parser.add_argument("--out", default="gan_synthetic_data.png")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)

    results, losses = {}, {}
    for name, fit, n_iter in (
        ("Edward's tutorial", edward_tutorial, args.n_iter),
        ("adinfer recipe (n_critic=5, Adam)", adinfer_recipe, args.n_iter_recipe),
    ):
        start = time.time()
        sample, losses[name] = fit(n_iter)
        seconds = time.time() - start
        draws = sample(10000)
        results[name] = draws
        print(
            f"{name}: mean {draws.mean():.3f} (target {MU}), std {draws.std():.3f} "
            f"(target {SIGMA}), {seconds:.1f} s"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(1.0, 7.0, 400)
    density = np.exp(-0.5 * ((grid - MU) / SIGMA) ** 2) / (SIGMA * np.sqrt(2 * np.pi))
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(12, 4))
    ax.plot(grid, density, "k", lw=2, label=f"truth N({MU}, {SIGMA})")
    for name, draws in results.items():
        ax.hist(draws, bins=80, range=(1, 7), density=True, alpha=0.5, label=name)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_ylim(0, 2 * density.max())
    ax.legend()
    ax.set_title("GANInference on N(4, 0.5)")
    for (name, curves), color in zip(losses.items(), ("C0", "C1")):
        ax_loss.plot(curves["iteration"], curves["loss"], color, lw=0.8, label=f"{name}: loss")
        ax_loss.plot(curves["iteration"], curves["loss_d"], color, lw=0.8, ls=":", label="loss_d")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_title("objectives (Gen: solid, Disc: dotted)")
    ax_loss.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
