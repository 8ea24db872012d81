"""Real images: the keras-io WGAN-GP program against WGANInference on Fashion-MNIST.

    python benchmarks/images.py          # full run (53 min on 2 busy CPU cores); rewrites
                                         # RESULTS.md's images section and the figures
    python benchmarks/images.py --quick  # smoke run (seconds); writes nothing unless
                                         # --results / --figures are given

Needs Fashion-MNIST (`apt-get install -y dataset-fashion-mnist`, or `--data DIR` holding
the four IDX files); without it the script prints where it looked and exits with 1.

Contenders (every figure is at the same widths, batch and update budget):

  keras-io     the keras-io example "WGAN-GP overriding Model.train_step"
               (keras-team/keras-io, examples/generative/wgan_gp.py) as its authors wrote
               it: a subclassed `keras.Model` with its own `compile` and `train_step`
               (3 critic updates on one real batch, then 1 generator update; penalty 10
               at interpolates weighted by a Normal draw), trained by `fit`
  adinfer      `WGANInference` with the same networks, Adam(2e-4, 0.5, 0.9) for each,
               batch and `n_critic=3`, trained by `run` (its penalty interpolates with
               U(0, 1), as the paper, and each critic update draws its own real batch)
  adinfer best adinfer's best configuration found at this budget (named in the table)

Networks: keras-io's critic (conv 64-128-256-512, 5x5 stride 2) and generator (dense
4x4x256, upsampling convs 128-64-1), every width multiplied by `--width` (1/4 by
default: 270 k and 159 k parameters instead of 4.3 M and 0.9 M), and batch 64 instead of
keras-io's 512 (`--batch`), so that the whole benchmark fits about 45 minutes of 2 CPU
cores with enough generator updates (one pass over the data: 938) for the samples to
take shape; at batch 512 one pass is 118 updates, too few (in a pilot at widths x 1/8,
WGANInference's FID after them was 75 against a floor of 0.07).

Measures:
  * a domain classifier (examples/fashion_mnist_common.py: conv 32, conv 64, dense 128)
    trained on the train split (held-out accuracy on the test split reported); its 128
    penultimate activations are the features of FID (Frechet distance) and KID (kernel
    distance, x 1e3); the floor is 10,000 train images against the 10,000 test images;
    generated sets are 10,000 samples against the test images;
  * per-update time: each repeat times the contenders (fresh networks, warmed up:
    tracing excluded) for k generator steps (4 k updates), the order rotating
    between repeats; times are medians over repeats, the ratio the median of the
    within-repeat ratios, so that load from other processes (these cores are shared)
    affects both sides alike. XLA off (`fit`'s default on CPU) and on (`jit_compile`
    on both: `model.jit_compile = True` for keras-io, `run(jit_compile=True)`);
  * quality at the same budget (`--epochs` passes of `fit` over the 60,000 images, the
    same count of generator updates for adinfer), 3 seeds: FID and KID, mean +- standard
    error; the FID trajectory (2,000 samples, evaluation time excluded from the wall
    time) gives the time the best configuration needs to reach keras-io's final FID;
  * peak memory: TensorFlow's CPU allocator peak (`tf.config.experimental.
    get_memory_info("CPU:0")["peak"]`, reset before each run; the first seed's shown), the
    memory of tensors (data, weights, activations), not the process's resident size;
  * sample grids (8x8, seed 0) in benchmarks/figures/images_*.png.
"""

import argparse
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, ROOT, os.path.join(ROOT, "examples")]  # _results, adinfer, the nets

import _results  # noqa: E402
import fashion_mnist_common as common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import adinfer  # noqa: E402
from adinfer import metrics  # noqa: E402

FIGURES = os.path.join(HERE, "figures")
SECTION = "images"


# -- The keras-io program, as its authors wrote it ---------------------------------


class WGAN(keras.Model):
    """keras-io's WGAN-GP model: `compile` takes the optimizers and losses,
    `train_step` makes `discriminator_extra_steps` critic updates and one
    generator update per real batch."""

    def __init__(
        self, discriminator, generator, latent_dim, discriminator_extra_steps=3, gp_weight=10.0
    ):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_steps = discriminator_extra_steps
        self.gp_weight = gp_weight

    def compile(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn

    def gradient_penalty(self, batch_size, real_images, fake_images):
        alpha = tf.random.normal([batch_size, 1, 1, 1], 0.0, 1.0)
        interpolated = real_images + alpha * (fake_images - real_images)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.discriminator(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        for _ in range(self.d_steps):
            random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_latent_vectors, training=True)
                fake_logits = self.discriminator(fake_images, training=True)
                real_logits = self.discriminator(real_images, training=True)
                d_cost = self.d_loss_fn(real_img=real_logits, fake_img=fake_logits)
                gp = self.gradient_penalty(batch_size, real_images, fake_images)
                d_loss = d_cost + gp * self.gp_weight
            d_gradient = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(
                zip(d_gradient, self.discriminator.trainable_variables)
            )
        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            gen_img_logits = self.discriminator(generated_images, training=True)
            g_loss = self.g_loss_fn(gen_img_logits)
        gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(gen_gradient, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def discriminator_loss(real_img, fake_img):
    return tf.reduce_mean(fake_img) - tf.reduce_mean(real_img)


def generator_loss(fake_img):
    return -tf.reduce_mean(fake_img)


def adam(rate=2e-4):
    return keras.optimizers.Adam(learning_rate=rate, beta_1=0.5, beta_2=0.9)


# -- Contenders --------------------------------------------------------------------

# adinfer's best configuration at this budget, from a pilot (seed 0, 600 generator steps,
# FID of 5,000 samples; WGANInference with keras-io's settings: 29.4 in 232 s): one critic
# update per generator update at Adam 5e-4 with a generator EMA of 0.99 reached 20.7 in
# 119 s; EMA 0.99 alone 33.1 (284 s); the non-saturating loss (with the penalty, one
# critic update, EMA) 57.4 (100 s).
BEST = {
    "label": "adinfer best",
    "loss": "wasserstein",
    "n_critic": 1,
    "ema_decay": 0.99,
    "rate": 5e-4,
    "spectral_norm": False,
    "augment": None,
}


class Evaluator:
    """FID/KID of a generator's samples against the test images' features, and the
    FID trajectory during training (evaluation time kept apart from training time)."""

    def __init__(self, features, real_features, n_final, n_trajectory):
        self.features, self.real = features, real_features
        self.n_final, self.n_trajectory = n_final, n_trajectory

    def fid_kid(self, sample, n):
        fake = metrics.sample_and_run(self.features, sample, n, batch_size=500)
        return common.distances(self.real, fake)


class Run:
    """One training: its wall and CPU time (evaluations excluded), trajectory
    [(generator steps, seconds, FID)], final FID/KID, samples, peak memory."""

    def __init__(self):
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        self.eval_seconds = self.eval_cpu = 0.0
        self.trajectory = []

    def point(self, steps, evaluator, sample):
        begin, cpu = time.perf_counter(), time.process_time()
        fid, _ = evaluator.fid_kid(sample, evaluator.n_trajectory)
        self.eval_seconds += time.perf_counter() - begin
        self.eval_cpu += time.process_time() - cpu
        self.trajectory.append((steps, self.elapsed(), fid))

    def elapsed(self):
        return time.perf_counter() - self.start - self.eval_seconds

    def finish(self, evaluator, sample):
        self.seconds = self.elapsed()
        self.cpu = time.process_time() - self.cpu_start - self.eval_cpu
        self.fid, self.kid = evaluator.fid_kid(sample, evaluator.n_final)
        self.grid = sample(64)
        return self


def generator_sampler(generator, seed):
    """`sample(n)` of a Keras generator with batch statistics (as in training and
    as adinfer's `sample`), noise from its own NumPy stream (the training's TF
    stream is untouched)."""
    rng = np.random.default_rng(seed)

    def sample(n):
        z = rng.standard_normal((n, common.NOISE_DIM)).astype(np.float32)
        return generator(z, training=True).numpy()

    return sample


class Trajectory(keras.callbacks.Callback):
    def __init__(self, run, evaluator, every, total, sample):
        super().__init__()
        self.run, self.evaluator, self.every, self.total = run, evaluator, every, total
        self.sample, self.steps = sample, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % self.every == 0 or self.steps == self.total:
            self.run.point(self.steps, self.evaluator, self.sample)


def train_keras_io(seed, cfg, data, evaluator):
    keras.utils.set_random_seed(seed)
    critic = common.keras_io_critic(cfg.width)
    generator = common.keras_io_generator(cfg.width)
    wgan = WGAN(critic, generator, latent_dim=common.NOISE_DIM, discriminator_extra_steps=3)
    wgan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(),
        g_loss_fn=generator_loss,
        d_loss_fn=discriminator_loss,
    )
    sample = generator_sampler(generator, seed + 1000)
    run = Run()
    callback = Trajectory(run, evaluator, cfg.every, cfg.steps, sample)
    wgan.fit(data, batch_size=cfg.batch, epochs=cfg.epochs, callbacks=[callback], verbose=0)
    return run.finish(evaluator, sample)


def adinfer_inference(seed, cfg, data, config=None):
    """WGANInference over the keras-io networks; `config` (BEST) changes the
    loss, critic normalisation and augmentation; returns (inference, run kwargs)."""
    config = config or {}
    keras.utils.set_random_seed(seed)
    critic = common.keras_io_critic(cfg.width, spectral_norm=config.get("spectral_norm", False))
    generator = common.keras_io_generator(cfg.width)
    stream = keras.random.SeedGenerator(seed)
    fake = lambda n: generator(
        keras.random.normal([n, common.NOISE_DIM], seed=stream), training=True
    )
    augment = config.get("augment")
    inference = adinfer.WGANInference(
        {fake: data},
        lambda x: critic(x, training=True),
        loss=config.get("loss", "wasserstein"),
        batch_size=cfg.batch,
        seed=seed,
        augment=augment and adinfer.augment.DiffAugment(augment, seed=seed),
    )
    rate = config.get("rate", 2e-4)
    kwargs = {
        "n_critic": config.get("n_critic", 3),
        "optimizer": adam(rate),
        "optimizer_d": adam(rate),
        "ema_decay": config.get("ema_decay"),
        "n_print": 0,
    }
    return inference, kwargs


def train_adinfer(seed, cfg, data, evaluator, config=None):
    inference, kwargs = adinfer_inference(seed, cfg, data, config)
    per_iteration = kwargs["n_critic"] + 1
    run = Run()

    def evaluate(inference):
        run.point(int(inference.t.numpy()) // per_iteration, evaluator, inference.sample)
        return {}

    inference.run(n_iter=cfg.steps, evaluate=evaluate, evaluate_every=cfg.every, **kwargs)
    return run.finish(evaluator, inference.sample)


def measured_memory(train):
    """`train()`'s run, with the CPU allocator's peak bytes during it."""
    tf.config.experimental.reset_memory_stats("CPU:0")
    run = train()
    run.peak_bytes = tf.config.experimental.get_memory_info("CPU:0")["peak"]
    return run


# -- Per-update time ---------------------------------------------------------------


def timing(cfg, data, xla, steps, repeats, log):
    """Seconds per generator step (3 critic + 1 generator updates) of keras-io's `fit`
    and adinfer's `run`, and, without XLA, of adinfer's best configuration; the
    contenders interleaved, the order rotating between repeats."""
    keras.utils.set_random_seed(0)
    wgan = WGAN(
        common.keras_io_critic(cfg.width),
        common.keras_io_generator(cfg.width),
        latent_dim=common.NOISE_DIM,
        discriminator_extra_steps=3,
    )
    wgan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(),
        g_loss_fn=generator_loss,
        d_loss_fn=discriminator_loss,
    )
    if xla:
        wgan.jit_compile = True
    subset = data[: steps * cfg.batch]
    inference, kwargs = adinfer_inference(0, cfg, data)
    contenders = {
        "keras-io": lambda: wgan.fit(subset, batch_size=cfg.batch, epochs=1, verbose=0),
        "adinfer": lambda: inference.run(n_iter=steps, jit_compile=xla, **kwargs),
    }
    if not xla:
        best, best_kwargs = adinfer_inference(0, cfg, data, BEST)
        contenders["best"] = lambda: best.run(n_iter=steps, **best_kwargs)
    first, times = {}, {name: [] for name in contenders}
    for name, train in contenders.items():  # warm-up: tracing, compilation
        begin = time.perf_counter()
        train()
        first[name] = time.perf_counter() - begin
    ratios = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            begin = time.perf_counter()
            contenders[name]()
            times[name].append((time.perf_counter() - begin) / steps)
        for name in names:
            ratios[name].append(times[name][-1] / times["keras-io"][-1])
        log(
            f"  xla={xla} repeat {r + 1}/{repeats}, per generator step: "
            + ", ".join(f"{n} {times[n][-1] * 1e3:.0f} ms" for n in times)
        )
    return {
        "step": {name: statistics.median(times[name]) for name in names},
        "ratio": {name: statistics.median(ratios[name]) for name in names},
        "first": first,
        "steps": steps,
        "repeats": repeats,
    }


# -- Report ------------------------------------------------------------------------


def mean_se(values):
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return mean, se


def time_to_reach(trajectory, target):
    """(generator steps, training seconds) at the first trajectory point with
    FID <= target, or None."""
    for steps, seconds, fid in trajectory:
        if fid <= target:
            return steps, seconds
    return None


def best_label():
    parts = [f"loss {BEST['loss']}", f"n_critic {BEST['n_critic']}"]
    if BEST["ema_decay"]:
        parts.append(f"EMA {BEST['ema_decay']}")
    if BEST["rate"] != 2e-4:
        parts.append(f"Adam {BEST['rate']:g}")
    if BEST["spectral_norm"]:
        parts.append("spectral norm")
    if BEST["augment"]:
        parts.append(f"DiffAugment {BEST['augment']}")
    return ", ".join(parts)


def report(cfg, setup, times, runs):
    lines = [
        "## Images (Fashion-MNIST)",
        "",
        f"`{cfg.command}`. Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {_results.machine()}; "
        f"{_results.load_average(cfg.load)}; {cfg.minutes:.0f} min in all. Other processes "
        "shared these cores: the time ratios come from one process, the contenders "
        "interleaved, so the load affects both sides alike.",
        "",
        f"Networks: keras-io's WGAN-GP critic and generator with every width x {cfg.width:g} "
        f"(critic {setup['critic_params']:,} parameters, generator {setup['generator_params']:,}; "
        "full widths: 4.3 M and 0.9 M); batch "
        f"{cfg.batch}, noise 128, Adam(2e-4, 0.5, 0.9) for both, 3 critic updates per generator "
        f"update, penalty 10. Budget: {cfg.epochs} pass{'es' * (cfg.epochs > 1)} of `fit` over "
        f"{setup['n_train']:,} images = {cfg.steps} generator updates "
        f"({4 * cfg.steps} updates), the same for adinfer; seeds {', '.join(map(str, cfg.seeds))}.",
        "",
        f"Domain classifier (conv 32, conv 64, dense 128; {cfg.classifier_epochs} epochs of Adam on the "
        f"train split): held-out accuracy **{100 * setup['accuracy']:.2f}%** on the "
        f"{setup['n_test']:,} test images. Its 128 penultimate features give FID and KID "
        f"(x 1e3); generated: {cfg.n_eval:,} samples against the test images. Real-vs-real "
        f"floor ({setup['n_floor']:,} train vs test images): FID **{setup['floor'][0]:.3f}**, "
        f"KID **{1e3 * setup['floor'][1]:.3f}**.",
        "",
        "Per-update time (warm; median of interleaved repeats; an update is one critic or "
        "generator step, 4 per generator step; the ratio is the median of the ratios "
        "within a repeat):",
        "",
        "| XLA | keras-io `fit` | adinfer `run` | ratio adinfer / keras-io "
        "| first call (trace + k steps) keras-io / adinfer | repeats x k generator steps |",
        "|---|---|---|---|---|---|",
    ]
    for xla, t in times.items():
        lines.append(
            f"| {'on' if xla else 'off'} | {t['step']['keras-io'] / 4 * 1e3:.1f} ms "
            f"| {t['step']['adinfer'] / 4 * 1e3:.1f} ms | **{t['ratio']['adinfer']:.3f}** "
            f"| {t['first']['keras-io']:.1f} s / {t['first']['adinfer']:.1f} s "
            f"| {t['repeats']} x {t['steps']} |"
        )
    best_step = times[False]["step"]["best"]
    lines += [
        "",
        f"adinfer best ({best_label()}), timed in the same repeats: "
        f"{best_step * 1e3:.0f} ms per generator step, "
        f"{times[False]['ratio']['best']:.3f} x keras-io's "
        f"({times[False]['step']['keras-io'] * 1e3:.0f} ms).",
    ]
    lines += [
        "",
        f"Quality at the same budget ({len(cfg.seeds)} seeds, mean +- standard error; wall: "
        "training only, evaluations excluded; memory: CPU allocator peak, first seed):",
        "",
        "| contender | FID | KID x 1e3 | wall (CPU) per run | peak memory | FID per seed |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (
        ("keras-io", "keras-io WGAN-GP (`fit`)"),
        ("adinfer", "adinfer `WGANInference`, same configuration"),
        ("best", f"adinfer best: {best_label()}"),
    ):
        rs = runs[name]
        fid, fid_se = mean_se([r.fid for r in rs])
        kid, kid_se = mean_se([1e3 * r.kid for r in rs])
        wall, _ = mean_se([r.seconds for r in rs])
        cpu, _ = mean_se([r.cpu for r in rs])
        lines.append(
            f"| {label} | {fid:.3f} +- {fid_se:.3f} | {kid:.2f} +- {kid_se:.2f} | {wall:.0f} s ({cpu:.0f} s) "
            f"| {rs[0].peak_bytes / 2**20:.0f} MiB | {', '.join(f'{r.fid:.3f}' for r in rs)} |"
        )
    keras_fid = statistics.fmean(r.trajectory[-1][2] for r in runs["keras-io"])
    keras_wall = statistics.fmean(r.seconds for r in runs["keras-io"])
    reach = [time_to_reach(r.trajectory, keras_fid) for r in runs["best"]]
    step = times[False]["step"]
    # Wall time from the interleaved per-step costs: the steps needed times the cost
    # of a step, against keras-io's whole budget, immune to the load between runs.
    fractions = [
        None if r is None else r[0] * step["best"] / (cfg.steps * step["keras-io"]) for r in reach
    ]
    walls = [None if r is None else r[1] / keras_wall for r in reach]
    described = [
        "not within the budget"
        if r is None
        else f"{r[0]} generator steps, {r[1]:.0f} s ({w:.2f} of keras-io's wall; {f:.2f} by the interleaved step costs)"
        for r, w, f in zip(reach, walls, fractions)
    ]
    lines += [
        "",
        f"Time to keras-io's final FID ({keras_fid:.3g}: the mean over its seeds of the FID "
        f"of {cfg.n_trajectory:,} samples after its {cfg.steps} generator steps, "
        f"{keras_wall:.0f} s of training): adinfer best, evaluated every {cfg.every} "
        "generator steps, reaches it after " + "; ".join(described) + " (seeds "
        f"{', '.join(map(str, cfg.seeds))}).",
        "",
        f"Trajectories (generator steps: FID at {cfg.n_trajectory:,} samples), first seed:",
        "",
    ]
    for name in runs:
        points = ", ".join(f"{s}: {f:.3g}" for s, _, f in runs[name][0].trajectory)
        lines.append(f"- {name}: {points}")
    lines += [
        "",
        "Differences that remain between the two programs with the same networks: keras-io "
        "reuses one real batch for its 3 critic updates, adinfer draws a batch per update; "
        "keras-io's interpolation weight is Normal(0, 1), adinfer's U(0, 1) (Gulrajani et "
        "al.), and adinfer's gradient norm is sqrt(|g|^2 + 1e-10). Samples use batch "
        "statistics for both. Sample grids (seed 0): "
        "`benchmarks/figures/images_real.png`, `images_keras_io.png`, `images_adinfer.png`, "
        "`images_adinfer_best.png`.",
    ]
    return "\n".join(lines)


# -- Main --------------------------------------------------------------------------


class Config:
    def __init__(self, args, n_train):
        quick = args.quick
        self.quick = quick
        self.width = args.width or (1 / 16 if quick else 0.25)
        self.batch = args.batch or (32 if quick else 64)
        self.epochs = args.epochs or 1
        self.seeds = list(range(args.seeds or (1 if quick else 3)))
        self.steps = self.epochs * math.ceil(n_train / self.batch)
        self.every = max(1, self.steps // 8)
        self.n_eval = 200 if quick else 10_000
        self.n_trajectory = 100 if quick else 2_000
        self.classifier_epochs = 1 if quick else 2
        self.timing = (1, 1) if quick else (30, 5)
        self.timing_xla = None if quick and not args.xla else ((1, 1) if quick else (5, 3))
        self.load = os.getloadavg()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny widths and budgets")
    parser.add_argument("--data", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--width", type=float, default=None, help="width factor (default 1/4)")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="passes of fit (default 1)")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--train-images", type=int, default=None, help="use the first N train images"
    )
    parser.add_argument("--xla", action="store_true", help="time XLA in --quick too")
    parser.add_argument("--results", default=None, help="the RESULTS.md to rewrite")
    parser.add_argument("--figures", default=None, help="directory of the sample grids")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    log = lambda message: print(message, flush=True)

    x_train, y_train = common.load("train", args.data)
    x_test, y_test = common.load("test", args.data)
    if args.train_images or args.quick:
        n = args.train_images or min(len(x_train), 512)
        x_train, y_train = x_train[:n], y_train[:n]
    cfg = Config(args, len(x_train))
    cfg.command = _results.command(__file__, argv)
    results = args.results or (None if args.quick else _results.RESULTS)
    figures = args.figures or (None if args.quick else FIGURES)
    log(
        f"width x {cfg.width:g}, batch {cfg.batch}, {cfg.steps} generator steps per run, "
        f"seeds {cfg.seeds}, {len(x_train)} train / {len(x_test)} test images"
    )

    domain = common.DomainFeatures(seed=0).fit(x_train, y_train, epochs=cfg.classifier_epochs)
    n_floor = min(len(x_train), len(x_test))
    floor_rows = np.random.default_rng(0).choice(len(x_train), n_floor, replace=False)
    real_features = domain(x_test)
    setup = {
        "accuracy": domain.accuracy(x_test, y_test),
        "floor": common.distances(real_features, domain(x_train[floor_rows])),
        "n_floor": n_floor,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "critic_params": common.keras_io_critic(cfg.width).count_params(),
        "generator_params": common.keras_io_generator(cfg.width).count_params(),
    }
    log(f"classifier accuracy {setup['accuracy']:.4f}; floor FID/KID {setup['floor']}")

    times = {False: timing(cfg, x_train, False, *cfg.timing, log)}
    log(f"per update, XLA off: {times[False]}")
    if cfg.timing_xla:
        times[True] = timing(cfg, x_train, True, *cfg.timing_xla, log)
        log(f"per update, XLA on: {times[True]}")

    evaluator = Evaluator(domain, real_features, min(cfg.n_eval, len(x_test)), cfg.n_trajectory)
    trainers = {
        "keras-io": lambda seed: train_keras_io(seed, cfg, x_train, evaluator),
        "adinfer": lambda seed: train_adinfer(seed, cfg, x_train, evaluator),
        "best": lambda seed: train_adinfer(seed, cfg, x_train, evaluator, BEST),
    }
    runs = {name: [] for name in trainers}
    for seed in cfg.seeds:
        for name, train in trainers.items():
            run = measured_memory(lambda train=train, seed=seed: train(seed))
            runs[name].append(run)
            log(
                f"seed {seed} {name}: FID {run.fid:.3f} KID {run.kid:.5f} in {run.seconds:.1f} s, "
                f"peak {run.peak_bytes / 2**20:.0f} MiB"
            )
    cfg.minutes = (time.perf_counter() - began) / 60
    text = report(cfg, setup, times, runs)
    print(text)
    if figures:
        os.makedirs(figures, exist_ok=True)
        metrics.save_image_grid(os.path.join(figures, "images_real.png"), x_test[:64])
        for name, file in (
            ("keras-io", "keras_io"),
            ("adinfer", "adinfer"),
            ("best", "adinfer_best"),
        ):
            metrics.save_image_grid(os.path.join(figures, f"images_{file}.png"), runs[name][0].grid)
        log(f"wrote the sample grids to {figures}")
    if results:
        _results.write_section(_results.markers(SECTION), text, results)
        log(f"wrote the images section of {results}")


if __name__ == "__main__":
    main()
