"""Bayesian linear regression with ImplicitKLqp (Tran, Ranganath & Blei, 2017).

Edward's example, ported: N = 500 points, D = 2, w_true = [5, 5], y = X w + noise;
the model y ~ N(X w, 1), w ~ N(0, I) is used only as a simulator, and a ratio
estimator r(x, w) learns the log-likelihood ratio from simulated against observed
rows. q(w) is a Gaussian with trained mean and scale. The script prints the
posterior mean and std of w and plots posterior samples against w_true.

    python examples/bayesian_linear_regression_implicitklqp.py --out blr_implicitklqp.png
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer

tfd = tfp.distributions
N, D, M = 500, 2, 100
W_TRUE = np.full(D, 5.0)


def build_toy_dataset(rng, n, noise_std=0.1):
    x = rng.normal(size=(n, D))
    y = x @ W_TRUE + rng.normal(0, noise_std, size=n)
    return np.concatenate([x, y[:, None]], axis=1).astype(np.float32)  # columns [X, y]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bayesian_linear_regression_implicitklqp.png")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    xy_train = build_toy_dataset(np.random.default_rng(args.seed), N)

    # Prior and variational factor of the global variable w.
    p_w = tfd.Normal(tf.zeros(D), tf.ones(D))
    q_w = tfd.Normal(
        tf.Variable(tf.random.normal([D]) + 1.0),
        tfp.util.DeferredTensor(tf.Variable(tf.random.normal([D])), tf.nn.softplus),
    )

    def simulate(x, z, w):  # x' ~ p(x | w): the observed X, a new y ~ N(X w, 1)
        features = x[:, :D]
        y = tf.linalg.matvec(features, w) + tf.random.normal([tf.shape(features)[0]])
        return tf.concat([features, y[:, None]], axis=1)

    net = keras.Sequential([keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])

    def ratio(x, z, w):  # r(x_n, w): one value per data point
        return net(tf.concat([x, tf.tile(w[None], [tf.shape(x)[0], 1])], axis=1))

    inference = adinfer.ImplicitKLqp(
        {},
        data={simulate: xy_train},
        discriminator=ratio,
        global_vars={p_w: q_w},
        batch_size=M,
        seed=args.seed,
    )
    start = time.time()
    inference.run(
        n_iter=args.n_iter,
        n_print=max(1, args.n_iter // 10),
        n_critic=5,
        scale=N / M,
        optimizer=keras.optimizers.Adam(1e-2),
        optimizer_d=keras.optimizers.Adam(1e-2),
    )
    seconds = time.time() - start

    mean, std = q_w.mean().numpy(), q_w.stddev().numpy()
    x, y = xy_train[:, :D], xy_train[:, D]
    w_ls = np.linalg.lstsq(x, y, rcond=None)[0]
    print(
        f"posterior mean of w: {np.array2string(mean, precision=3)} (w_true {W_TRUE}, "
        f"least squares {np.array2string(w_ls, precision=3)})"
    )
    print(f"posterior std of w:  {np.array2string(std, precision=3)}")
    print(f"training: {args.n_iter} iterations (x5 ratio-estimator updates) in {seconds:.0f} s")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = q_w.sample(1000).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    axes[0].scatter(samples[:, 0], samples[:, 1], s=3, alpha=0.3, label="w ~ q(w)")
    axes[0].scatter(*W_TRUE, c="r", marker="x", s=60, label="w_true")
    axes[0].set_xlabel("w[0]")
    axes[0].set_ylabel("w[1]")
    axes[0].set_aspect("equal")
    axes[0].legend()
    axes[0].set_title("posterior samples")
    fitted = x @ mean
    axes[1].scatter(fitted, y, s=3, alpha=0.5)
    lims = [y.min(), y.max()]
    axes[1].plot(lims, lims, "r-", lw=1)
    axes[1].set_xlabel("X E_q[w]")
    axes[1].set_ylabel("y")
    axes[1].set_title("fit at the posterior mean")
    fig.suptitle(f"ImplicitKLqp, Bayesian linear regression: E_q[w] = {np.round(mean, 2)}")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
