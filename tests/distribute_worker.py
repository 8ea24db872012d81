"""Training processes for tests/test_distribute.py.

    python tests/distribute_worker.py mirrored OUT.json PART   # 2 logical CPUs
    python tests/distribute_worker.py worker KIND N_ITER CKPT_DIR OUT.npz  # TF_CONFIG set
    python tests/distribute_worker.py single KIND N_ITER CKPT_DIR OUT.npz  # one device

`mirrored` trains each model on one device and under a `MirroredStrategy` of 2
logical CPU devices, from the same seeds, and writes the differences it finds;
its work comes in two parts ("runs": `run()` of each model; "rest": XLA,
regularization, fed updates, checkpoints and summaries), so that two processes
share it.
`worker` is one process of a `MultiWorkerMirroredStrategy` (the cluster in
TF_CONFIG); `single` runs the same training without a strategy. Both resume from
CKPT_DIR when it holds a checkpoint, train until `N_ITER` iterations and write
every network variable, and `t`, to OUT.npz.

The noise is drawn with `adinfer.replica_part` from a `keras.random.SeedGenerator`,
so R replicas together draw what one device draws for the global batch, and the
gradient penalty's ε comes from the inference's own seeded stream: the
trajectories of one device and of R replicas differ only by floating-point order.
"""

import json
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

BATCH = 64


def build(kind, strategy=None, regularized=False):
    """`(inference, networks, run_kwargs)` built in `strategy`'s scope."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        noise = keras.random.SeedGenerator(1)
        x_train = np.random.default_rng(0).normal([4.0, -1.0], 0.5, (512, 2)).astype("float32")
        reg = keras.regularizers.L2(1e-2) if regularized else None
        dense = lambda units, act=None: keras.layers.Dense(  # noqa: E731
            units, act, kernel_regularizer=reg, activity_regularizer=reg
        )
        decoder = keras.Sequential([keras.Input((2,)), dense(16, "relu"), dense(2)])
        critic = keras.Sequential(
            [keras.Input((4,) if kind in ("bigan", "pack2") else (2,)), dense(16, "tanh"), dense(1)]
        )
        if kind == "spectral":  # the paper's form: u advances in the forward pass
            sn = adinfer.layers.SpectralNormalization
            critic = keras.Sequential([keras.Input((2,)), sn(dense(16, "tanh")), sn(dense(1))])
        prior = lambda n: adinfer.replica_part(  # noqa: E731
            lambda m: keras.random.normal([m, 2], seed=noise), n
        )
        run_kwargs = {
            "optimizer": keras.optimizers.Adam(1e-2),
            "optimizer_d": keras.optimizers.Adam(1e-2),
        }
        penalties = (
            {"gradient_penalty_weight": 1.0, "r1_penalty_weight": 0.5} if regularized else {}
        )
        if kind == "bigan":
            encoder = keras.Sequential([keras.Input((2,)), dense(16, "relu"), dense(2)])
            inference = adinfer.BiGANInference(
                latent_vars={prior: encoder},
                data={decoder: x_train},
                discriminator=lambda x, z: critic(tf.concat([x, z], 1)),
                batch_size=BATCH,
                seed=0,
                **penalties,
            )
            networks = [decoder, encoder, critic]
        elif kind == "wgan_gp":
            inference = adinfer.WGANInference(
                {lambda n: decoder(prior(n)): x_train}, critic, batch_size=BATCH, seed=0
            )
            networks = [decoder, critic]
            run_kwargs.update(n_critic=5, penalty=1.0)
        else:  # "gan", "pack2", "spectral"
            inference = adinfer.GANInference(
                {lambda n: decoder(prior(n)): x_train},
                (lambda x: critic(x, training=True)) if kind == "spectral" else critic,
                batch_size=BATCH,
                seed=0,
                pack=2 if kind == "pack2" else 1,
                **penalties,
            )
            networks = [decoder, critic]
    return inference, networks, run_kwargs


def weights(networks):
    return [v.numpy() for net in networks for v in net.weights]


def max_difference(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def mirrored(out, part):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    # One strategy for the process: two MirroredStrategy objects would share
    # TensorFlow's collective instance keys and mix their all-reduces.
    strategy_2 = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    two = lambda: strategy_2  # noqa: E731
    results = {"replicas": two().num_replicas_in_sync}
    if part == "runs":
        results.update(mirrored_runs(two))
    else:
        results.update(mirrored_rest(two, os.path.dirname(out)))
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


def mirrored_runs(two):
    """run(): 50 iterations, each of GAN, BiGAN, packed GAN, WGAN-GP
    (n_critic=5), a spectrally normalized critic."""
    results = {}
    for kind in ("gan", "bigan", "pack2", "wgan_gp", "spectral"):
        runs = []
        for strategy in (None, two()):
            inference, networks, run_kwargs = build(kind, strategy)
            losses = []
            inference.print_progress = lambda info, losses=losses: losses.append(
                [info["loss"], info["loss_d"]]
            )
            inference.run(n_iter=50, n_print=1, **run_kwargs)
            runs.append((weights(networks), losses, int(inference.t.numpy())))
        (w1, l1, t1), (w2, l2, t2) = runs
        results[f"run/{kind}"] = {
            "weights": max_difference(w1, w2),
            "losses": float(np.max(np.abs(np.subtract(l1, l2)))),
            "t": [t1, t2],
            "moved": max_difference(w1, weights(build(kind)[1])),
            "single_losses": l1,
        }
    return results


def mirrored_rest(two, root):
    """XLA, regularization, fed updates, checkpoints, summaries."""
    results = {}
    # XLA: each replica's forward and backward pass compiled.
    ends = []
    for strategy in (None, two()):
        inference, networks, run_kwargs = build("gan", strategy)
        inference.run(n_iter=20, n_print=0, jit_compile=True, **run_kwargs)
        ends.append(weights(networks))
    results["run/gan_xla"] = {"weights": max_difference(*ends)}

    # The objectives at the first update (the same weights on both sides):
    # L2 weight and activity regularizers on every layer, gradient penalty, R1.
    for kind in ("gan", "bigan"):
        firsts = []
        for strategy in (None, two()):
            inference, networks, run_kwargs = build(kind, strategy, regularized=True)
            inference.initialize(n_iter=10, **run_kwargs)
            firsts.append(inference.update())
            for _ in range(9):
                inference.update()
            firsts[-1]["weights"] = weights(networks)
        a, b = firsts
        results[f"regularized/{kind}"] = {
            "loss": [a["loss"], b["loss"]],
            "loss_d": [a["loss_d"], b["loss_d"]],
            "weights": max_difference(a["weights"], b["weights"]),
        }

    # update() loop fed through a placeholder: 5 "Disc" then 1 "Gen", 10 times.
    batches = np.random.default_rng(1).normal(2.0, 1.0, (60, BATCH, 2)).astype("float32")
    ends = []
    for strategy in (None, two()):
        with (strategy or tf.distribute.get_strategy()).scope():
            keras.utils.set_random_seed(0)
            noise = keras.random.SeedGenerator(1)
            x_ph = adinfer.placeholder([None, 2])
            decoder = keras.Sequential(
                [keras.Input((2,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(2)]
            )
            critic = keras.Sequential(
                [keras.Input((2,)), keras.layers.Dense(8, "tanh"), keras.layers.Dense(1)]
            )
            fake = lambda n, decoder=decoder, noise=noise: decoder(  # noqa: E731
                adinfer.replica_part(lambda m: keras.random.normal([m, 2], seed=noise), n)
            )
            inference = adinfer.GANInference({fake: x_ph}, critic)
            inference.initialize(
                optimizer=keras.optimizers.Adam(1e-2), optimizer_d=keras.optimizers.Adam(1e-2)
            )
        for k in range(60):
            inference.update({x_ph: batches[k]}, variables="Gen" if k % 6 == 5 else "Disc")
        ends.append(weights([decoder, critic]))
    results["update_fed"] = {"weights": max_difference(*ends)}

    # Summaries, checkpoints, EMA: a mirrored run saves at t=20 with a logdir and
    # averages; a single-device inference resumes from it and both go on to 50.
    final = {}
    for name, strategy in (("mirrored", two()), ("single", None)):
        inference, networks, run_kwargs = build("gan", strategy)
        n_iter = 20 if name == "mirrored" else 50
        inference.run(
            n_iter=n_iter,
            checkpoint_dir=os.path.join(root, "ckpt"),
            logdir=os.path.join(root, f"logs_{name}"),
            log_timestamp=False,
            ema_decay=0.9,
            **run_kwargs,
        )
        final[name] = (
            weights(networks),
            [a.numpy() for a in inference.averages],
            int(inference.t.numpy()),
        )
    reference, networks, run_kwargs = build("gan", two())
    reference.run(n_iter=50, ema_decay=0.9, **run_kwargs)
    results["resume_on_one_device"] = {
        "t": final["single"][2],
        "weights": max_difference(final["single"][0], weights(networks)),
        "averages": max_difference(final["single"][1], [a.numpy() for a in reference.averages]),
    }
    results["logs"] = {
        name: _scalars(os.path.join(root, f"logs_{name}"), "loss")
        for name in ("mirrored", "single")
    }
    return results


def _scalars(logdir, tag):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(logdir, size_guidance={"tensors": 0})
    acc.Reload()
    return {int(e.step): float(tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)}


def train(mode, kind, n_iter, checkpoint_dir, out):
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if mode == "worker" else None
    inference, networks, run_kwargs = build(kind, strategy)
    inference.run(
        n_iter=n_iter,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=10,
        logdir=out + ".logs",
        log_timestamp=False,
        **run_kwargs,
    )
    np.savez(out, *weights(networks), t=int(inference.t.numpy()))
    print("done", int(inference.t.numpy()), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "mirrored":
        mirrored(sys.argv[2], sys.argv[3])
        # Its results are written: a process that ran the MirroredStrategy runs was seen
        # to hang at the interpreter's exit (a futex wait, collective threads alive).
        sys.stdout.flush()
        os._exit(0)
    else:
        train(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
