"""A training process for tests/test_checkpoints.py.

    python tests/checkpoint_worker.py KIND N_ITER CHECKPOINT_DIR OUT.npz [--every K] [--width W]
    python tests/checkpoint_worker.py verify WIDTH DIR...   # resume each, 2 more updates

KIND is "gan" (array data), "bigan" or "critic5" (GAN with `run(n_critic=5)`),
or several of them joined by commas, each trained in turn in this process
(one interpreter and TensorFlow start for all): then CHECKPOINT_DIR and OUT
hold "{kind}", replaced by each kind's name.
Everything is seeded and op determinism is on, with noise from a
`keras.random.SeedGenerator`, so two processes running the same updates end
with the same weights. Prints "training" when the run starts and writes every
network variable to OUT.npz at the end.
"""

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import adinfer  # noqa: E402

# adinfer's messages (resume, ...) on stdout, which the parent test reads.
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(name)s: %(message)s")


def build(kind, width=16):
    """The inference, its networks and the keyword arguments of its `run`."""
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    noise = keras.random.SeedGenerator(1)
    x_train = np.random.default_rng(0).normal(4.0, 0.5, (512, 2)).astype("float32")
    dense = keras.layers.Dense
    wide = [dense(width, "relu")] if width > 16 else []  # a large state, slow to save
    decoder = keras.Sequential(
        [dense(width, "relu"), keras.layers.BatchNormalization(), *wide, dense(2)]
    )
    critic = keras.Sequential([dense(width, "tanh"), dense(1)])
    run_kwargs = {
        "optimizer": keras.optimizers.Adam(1e-3),
        "optimizer_d": keras.optimizers.Adam(1e-3),
    }
    if kind == "bigan":
        encoder = keras.Sequential([dense(width, "relu"), dense(2)])
        inference = adinfer.BiGANInference(
            latent_vars={lambda n: keras.random.normal([n, 2], seed=noise): encoder},
            data={lambda z: decoder(z, training=True): x_train},
            discriminator=lambda x, z: critic(tf.concat([x, z], 1)),
            batch_size=32,
            seed=0,
        )
        networks = [decoder, encoder, critic]
    else:
        fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise), training=True)
        inference = adinfer.GANInference({fake: x_train}, critic, batch_size=32, seed=0)
        networks = [decoder, critic]
        if kind == "critic5":
            run_kwargs["n_critic"] = 5
    return inference, networks, run_kwargs


def weights(networks):
    return {
        f"{i}/{j}": v.numpy() for i, net in enumerate(networks) for j, v in enumerate(net.weights)
    }


def verify(directories, width):
    """Resumes each directory's newest checkpoint and makes two more updates."""
    for directory in directories:
        saved = int(tf.train.latest_checkpoint(directory).rsplit("-", 1)[1])
        inference, networks, run_kwargs = build("gan", width)
        inference.run(n_iter=saved + 2, n_print=0, checkpoint_dir=directory, **run_kwargs)
        finite = all(np.isfinite(v).all() for v in weights(networks).values())
        print("done", directory, int(inference.t), "finite" if finite else "NOT FINITE", flush=True)


def main():
    if sys.argv[1] == "verify":  # verify WIDTH DIR...
        return verify(sys.argv[3:], int(sys.argv[2]))
    parser = argparse.ArgumentParser()
    parser.add_argument("kinds", type=lambda s: s.split(","))
    parser.add_argument("n_iter", type=int)
    parser.add_argument("checkpoint_dir")
    parser.add_argument("out")
    parser.add_argument("--every", type=int, default=None)
    parser.add_argument("--width", type=int, default=16)
    args = parser.parse_args()
    for kind in args.kinds:
        if kind not in ("gan", "bigan", "critic5"):
            parser.error(f"unknown kind {kind!r}")
        inference, networks, run_kwargs = build(kind, args.width)
        print("training", flush=True)
        inference.run(
            n_iter=args.n_iter,
            n_print=0,
            checkpoint_dir=args.checkpoint_dir.format(kind=kind),
            checkpoint_every=args.every,
            **run_kwargs,
        )
        np.savez(args.out.format(kind=kind), t=int(inference.t), **weights(networks))
        print("done", kind, int(inference.t), flush=True)


if __name__ == "__main__":
    sys.exit(main())
