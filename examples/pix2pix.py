"""Image-to-image translation (pix2pix; Isola et al., 2017): masked images -> whole images.

TF-GAN's "Image-to-image translation" example, in adinfer: the generator's
input is observed data (`generator_inputs=`, TF-GAN's `generator_inputs=images`),
a PatchGAN discriminator D(x, u) judges each patch of the pair (output, input)
with the least-squares loss, and an L1 pixel loss joins the generator's
objective by TF-GAN's `combine_adversarial_loss` rule,

    loss = mean|G(u) - x| + w · 0.5 mean((D(G(u), u) - 1)²),   w = --weight-factor

(pix2pix's λ = 100 on L1 is w = 1/100). The input u is the image with its lower
half hidden (set to -1, the background) and a mask channel.

Prints the held-out mean absolute error (pixels in [0, 1]) of pix2pix and of
three trivial baselines: the masked input itself, the training mean image,
and the masked input with its hidden half filled from the mean image. Writes a
figure of held-out inputs, outputs and truths.

    python examples/pix2pix.py --out pix2pix.png                  # Fashion-MNIST
    python examples/pix2pix.py --dataset digits --out pix2pix.png  # scikit-learn's 8×8 digits

Fashion-MNIST is read from /usr/share/datasets/fashion-mnist/ (Debian's
`apt-get install -y dataset-fashion-mnist`); `--dataset digits` needs nothing.
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

import adinfer


def load(name, n_train, n_test):
    """Train and held-out images [N, s, s, 1] in [-1, 1]."""
    if name == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        data = load_digits()
        x = (data.images.astype(np.float32) / 16.0)[..., None] * 2.0 - 1.0
        train, test = train_test_split(x, test_size=0.25, random_state=0, stratify=data.target)
    else:
        train = adinfer.datasets.fashion_mnist("train")[0][:n_train]
        test = adinfer.datasets.fashion_mnist("test")[0][:n_test]
        train, test = (x.astype(np.float32)[..., None] / 127.5 - 1.0 for x in (train, test))
    return train[:n_train], test[:n_test]


def masked(x):
    """The input u: x with its lower half set to -1, and the mask channel."""
    mask = np.ones_like(x)
    mask[:, x.shape[1] // 2 :] = 0.0
    return np.concatenate([np.where(mask > 0, x, -1.0), mask], axis=-1).astype(np.float32)


def networks(size, width):
    """An encoder-decoder generator u -> x (convolutions down to 1/4 scale and
    back) with the input concatenated before its last convolution (a one-skip
    U-Net), and a PatchGAN D(x, u) -> [B, s/4, s/4, 1].
    """
    u = keras.Input((size, size, 2))
    h = keras.layers.Conv2D(width, 4, 2, "same", activation="relu")(u)
    h = keras.layers.Conv2D(2 * width, 4, 2, "same", activation="relu")(h)
    for dilation in (1, 2, 1):  # the bottleneck sees the whole image at 1/4 scale
        h = keras.layers.Conv2D(2 * width, 3, padding="same", dilation_rate=dilation)(h)
        h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2DTranspose(width, 4, 2, "same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(width, 4, 2, "same", activation="relu")(h)
    h = keras.layers.Concatenate()([h, u])
    generator = keras.Model(u, keras.layers.Conv2D(1, 3, padding="same", activation="tanh")(h))
    critic = keras.Sequential(
        [
            keras.Input((size, size, 3)),
            keras.layers.Conv2D(width, 4, 2, "same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(2 * width, 4, 2, "same"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(1, 3, padding="same"),  # one logit per patch
        ]
    )
    return generator, lambda x, u: critic(tf.concat([x, u], -1))


def l1_pixel_loss(model):
    return tf.reduce_mean(tf.abs(model.generated_data - model.real_data))


def train(x_train, n_iter, width=32, weight_factor=0.01, batch_size=64, seed=0):
    """The trained pix2pix generator u -> x."""
    keras.utils.set_random_seed(seed)
    generator, discriminator = networks(x_train.shape[1], width)
    inference = adinfer.GANInference(
        {generator: x_train},
        discriminator,
        loss="least_squares",
        generator_inputs=masked(x_train),
        non_adversarial_loss=l1_pixel_loss,
        weight_factor=weight_factor,
        batch_size=batch_size,
        seed=seed,
    )
    adam = lambda: keras.optimizers.Adam(1e-3, beta_1=0.5)
    inference.run(n_iter=n_iter, n_print=max(1, n_iter // 10), optimizer=adam(), optimizer_d=adam())
    return inference


def errors(inference, x_train, x_test):
    """Held-out mean absolute errors, pixels in [0, 1]: pix2pix and the baselines."""
    u = masked(x_test)
    mean = x_train.mean(0, keepdims=True)
    hidden = u[..., 1:] == 0
    outputs = inference.sample(len(x_test), u)
    candidates = {
        "pix2pix": outputs,
        "masked input": u[..., :1],
        "mean image": np.broadcast_to(mean, x_test.shape),
        "input, hidden half from the mean image": np.where(hidden, mean, u[..., :1]),
    }
    return {k: float(np.abs(v - x_test).mean() / 2.0) for k, v in candidates.items()}, outputs


def figure(x_test, outputs, path, n=8):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {"input": masked(x_test[:n])[..., 0], "pix2pix": outputs[:n, ..., 0]}
    rows["truth"] = x_test[:n, ..., 0]
    fig, axes = plt.subplots(3, n, figsize=(1.2 * n, 3.8))
    for r, (title, images) in enumerate(rows.items()):
        for c in range(n):
            axes[r, c].imshow(images[c], cmap="gray", vmin=-1, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(title, fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=["fashion_mnist", "digits"], default="fashion_mnist")
    parser.add_argument("--n-iter", type=int, default=1500)
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--weight-factor", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="pix2pix.png")
    args = parser.parse_args()
    x_train, x_test = load(args.dataset, args.n_train, args.n_test)
    start = time.time()
    inference = train(x_train, args.n_iter, weight_factor=args.weight_factor, seed=args.seed)
    seconds = time.time() - start
    scores, outputs = errors(inference, x_train, x_test)
    print(
        f"{args.dataset}: {len(x_train)} training, {len(x_test)} held-out images, "
        f"{args.n_iter} iterations in {seconds:.0f} s"
    )
    print("held-out mean absolute error (pixels in [0, 1]):")
    for name, value in scores.items():
        print(f"  {name:40s} {value:.4f}")
    figure(x_test, outputs, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
