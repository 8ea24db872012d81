"""A tiny GAN and a tiny BiGAN (n_critic 2, EMA on, Adam) whose checkpoints,
written by adinfer before the engine was split into modules (commit 46ff183),
are committed under tests/fixtures/pre_refactor/: later code must restore them
and resume to the weights the old code reached.

`python tests/checkpoint_fixture.py DIR` writes them again (only ever with
the old code: the point of the fixture is that it is not rewritten).
"""

import os
import sys

import keras
import numpy as np
import tensorflow as tf

import adinfer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pre_refactor")
KINDS = ("gan", "bigan")
RUN = dict(n_critic=2, n_print=0, ema_decay=0.9)
SAVED_ITERATIONS, RESUMED_ITERATIONS = 2, 4  # t = 6 saved, t = 12 after resuming


def make(kind):
    """The inference and every network it trains, built alike each time."""
    keras.utils.set_random_seed(0)
    noise = keras.random.SeedGenerator(1)
    x = np.random.default_rng(0).normal(4.0, 0.5, size=(32, 2)).astype(np.float32)
    decoder = keras.Sequential([keras.layers.Dense(4, "relu"), keras.layers.Dense(2)])
    critic = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)])
    if kind == "bigan":
        encoder = keras.Sequential([keras.layers.Dense(4, "relu"), keras.layers.Dense(2)])
        inference = adinfer.BiGANInference(
            {lambda n: keras.random.normal([n, 2], seed=noise): encoder},
            {decoder: x},
            lambda x, z: critic(tf.concat([x, z], 1)),
            batch_size=8,
            seed=0,
        )
        return inference, [decoder, encoder, critic]
    fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise))
    inference = adinfer.GANInference({fake: x}, critic, batch_size=8, seed=0)
    return inference, [decoder, critic]


def optimizers():
    return {
        "optimizer": keras.optimizers.Adam(1e-2),
        "optimizer_d": keras.optimizers.Adam(1e-2),
    }


def state(inference, networks):
    """What resuming must reproduce: `t`, every network weight, the averages."""
    values = {"t": np.array(int(inference.t.numpy()))}
    for i, v in enumerate(v for net in networks for v in net.weights):
        values[f"weight_{i}"] = v.numpy()
    for i, v in enumerate(inference.averages):
        values[f"average_{i}"] = v.numpy()
    return values


def write(directory):
    for kind in KINDS:
        inference, networks = make(kind)
        checkpoint_dir = os.path.join(directory, kind)
        inference.run(n_iter=SAVED_ITERATIONS, checkpoint_dir=checkpoint_dir, **RUN, **optimizers())
        inference, networks = make(kind)
        scratch = os.path.join(directory, f"{kind}_scratch")
        tf.io.gfile.rmtree(scratch) if tf.io.gfile.exists(scratch) else None
        # The old code's own resume, in a copy, gives the expected weights.
        tf.io.gfile.makedirs(scratch)
        for name in tf.io.gfile.listdir(checkpoint_dir):
            tf.io.gfile.copy(os.path.join(checkpoint_dir, name), os.path.join(scratch, name))
        inference.run(n_iter=RESUMED_ITERATIONS, checkpoint_dir=scratch, **RUN, **optimizers())
        np.savez(os.path.join(directory, f"{kind}_resumed.npz"), **state(inference, networks))
        tf.io.gfile.rmtree(scratch)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else FIXTURES)
