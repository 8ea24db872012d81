"""Inference-quality benchmark: mode coverage on the ring and the grid, and
Frechet / kernel distance and classifier score on scikit-learn's digits.

Toy sets (REFERENCE.md, "Benchmarks for inference quality"):
  ring: 8 Gaussians, means (cos 2pi k/8, sin 2pi k/8), std 0.01;
  grid: 25 Gaussians, means {-4, -2, 0, 2, 4}^2, std 0.05.
Each method trains for the same fixed number of generator updates (`--n-iter`)
on 5 seeds; metrics on 2,500 generated samples (`adinfer.metrics.mode_coverage`),
reported as mean +- standard error over seeds.

Digits: a Keras classifier trained on a train split of `load_digits` gives
features (penultimate layer) and logits; an MLP GAN trained on the same train
split is compared with the held-out split (Frechet distance, kernel distance,
classifier score); real-vs-real (train vs held-out) is the floor.

    python benchmarks/quality.py                   # full run, rewrites RESULTS.md's quality section
    python benchmarks/quality.py --quick           # smoke run (1 seed, tiny budget), stdout only
    python benchmarks/quality.py --only ring --seeds 2 --n-iter 2000
"""

import argparse
import math
import os
import platform
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import adinfer  # noqa: E402
from adinfer import datasets, metrics  # noqa: E402

RESULTS = os.path.join(HERE, "RESULTS.md")
FIGURES = os.path.join(HERE, "figures")
START, END = "<!-- quality:start -->", "<!-- quality:end -->"

N_EVAL = 2500  # generated samples for the mode metrics
N_TRAIN = 100_000  # observed samples drawn from each toy mixture
TOY = {
    "ring": dict(
        sample=lambda n, seed: datasets.ring(n, std=0.01, seed=seed),
        params=datasets.mixture_params("ring", std=0.01),
        scale=1.0,
        n_iter=20_000,
    ),
    "grid": dict(
        sample=lambda n, seed: datasets.grid(n, std=0.05, seed=seed),
        params=datasets.mixture_params("grid", std=0.05),
        scale=4.0,
        n_iter=36_000,
    ),
}
METHODS = ("GAN", "GAN (pack 2)", "BiGAN", "WGAN-GP")

# The architecture and optimiser (shared by every method unless a `bigan_`, `gan_`,
# `pack_` or `TASK_` key overrides it, see `method_config`). Tuned on seeds 0-1:
# a cosine-decayed learning rate and a long budget (TOY n_iter) give the fine
# detail the tight modes need; BiGAN needs z of the data's dimension and an
# ALI-style discriminator with separate x and z paths (`d_split`); WGAN-GP needs a
# smaller penalty than 10 on these toy sets (Gulrajani et al.'s gan_toy.py uses 0.1).
# The other keys (g_bn, d_maxout, d_dropout, r1, gp, ...) are off: tried, no better.
CONFIG = dict(
    z_dim=8,
    units=128,
    layers=3,
    batch=256,
    lr=1e-3,
    lr_final=0.02,
    beta_1=0.5,
    beta_2=0.999,
    wgan_lr=5e-4,
    wgan_beta_1=0.5,
    wgan_beta_2=0.9,
    wgan_lr_final=0.02,
    n_critic=5,
    penalty=1.0,
    bigan_z_dim=2,
    d_split=1,
    g_units=0,
    g_layers=0,
    g_bn=0,
    d_units=0,
    d_layers=0,
    d_maxout=0,
    d_dropout=0.0,
    d_lr_mult=1.0,
    r1=0.0,
    gp=0.0,
    bigan_pack=1,
    jit=0,
)


# -- Networks -------------------------------------------------------------------


def mlp(units, layers, out, activation="relu", out_activation=None, name=None):
    hidden = [keras.layers.Dense(units, activation=activation) for _ in range(layers)]
    return keras.Sequential(
        hidden + [keras.layers.Dense(out, activation=out_activation)], name=name
    )


def leaky_mlp(units, layers, out, name=None, dropout=0.0):
    stack = []
    for _ in range(layers):
        stack += [keras.layers.Dense(units), keras.layers.LeakyReLU(0.2)]
        if dropout:
            stack.append(keras.layers.Dropout(dropout))
    return keras.Sequential(stack + [keras.layers.Dense(out)], name=name)


def bn_mlp(units, layers, out, name=None):
    """ReLU MLP with batch normalisation after each hidden layer (PacGAN's generator)."""
    stack = []
    for _ in range(layers):
        stack += [
            keras.layers.Dense(units, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ]
    return keras.Sequential(stack + [keras.layers.Dense(out)], name=name)


class Maxout(keras.layers.Layer):
    """Linear maxout: the largest of `pieces` affine maps per unit (Goodfellow et al., 2013)."""

    def __init__(self, units, pieces, **kwargs):
        super().__init__(**kwargs)
        self.units, self.pieces = int(units), int(pieces)
        self.dense = keras.layers.Dense(self.units * self.pieces)

    def call(self, x):
        h = self.dense(x)
        return tf.reduce_max(tf.reshape(h, [-1, self.units, self.pieces]), axis=-1)


def maxout_mlp(units, layers, out, pieces, name=None, dropout=0.0):
    stack = []
    for _ in range(layers):
        stack.append(Maxout(units, pieces))
        if dropout:
            stack.append(keras.layers.Dropout(dropout))
    return keras.Sequential(stack + [keras.layers.Dense(out)], name=name)


def generator_net(cfg, out, name=None):
    units, layers = cfg.get("g_units") or cfg["units"], cfg.get("g_layers") or cfg["layers"]
    if cfg.get("g_bn"):
        return bn_mlp(units, layers, out, name=name)
    return mlp(units, layers, out, name=name)


def discriminator_net(cfg, name=None):
    units, layers = cfg.get("d_units") or cfg["units"], cfg.get("d_layers") or cfg["layers"]
    if cfg.get("d_maxout"):
        return maxout_mlp(
            units, layers, 1, cfg["d_maxout"], name=name, dropout=cfg.get("d_dropout", 0.0)
        )
    return leaky_mlp(units, layers, 1, name=name, dropout=cfg.get("d_dropout", 0.0))


def adam(lr, beta_1, beta_2, decay_steps=None, final=1.0):
    """Adam; with `decay_steps`, the learning rate follows a cosine from `lr`
    down to `final * lr` over the run (fine detail late, exploration early)."""
    if decay_steps and final < 1.0:
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps, alpha=final)
    return keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)


class Scaled(keras.layers.Layer):
    """Multiplies by a fixed constant: the data's scale, so that networks work in
    the unit box (the grid spans [-4, 4]); not trained."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, x):
        return x * self.factor


# -- Toy mixtures ---------------------------------------------------------------


def train_toy(task, method, seed, n_iter, cfg=CONFIG):
    """Trains `method` on `task` from `seed`; returns (2,500 samples, seconds)
    or None when the method is not available."""
    if method == "WGAN-GP" and not hasattr(adinfer, "WGANInference"):
        return None
    cfg = method_config(cfg, task, method)
    keras.utils.set_random_seed(seed)
    adinfer.clear_losses()
    spec = TOY[task]
    x_train = spec["sample"](cfg.get("n_train", N_TRAIN), seed)
    scale, z_dim, units, layers = spec["scale"], cfg["z_dim"], cfg["units"], cfg["layers"]
    gen = keras.Sequential([generator_net(cfg, 2), Scaled(scale)], name="generator")
    prior = lambda n: tf.random.normal([n, z_dim])  # noqa: E731
    fake = lambda n: gen(prior(n), training=True)  # noqa: E731  (batch norm: batch statistics)
    opts = {
        name: adam(
            cfg["lr"] * (cfg.get("d_lr_mult", 1.0) if name == "optimizer_d" else 1.0),
            cfg["beta_1"],
            cfg["beta_2"],
            n_iter,
            cfg["lr_final"],
        )
        for name in ("optimizer", "optimizer_d")
    }
    run = dict(n_iter=n_iter, n_print=0, jit_compile=bool(cfg["jit"]))
    start = time.perf_counter()
    if method in ("GAN", "GAN (pack 2)"):
        m = 2 if method == "GAN (pack 2)" else 1
        net = keras.Sequential([Scaled(1.0 / scale), discriminator_net(cfg)], name="discriminator")
        disc = lambda x: net(x, training=True)  # noqa: E731  (dropout on while training)
        inference = adinfer.GANInference(
            {fake: x_train},
            disc,
            pack=m,
            batch_size=cfg["batch"],
            seed=seed,
            r1_penalty_weight=cfg["r1"],
            gradient_penalty_weight=cfg["gp"],
        )
        inference.run(**opts, **run)
    elif method == "BiGAN":
        enc = keras.Sequential([Scaled(1.0 / scale), generator_net(cfg, z_dim)], name="encoder")
        encoder = lambda x: enc(x, training=True)  # noqa: E731
        if cfg["d_split"]:  # ALI's discriminator: x and z paths, then a joint path
            d_units = cfg["d_units"] or units
            path_x, path_z = (
                leaky_mlp(d_units, 2, d_units, name=f"discriminator_{v}") for v in "xz"
            )
            joint = leaky_mlp(d_units, 1, 1, name="discriminator")
            disc = lambda x, z: joint(
                tf.concat(
                    [
                        path_x(x / scale, training=True),  # noqa: E731
                        path_z(z, training=True),
                    ],
                    axis=-1,
                ),
                training=True,
            )
        else:
            joint = discriminator_net(cfg, name="discriminator")
            disc = lambda x, z: joint(tf.concat([x / scale, z], axis=-1), training=True)  # noqa: E731
        decoder = lambda z: gen(z, training=True)  # noqa: E731
        inference = adinfer.BiGANInference(
            {prior: encoder},
            {decoder: x_train},
            disc,
            pack=int(cfg["bigan_pack"]),
            batch_size=cfg["batch"],
            seed=seed,
            r1_penalty_weight=cfg["r1"],
            gradient_penalty_weight=cfg["gp"],
        )
        inference.run(**opts, **run)
    else:  # WGAN-GP (Gulrajani et al.): 5 critic updates per generator update
        critic = keras.Sequential([Scaled(1.0 / scale), mlp(units, layers, 1)], name="critic")
        inference = adinfer.WGANInference(
            {fake: x_train}, critic, batch_size=cfg["batch"], seed=seed
        )
        # The same number of network updates as GAN's n_iter simultaneous steps
        # (n_iter "Gen" + n_iter "Disc"): 2 n_iter / (n_critic + 1) iterations.
        run["n_iter"] = wgan_iterations(n_iter, cfg)
        g_steps, d_steps = run["n_iter"], run["n_iter"] * cfg["n_critic"]
        wopts = dict(
            optimizer=adam(
                cfg["wgan_lr"],
                cfg["wgan_beta_1"],
                cfg["wgan_beta_2"],
                g_steps,
                cfg["wgan_lr_final"],
            ),
            optimizer_d=adam(
                cfg["wgan_lr"],
                cfg["wgan_beta_1"],
                cfg["wgan_beta_2"],
                d_steps,
                cfg["wgan_lr_final"],
            ),
        )
        inference.run(n_critic=cfg["n_critic"], penalty=cfg["penalty"], **wopts, **run)
    seconds = time.perf_counter() - start
    samples = gen(tf.random.normal([N_EVAL, z_dim]), training=False).numpy()
    return samples, seconds


def method_config(cfg, task, method):
    """`cfg` with the overrides for `method` and `task` applied: a key
    `bigan_KEY` (BiGAN), `gan_KEY` (GAN, both packings), `pack_KEY` (GAN pack 2),
    `TASK_KEY` or `TASK_bigan_KEY` (etc.) replaces `KEY`, the most specific last."""
    prefix = {"GAN": ["gan_"], "GAN (pack 2)": ["gan_", "pack_"], "BiGAN": ["bigan_"]}.get(
        method, []
    )
    out = dict(cfg)
    for p in prefix + [task + "_"] + [task + "_" + q for q in prefix]:
        for key, value in cfg.items():
            if key.startswith(p) and key[len(p) :] in cfg:
                out[key[len(p) :]] = value
    return out


def wgan_iterations(n_iter, cfg=CONFIG):
    return max(1, 2 * n_iter // (cfg["n_critic"] + 1))


def mean_se(values):
    values = np.asarray(values, np.float64)
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return values.mean(), se


def _worker_init():
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _train_job(job):
    task, method, seed, n_iter, cfg = job
    out = train_toy(task, method, seed, n_iter, cfg)
    if out is not None:
        print(
            f"  trained {task} {method} seed {seed} in {out[1]:.1f} s", file=sys.stderr, flush=True
        )
    return out


def train_all(jobs, n_jobs):
    """Runs `train_toy` for each (task, method, seed, n_iter, cfg) job; with
    `n_jobs` > 1 in that many single-threaded worker processes (the networks
    are too small for intra-op parallelism to pay). Returns {job[:3]: result}."""
    if n_jobs <= 1:
        return {job[:3]: _train_job(job) for job in jobs}
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(
        n_jobs, initializer=_worker_init, maxtasksperchild=4
    ) as pool:
        return {job[:3]: out for job, out in zip(jobs, pool.map(_train_job, jobs, chunksize=1))}


def toy_benchmark(task, seeds, n_iter, figures, methods=METHODS, trained=None):
    means, std = TOY[task]["params"]
    n_modes = len(means)
    rows, first = [], {}
    for method in methods:
        results = []
        for seed in seeds:
            out = trained[task, method, seed] if trained else train_toy(task, method, seed, n_iter)
            if out is None:
                break
            samples, seconds = out
            cov = metrics.mode_coverage(samples, means, std)
            results.append(
                (cov.modes_covered, 100.0 * cov.high_quality_fraction, cov.reverse_kl, seconds)
            )
            print(
                f"  {task:4s} {method:13s} seed {seed}: modes {cov.modes_covered}/{n_modes}, "
                f"high quality {100 * cov.high_quality_fraction:.1f}%, reverse KL {cov.reverse_kl:.3f}, "
                f"{seconds:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            if seed == seeds[0]:
                first[method] = samples
        if not results:
            rows.append(
                f"| {task} | {method} | not available | not available | not available | - |"
            )
            continue
        cols = np.array(results, np.float64)
        cells = [f"{m:.2f} ± {s:.2f}" for m, s in (mean_se(cols[:, i]) for i in range(3))]
        rows.append(
            f"| {task} ({n_modes} modes) | {method} | {cells[0]} | {cells[1]} | {cells[2]} | "
            f"{cols[:, 3].mean():.1f} |"
        )
    if figures:
        plot_toy(task, first, means, seeds[0])
    return rows


def plot_toy(task, samples_by_method, means, seed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(samples_by_method)
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.5), squeeze=False)
    lim = 1.5 if task == "ring" else 5.5
    for ax, (method, samples) in zip(axes[0], samples_by_method.items()):
        ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.3, c="tab:blue", rasterized=True)
        ax.scatter(means[:, 0], means[:, 1], s=8, c="tab:red", marker="x")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_title(method, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
    fig.suptitle(f"{task}: 2,500 samples, seed {seed}", fontsize=8)
    fig.tight_layout()
    os.makedirs(FIGURES, exist_ok=True)
    fig.savefig(os.path.join(FIGURES, f"{task}_samples.png"), dpi=70)
    plt.close(fig)


# -- Digits ---------------------------------------------------------------------

DIGITS = dict(
    z_dim=32,
    units=256,
    layers=2,
    batch=128,
    lr=5e-4,
    lr_final=0.05,
    beta_1=0.5,
    classifier_epochs=60,
    n_iter=6000,
)


def digits_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data.astype(np.float32) / 16.0) * 2.0 - 1.0  # [-1, 1]
    return train_test_split(x, digits.target, test_size=0.4, random_state=0, stratify=digits.target)


def digits_classifier(x_train, y_train, x_test, y_test, epochs):
    keras.utils.set_random_seed(1234)
    inputs = keras.Input([64])
    h = keras.layers.Dense(128, activation="relu")(inputs)
    features = keras.layers.Dense(64, activation="relu", name="features")(h)
    logits = keras.layers.Dense(10, name="logits")(features)
    model = keras.Model(inputs, logits)
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0)
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    both = keras.Model(inputs, [features, logits])
    return (
        lambda x: [t.numpy() for t in both(np.asarray(x, np.float32), training=False)]
    ), accuracy


def train_digits(x_train, seed, n_iter, cfg=DIGITS):
    keras.utils.set_random_seed(seed)
    adinfer.clear_losses()
    gen = mlp(cfg["units"], cfg["layers"], 64, out_activation="tanh", name="generator")
    disc = leaky_mlp(cfg["units"], cfg["layers"], 1, name="discriminator")
    fake = lambda n: gen(tf.random.normal([n, cfg["z_dim"]]))  # noqa: E731
    inference = adinfer.GANInference({fake: x_train}, disc, batch_size=cfg["batch"], seed=seed)
    start = time.perf_counter()
    inference.run(
        n_iter=n_iter,
        n_print=0,
        optimizer=adam(cfg["lr"], cfg["beta_1"], 0.999, n_iter, cfg["lr_final"]),
        optimizer_d=adam(cfg["lr"], cfg["beta_1"], 0.999, n_iter, cfg["lr_final"]),
    )
    seconds = time.perf_counter() - start
    return (lambda n: gen(tf.random.normal([n, cfg["z_dim"]]), training=False).numpy()), seconds


def digit_scores(classify, x, reference_features):
    features, logits = classify(x)
    fd = float(metrics.frechet_distance(features, reference_features))
    kd, kd_std = (
        float(v) for v in metrics.kernel_distance(features, reference_features, max_block_size=200)
    )
    cs = float(metrics.classifier_score(logits))
    return fd, kd, kd_std, cs


def digits_benchmark(seeds, n_iter, figures, classifier_epochs):
    x_train, x_test, y_train, y_test = digits_data()
    classify, accuracy = digits_classifier(x_train, y_train, x_test, y_test, classifier_epochs)
    test_features, _ = classify(x_test)
    n = len(x_train)  # as many generated digits as real training digits, for a like-for-like floor
    real = digit_scores(classify, x_train, test_features)
    runs, first = [], None
    for seed in seeds:
        sample, seconds = train_digits(x_train, seed, n_iter)
        x_gen = sample(n)
        scores = digit_scores(classify, x_gen, test_features)
        runs.append(scores + (seconds,))
        print(
            f"  digits GAN seed {seed}: FD {scores[0]:.3f}, KD {scores[1]:.4f} ± {scores[2]:.4f}, "
            f"CS {scores[3]:.2f}, {seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        if first is None:
            first = x_gen[:100]
    cols = np.array(runs, np.float64)
    fd, kd, kd_std, cs = (mean_se(cols[:, i]) for i in range(4))
    rows = [
        f"| real train split vs held-out (floor) | {real[0]:.3f} | {real[1]:.4f} ± {real[2]:.4f} | "
        f"{real[3]:.2f} | - |",
        f"| GAN, {len(seeds)} seed(s) | {fd[0]:.3f} ± {fd[1]:.3f} | {kd[0]:.4f} ± {kd[1]:.4f} "
        f"(block std {np.mean(cols[:, 2]):.4f}) | {cs[0]:.2f} ± {cs[1]:.2f} | {cols[:, 4].mean():.1f} |",
    ]
    info = dict(
        accuracy=accuracy,
        n_train=len(x_train),
        n_test=len(x_test),
        n_gen=n,
        test_cs=float(metrics.classifier_score(classify(x_test)[1])),
    )
    if figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        tile = metrics.image_grid(((first + 1.0) / 2.0).reshape(-1, 8, 8), (10, 10), pad_value=0.0)
        os.makedirs(FIGURES, exist_ok=True)
        plt.imsave(
            os.path.join(FIGURES, "digits_samples.png"),
            np.kron(tile, np.ones((3, 3))),
            cmap="gray_r",
            vmin=0.0,
            vmax=1.0,
        )
    return rows, info


# -- Report ---------------------------------------------------------------------


def machine():
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPU cores (shared), no GPU; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )


def report(args, toy_rows, digits_rows, digits_info, seeds, total_seconds):
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.",
        f"Command: `{args.command}` (total {total_seconds / 60:.1f} min).",
        "",
    ]
    if toy_rows:
        c = CONFIG
        b = method_config(CONFIG, "grid", "BiGAN")
        tasks = list(args.iters)
        iters = (
            " / ".join(tasks)
            + ": "
            + " / ".join(f"{args.iters[t]:,}" for t in tasks)
            + ' simultaneous "Gen"+"Disc" updates per GAN/BiGAN run (WGAN-GP: '
            + " / ".join(f"{wgan_iterations(args.iters[t]):,}" for t in tasks)
            + f" iterations of {c['n_critic']} critic updates + 1 generator update, the same number "
            "of network updates)"
        )
        decay = f", cosine-decayed to {c['lr_final']:g}× over the run" if c["lr_final"] < 1 else ""
        wdecay = f", cosine-decayed to {c['wgan_lr_final']:g}×" if c["wgan_lr_final"] < 1 else ""
        lines += (
            [
                f"**Mode coverage** — {len(seeds)} seed(s) ({', '.join(map(str, seeds))}); {iters}; batch "
                f"{c['batch']}; metrics on {N_EVAL:,} generated samples; mean ± standard error over seeds; wall "
                f"time = mean training seconds per run (single-threaded, {args.jobs} run(s) in parallel). "
                f"GAN: generator z ~ N(0, I_{c['z_dim']}), {c['layers']}×{c['units']} ReLU MLP; discriminator "
                f"{c['layers']}×{c['units']} LeakyReLU(0.2) MLP (pack 2: on two samples concatenated). BiGAN: "
                f"z ~ N(0, I_{b['z_dim']}), decoder and encoder {b['layers']}×{b['units']} ReLU MLPs; "
                + (
                    "ALI-style joint discriminator: x and z each through 2×"
                    + str(b["d_units"] or b["units"])
                    + " LeakyReLU layers, concatenated, then 1 more hidden layer"
                    if b["d_split"]
                    else "discriminator on [x, z]"
                )
                + f". Networks work in data/4 units on the grid. Adam({c['lr']:g}, β=({c['beta_1']}, "
                f"{c['beta_2']})){decay}, for both groups; WGAN-GP: Adam({c['wgan_lr']:g}, β=({c['wgan_beta_1']}, "
                f"{c['wgan_beta_2']})){wdecay}, penalty {c['penalty']:g}, {c['layers']}×{c['units']} ReLU critic.",
                "",
                "| data set | method | modes covered | high-quality % | reverse KL | wall time (s) |",
                "|---|---|---|---|---|---|",
            ]
            + toy_rows
            + [""]
        )
    if digits_rows:
        d = DIGITS
        lines += (
            [
                f"**Digits** (scikit-learn `load_digits`, 8×8 scaled to [-1, 1]; stratified split "
                f"{digits_info['n_train']} train / {digits_info['n_test']} held-out). Features: penultimate "
                f"layer (64 units) of a 64-128-64-10 Keras MLP classifier trained on the train split "
                f"(held-out accuracy {100 * digits_info['accuracy']:.1f}%; classifier score of the held-out "
                f"digits {digits_info['test_cs']:.2f}). GAN: unconditional MLP ({d['layers']}×{d['units']}, "
                f"z dim {d['z_dim']}, tanh output), batch {d['batch']}, Adam({d['lr']:g}, β1={d['beta_1']})"
                + (f" cosine-decayed to {d['lr_final']:g}×" if d["lr_final"] < 1 else "")
                + ", "
                f"{args.n_iter_digits} simultaneous updates. {digits_info['n_gen']} generated digits (as many "
                f"as the train split) vs the held-out digits; kernel distance in blocks of ≤ 200 "
                f"(± its block standard error; GAN row: ± over seeds); FD/CS ± standard error over seeds.",
                "",
                "| samples vs held-out | Frechet distance | kernel distance | classifier score | wall time (s) |",
                "|---|---|---|---|---|",
            ]
            + digits_rows
            + [""]
        )
    figs = [
        f
        for f in ("ring_samples.png", "grid_samples.png", "digits_samples.png")
        if os.path.exists(os.path.join(FIGURES, f))
    ]
    if figs and args.figures:
        lines += [
            "Figures (seed "
            + str(seeds[0])
            + "): "
            + ", ".join(f"[{f}](figures/{f})" for f in figs),
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def write_results(section):
    with open(RESULTS) as f:
        text = f.read()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    text = pattern.sub(lambda _: f"{START}\n{section}{END}", text)
    with open(RESULTS, "w") as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 seed, tiny budget; prints only (unless --write)",
    )
    parser.add_argument(
        "--write", action="store_true", help="with --quick: also rewrite RESULTS.md"
    )
    parser.add_argument(
        "--seeds", type=int, default=None, help="number of seeds (default 5; quick 1)"
    )
    parser.add_argument(
        "--n-iter",
        type=int,
        default=None,
        help="updates per toy run (default: ring 20000, grid 36000; quick 30)",
    )
    parser.add_argument(
        "--n-iter-digits",
        type=int,
        default=None,
        help="updates per digits run (default 6000; quick 30)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="parallel single-threaded training processes for the toy runs "
        "(default: 2, or 1 with --quick)",
    )
    parser.add_argument(
        "--only", default="ring,grid,digits", help="comma-separated subset of ring,grid,digits"
    )
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated subset of the toy methods (default: all)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a toy setting of CONFIG (or digits_KEY=VALUE for DIGITS)",
    )
    args = parser.parse_args(argv)
    for item in args.config:
        key, _, value = item.partition("=")
        table, key = (DIGITS, key[len("digits_") :]) if key.startswith("digits_") else (CONFIG, key)
        if key not in table:
            parser.error(f"--config: unknown key {item!r}")
        table[key] = type(table[key])(float(value)) if not isinstance(table[key], str) else value
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if set(methods) - set(METHODS):
        parser.error(f"--methods: choose from {', '.join(METHODS)}")
    args.command = "python benchmarks/quality.py" + (
        ""
        if argv is None and len(sys.argv) == 1
        else " " + " ".join(argv if argv is not None else sys.argv[1:])
    )
    tasks = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(tasks) - {"ring", "grid", "digits"}
    if unknown or not tasks:
        parser.error(f"--only: unknown task(s) {sorted(unknown)}; choose from ring, grid, digits")
    n_seeds = args.seeds or (1 if args.quick else 5)
    if n_seeds < 1:
        parser.error("--seeds must be positive")
    args.n_iter_digits = args.n_iter_digits or (30 if args.quick else DIGITS["n_iter"])
    args.figures = not args.quick
    if args.quick:
        CONFIG["n_train"] = 4096  # a smaller shuffle buffer: the smoke run is all start-up
    seeds = list(range(n_seeds))
    if args.jobs is None:
        args.jobs = (
            1
            if args.quick
            else min(
                2,
                len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1,
            )
        )
    write = args.write or not args.quick

    start = time.perf_counter()
    toy_tasks = [task for task in ("ring", "grid") if task in tasks]
    # Slowest first, so that the workers finish together.
    order = sorted(((t, m) for t in toy_tasks for m in methods), key=lambda tm: tm[1] != "BiGAN")
    args.iters = {t: args.n_iter or (30 if args.quick else TOY[t]["n_iter"]) for t in toy_tasks}
    jobs = [(t, m, seed, args.iters[t], dict(CONFIG)) for t, m in order for seed in seeds]
    trained = train_all(jobs, args.jobs) if jobs else {}
    toy_rows = []
    for task in toy_tasks:
        toy_rows += toy_benchmark(task, seeds, args.iters[task], args.figures, methods, trained)
    digits_rows, digits_info = [], None
    if "digits" in tasks:
        digits_rows, digits_info = digits_benchmark(
            seeds,
            args.n_iter_digits,
            args.figures,
            5 if args.quick else DIGITS["classifier_epochs"],
        )
    section = report(args, toy_rows, digits_rows, digits_info, seeds, time.perf_counter() - start)
    print(section)
    if write:
        write_results(section)
        print(f"wrote {os.path.relpath(RESULTS)}", file=sys.stderr)


if __name__ == "__main__":
    main()
