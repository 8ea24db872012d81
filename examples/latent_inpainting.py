"""In-painting digits by latent optimisation through a frozen GAN generator.

A GAN is trained on scikit-learn's 8×8 digits (train split) and checkpointed;
`LatentInference` restores its generator and discriminator from the checkpoint
and trains only z, for each held-out digit whose lower half is hidden, on a
masked reconstruction loss of the visible upper half, plus the prior's
‖z‖²/2 (MAP under z ~ N(0, I)) and a small discriminator term (Yeh et al.,
2017): G(z)'s lower half is the completion.
Each digit gets several random starts (restarts); the one that reconstructs the
visible half best is kept (the hidden half is never looked at). A second
`LatentInference` fits whole digits: the generator's best unmasked
reconstruction, what the completion could at most reach.

Prints the mean squared error on the hidden half (pixels in [-1, 1]) of the
completion, of the unmasked reconstruction, and of two baselines: the training
mean image and the training digit whose upper half is nearest.

    python examples/latent_inpainting.py --out latent_inpainting.png
    python examples/latent_inpainting.py --checkpoint-dir /tmp/digits_gan  # trains once, then restores
"""

import argparse
import os
import shutil
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

import adinfer

Z_DIM = 32


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data.astype(np.float32) / 16.0) * 2.0 - 1.0  # [-1, 1]
    return train_test_split(x, test_size=0.4, random_state=0, stratify=data.target)


def networks():
    """The GAN's generator and discriminator (the benchmark's digits MLPs)."""
    generator = keras.Sequential(
        [keras.Input((Z_DIM,))]
        + [keras.layers.Dense(256, activation="relu") for _ in range(2)]
        + [keras.layers.Dense(64, activation="tanh")]
    )
    discriminator = keras.Sequential(
        [keras.Input((64,))]
        + [
            layer
            for _ in range(2)
            for layer in (keras.layers.Dense(256), keras.layers.LeakyReLU(0.2))
        ]
        + [keras.layers.Dense(1)]
    )
    return generator, discriminator


def train_gan(x_train, n_iter, checkpoint_dir):
    generator, discriminator = networks()
    fake = lambda n: generator(tf.random.normal([n, Z_DIM]))
    inference = adinfer.GANInference({fake: x_train}, discriminator, batch_size=128, seed=0)
    adam = lambda: keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(5e-4, max(n_iter, 1), alpha=0.05), beta_1=0.5
    )
    inference.run(
        n_iter=n_iter,
        n_print=max(1, n_iter // 10),
        optimizer=adam(),
        optimizer_d=adam(),
        checkpoint_dir=checkpoint_dir,
    )


def fit_latents(targets, mask, restore_from, n_iter, restarts, weights, seed):
    """Latent optimisation of `restarts` codes per target on the pixels where
    `mask` is 1; returns G(z) of the best restart of each target (judged on
    those pixels only) and the number of seconds it took.
    """
    prior_weight, adversarial_weight = weights
    generator, discriminator = networks()  # fresh weights: restored from the checkpoint
    n = len(targets)
    target = np.tile(targets, [restarts, 1])  # restart r of digit i is row r * n + i
    mask = tf.constant(mask, tf.float32)

    def loss_fn(model, target):
        # Per code: the squared error on the visible pixels, the prior's ‖z‖²/2,
        # and the non-saturating "looks real" term of Yeh et al. (2017).
        reconstruction = tf.reduce_sum(mask * tf.square(model.generated_data - target), axis=1)
        prior = 0.5 * tf.reduce_sum(tf.square(model.generator_inputs), axis=1)
        realness = tf.nn.softplus(-model.discriminator_gen_outputs[:, 0])
        return tf.reduce_mean(reconstruction + prior_weight * prior + adversarial_weight * realness)

    keras.utils.set_random_seed(seed)
    inference = adinfer.LatentInference(
        generator,
        loss_fn,
        target=target,
        discriminator=discriminator,
        input_clip=2.0,
        restore_from=restore_from,
    )
    start = time.time()
    inference.run(n_iter=n_iter, n_print=max(1, n_iter // 5), optimizer="adam", learning_rate=0.05)
    seconds = time.time() - start
    x = inference.sample(n * restarts).reshape(restarts, n, 64)
    visible_error = np.sum(mask.numpy() * (x - targets[None]) ** 2, axis=2)  # [restarts, n]
    return x[np.argmin(visible_error, axis=0), np.arange(n)], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=1000, help="latent optimisation updates")
    parser.add_argument("--n-iter-gan", type=int, default=6000, help="GAN training iterations")
    parser.add_argument(
        "--checkpoint-dir",
        default=None,
        help="the GAN's checkpoints: trained into when empty, restored from otherwise "
        "(a temporary directory by default)",
    )
    parser.add_argument("--restarts", type=int, default=4, help="random starts per digit")
    parser.add_argument("--prior-weight", type=float, default=1.0, help="weight of ‖z‖²/2")
    parser.add_argument("--adversarial-weight", type=float, default=0.01)
    parser.add_argument("--out", default="latent_inpainting.png")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)

    x_train, x_test = digits()
    checkpoint_dir = args.checkpoint_dir or tempfile.mkdtemp(prefix="digits_gan_")
    if tf.train.latest_checkpoint(checkpoint_dir):
        print(f"restoring the GAN from {checkpoint_dir}")
    else:
        start = time.time()
        train_gan(x_train, args.n_iter_gan, checkpoint_dir)
        print(f"trained the GAN ({args.n_iter_gan} iterations) in {time.time() - start:.1f} s")

    known = np.zeros([8, 8], np.float32)
    known[:4] = 1.0  # the upper half is visible, the lower half hidden
    known = known.reshape(64)
    hidden = 1.0 - known
    fit = lambda mask, weights, seed: fit_latents(
        x_test, mask, checkpoint_dir, args.n_iter, args.restarts, weights, seed
    )
    completion, seconds = fit(known, (args.prior_weight, args.adversarial_weight), seed=1)
    print(
        f"latent optimisation: {len(x_test)} held-out digits x {args.restarts} restarts, "
        f"{args.n_iter} updates, {seconds:.1f} s"
    )
    reconstruction, _ = fit(np.ones(64, np.float32), (0.0, 0.0), seed=2)  # reconstruction only
    if args.checkpoint_dir is None:
        shutil.rmtree(checkpoint_dir)

    mean_image = x_train.mean(axis=0)
    upper = lambda x: x[:, known > 0]
    nearest = np.argmin(
        ((upper(x_test)[:, None, :] - upper(x_train)[None]) ** 2).sum(axis=2), axis=1
    )
    hidden_error = lambda x: float(np.mean(((x - x_test)[:, hidden > 0]) ** 2))
    results = {
        "completion (latent optimisation)": hidden_error(completion),
        "baseline: training mean image": hidden_error(np.broadcast_to(mean_image, x_test.shape)),
        "baseline: nearest training digit (upper half)": hidden_error(x_train[nearest]),
        "generator's best unmasked reconstruction": hidden_error(reconstruction),
    }
    print(f"mean squared error on the hidden lower half of {len(x_test)} held-out digits:")
    for name, value in results.items():
        print(f"  {name}: {value:.4f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = np.arange(0, len(x_test), len(x_test) // 12)[:12]
    masked = np.where(known > 0, x_test, -1.0)
    rows = {
        "target": x_test,
        "masked input": masked,
        "completion": np.where(known > 0, x_test, completion),
        "best unmasked\nreconstruction": reconstruction,
    }
    fig, axes = plt.subplots(len(rows), len(shown), figsize=(len(shown) * 0.9, len(rows) * 1.0))
    for r, (name, images) in enumerate(rows.items()):
        for c, i in enumerate(shown):
            ax = axes[r, c]
            ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 2:  # the completed half
                ax.axhline(3.5, color="tab:red", lw=1)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(
        "LatentInference: lower halves completed through a frozen GAN generator "
        f"(hidden-half MSE {results['completion (latent optimisation)']:.3f}, "
        f"mean image {results['baseline: training mean image']:.3f})",
        fontsize=9,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
