"""Inference-quality benchmark (issue 29): do BiGAN/ALICE encoders reconstruct
and represent?

Parts (each its own sub-section of RESULTS.md's "inference-quality" section,
`--only toy` rewrites that part alone):
  toy:    ALICE's toy (Li et al., 2017): x from 5 Gaussians with means (0, 0),
          (±2, ±2) and covariance 0.04·I, z ~ N(0, I_2), small MLPs. Held-out
          reconstruction MSE of `reconstruct(x)` (per coordinate and summed over
          the 2 coordinates), mode coverage of `sample(n)`, and the toy
          "inception score" of ALICE's paper, exp(E_x KL(p(k | x) || p(k))) with
          the exact posterior p(k | x) of the true mixture (maximum 5).
  grid, ring: `benchmarks/quality.py`'s toy sets and its BiGAN configurations
          (`quality.train_toy`), with ALICE's explicit term added as a row:
          held-out reconstruction MSE beside mode coverage, at the budget given.
  fmnist: a convolutional BiGAN and ALICE on Fashion-MNIST: 1-NN accuracy and
          a linear probe (softmax regression) on encoder features z = E(x) (the
          encoder's mean) against raw pixels and the same encoder untrained, on
          one train/test split in the same run; reconstruction MSE; a figure of
          originals and reconstructions. Needs Fashion-MNIST
          (`apt-get install -y dataset-fashion-mnist`, see `adinfer.datasets`).

    python benchmarks/inference_quality.py                 # full run (≲ 45 min on 2 cores)
    python benchmarks/inference_quality.py --only toy      # rewrites the toy part only
    python benchmarks/inference_quality.py --quick         # smoke run, stdout only
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # _results, quality, and adinfer from this checkout

import _results  # noqa: E402
import quality  # noqa: E402

import adinfer  # noqa: E402
from adinfer import datasets, metrics  # noqa: E402

tfd = tfp.distributions
FIGURES = quality.FIGURES
PARTS = ("toy", "grid", "ring", "fmnist")
SECTION = "inference-quality"
HEADING = "## Inference quality: reconstruction and encoder features (issue 29)"

# -- ALICE's toy ------------------------------------------------------------------

TOY_MEANS = np.array([[0, 0], [2, 2], [2, -2], [-2, 2], [-2, -2]], np.float32)
TOY_STD = 0.2  # covariance 0.04 I
N_TEST = 2000  # held-out points reconstructed
# ALICE's published rows (Li et al., 2017, their toy README and Fig. 3, λ = 1):
# (row, reconstruction MSE, its ±, inception score, its ±); None where not given.
TOY_PUBLISHED = [
    ("ALICE (Li et al., 2017), λ = 1", 0.022, 0.029, 4.595, 0.604),
    ("ALI (Li et al., 2017), read off their plot", 4.7, None, None, None),
]
# LONG_ROW: ALICE (explicit, pack 2) trained TOY_LONG times as long. Pilots on
# ALICE (explicit, pack 2), seeds 0-1 (MSE per coordinate, modes, score), at
# 6,000 updates: 0.068 / 5 / 4.80 and 0.038 / 5 / 4.96. Longer, 20,000: 0.019 /
# 5 / 4.88 and 0.004 / 5 / 4.97; 24,000 (kept), seeds 0-4: 0.002, 0.016, 0.009,
# 0.003, 0.021, 5 modes each, scores 4.86-4.97. At 6,000 updates, not kept:
# latent_cycle_weight 1 (0.014 / 5 / 4.73, 0.020 / 5 / 3.87); cycle_weight 2 and
# 4 (0.024-0.050, scores 3.6-4.4), 10 (0.019 / 2 / 1.75, 0.022 / 5 / 4.74);
# generator EMA 0.999 with warm-up (its reconstructions 0.040, 0.064); 2×128
# networks (0.069, 0.062 with 4 modes); final rate 0.005× (0.055, 0.043).
TOY_LONG = 4
LONG_ROW = f"ALICE (explicit, pack 2, {TOY_LONG}× updates)"
TOY_ROWS = (
    "BiGAN",
    "BiGAN (pack 2)",
    "ALICE (explicit)",
    "ALICE (adversarial)",
    "ALICE (explicit, pack 2)",
    LONG_ROW,
)
TOY = dict(
    units=64,
    layers=2,
    batch=256,
    lr=1e-3,
    lr_final=0.02,
    beta_1=0.5,
    n_iter=6000,
    cycle_weight=1.0,
)
# Goals of issue 29 on this toy (mean over seeds), for a BiGAN/ALICE row.
TOY_GOAL = dict(mse=0.022, modes=5.0, score=4.6)


def toy_data(n, seed):
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(TOY_MEANS), n)
    return (TOY_MEANS[k] + TOY_STD * rng.normal(size=(n, 2))).astype(np.float32)


def toy_posterior_logits(x):
    """log p(k | x) + const of the true mixture (equal weights, equal covariances)."""
    d2 = ((x[:, None, :] - TOY_MEANS[None]) ** 2).sum(-1)
    return -d2 / (2 * TOY_STD**2)


def toy_inception_score(samples):
    """ALICE's toy score exp(E_x KL(p(k | x) || p(k))), p(k | x) the exact posterior."""
    return float(metrics.classifier_score(toy_posterior_logits(samples).astype(np.float64)))


def split_critic(units, name):
    """ALI's joint critic: x and z through their own paths, then a joint layer."""
    path_x, path_z = (quality.leaky_mlp(units, 2, units, name=f"{name}_{v}") for v in "xz")
    joint = quality.leaky_mlp(units, 1, 1, name=name)
    return lambda x, z: joint(tf.concat([path_x(x), path_z(z)], axis=-1))


def train_toy_row(row, seed, n_iter, cfg=TOY):
    """Trains `row` of TOY_ROWS on ALICE's toy; returns its metrics and seconds."""
    keras.utils.set_random_seed(seed)
    adinfer.clear_losses()
    units, layers = cfg["units"], cfg["layers"]
    dec = quality.mlp(units, layers, 2, name="decoder")
    gaussian = "pack 2" in row  # the best BiGAN: ALI's Gaussian encoder, pack 2
    enc = quality.mlp(units, layers, 4 if gaussian else 2, name="encoder")
    if gaussian:

        def encoder(x):
            loc, raw_scale = tf.split(enc(x), 2, axis=-1)
            return tfd.Normal(loc, tf.nn.softplus(raw_scale) + 1e-4)

    else:
        encoder = enc
    kwargs = dict(batch_size=cfg["batch"], seed=seed, pack=2 if "pack 2" in row else 1)
    binding = ({lambda n: tf.random.normal([n, 2]): encoder}, {dec: toy_data(50_000, seed)})
    critic = split_critic(units, "discriminator")
    if row.startswith("ALICE"):
        if "adversarial" in row:
            pair = quality.leaky_mlp(units, layers, 1, name="cycle_discriminator")
            kwargs["cycle_discriminator"] = lambda x, x_rec: pair(tf.concat([x, x_rec], -1))
        inference = adinfer.ALICEInference(
            *binding, critic, cycle_weight=cfg["cycle_weight"], **kwargs
        )
    else:
        inference = adinfer.BiGANInference(*binding, critic, **kwargs)
    opt = lambda: quality.adam(cfg["lr"], cfg["beta_1"], 0.999, n_iter, cfg["lr_final"])  # noqa: E731
    start = time.perf_counter()
    inference.run(n_iter=n_iter, n_print=0, optimizer=opt(), optimizer_d=opt())
    seconds = time.perf_counter() - start
    x_test = toy_data(N_TEST, seed + 10_000)
    samples = inference.sample(quality.N_EVAL)
    cov = metrics.mode_coverage(samples, TOY_MEANS, TOY_STD)
    out = dict(
        mse=float(np.mean((inference.reconstruct(x_test) - x_test) ** 2)),
        mse_mean=float(np.mean((inference.reconstruct(x_test, mean=True) - x_test) ** 2)),
        modes=cov.modes_covered,
        hq=100 * cov.high_quality_fraction,
        score=toy_inception_score(samples),
        seconds=seconds,
    )
    print(f"  toy {row:20s} seed {seed}: {fmt_seed(out)}", file=sys.stderr, flush=True)
    return out


def fmt_seed(r):
    return (
        f"MSE/coord {r['mse']:.4f} (mean-z {r['mse_mean']:.4f}), modes {r['modes']}, "
        f"HQ {r['hq']:.1f}%, IS {r['score']:.3f}, {r['seconds']:.0f} s"
    )


def _toy_job(job):
    return train_toy_row(*job)


def run_jobs(fn, jobs, n_jobs):
    """`[fn(job) for job in jobs]`, in `n_jobs` single-threaded processes when > 1."""
    if n_jobs <= 1:
        return [fn(job) for job in jobs]
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(
        n_jobs, initializer=quality.worker_init, maxtasksperchild=4
    ) as pool:
        return pool.map(fn, jobs, chunksize=1)


def cell(values, digits=3):
    mean, se = quality.mean_se(values)
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def toy_part(args, seeds):
    start, load = time.perf_counter(), os.getloadavg()[0]
    n_iter = args.n_iter or (30 if args.quick else TOY["n_iter"])
    iters = {row: n_iter * (TOY_LONG if row == LONG_ROW else 1) for row in TOY_ROWS}
    # Longest first, so that parallel workers finish together.
    order = sorted(TOY_ROWS, key=lambda row: -iters[row])
    jobs = [(row, seed, iters[row]) for row in order for seed in seeds]
    results = dict(zip(jobs, run_jobs(_toy_job, jobs, args.jobs)))
    per_row = {row: [results[row, s, iters[row]] for s in seeds] for row in TOY_ROWS}
    t = TOY
    budget = f"{n_iter:,} simultaneous updates per run ({LONG_ROW}: {iters[LONG_ROW]:,})"
    lines = header(args, seeds, start, load, budget) + [
        f"**ALICE's toy** (Li et al., 2017): 5 Gaussians at (0, 0), (±2, ±2), covariance 0.04·I; "
        f"z ~ N(0, I_2); encoder and decoder {t['layers']}×{t['units']} ReLU MLPs; ALI's joint "
        f"critic (x and z through 2×{t['units']} LeakyReLU layers each, then 1 joint layer); "
        f"Adam({t['lr']:g}, β1 {t['beta_1']}) cosine-decayed to {t['lr_final']:g}×; batch "
        f"{t['batch']}; no weight averaging. BiGAN (pack 2): ALI's Gaussian encoder q(z | x) = "
        "N(μ(x), diag σ(x)²), the critic on two pairs. ALICE (explicit): `ALICEInference("
        f"cycle_weight={t['cycle_weight']:g})`; ALICE (adversarial): the same with "
        f"`cycle_discriminator=` a {t['layers']}×{t['units']} LeakyReLU MLP on [x, x']; "
        "ALICE (explicit, pack 2): the explicit term on BiGAN (pack 2); "
        f"{LONG_ROW}: the same trained {TOY_LONG}× as long (the learning rate's cosine "
        "stretched over the whole run). "
        f"Reconstruction MSE of `reconstruct(x)` on {N_TEST:,} held-out points, per coordinate "
        '(summed over the 2 coordinates: twice that); "mean z": `reconstruct(x, mean=True)` '
        "(the same as a sample for a deterministic encoder). Modes, high-quality % (within 3σ) "
        f"and the toy inception score (exact-posterior classifier, maximum 5) on "
        f"{quality.N_EVAL:,} samples. Mean ± standard error over seeds.",
        "",
        "| row | reconstruction MSE / coordinate | summed (× 2) | mean z, / coordinate | "
        "modes (of 5) | high-quality % | inception score | wall time (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in TOY_ROWS:
        r = per_row[row]
        col = lambda key, r=r: [x[key] for x in r]  # noqa: E731
        lines.append(
            f"| {row} | {cell(col('mse'), 4)} | {cell(2 * np.array(col('mse')), 4)} | "
            f"{cell(col('mse_mean'), 4)} | {cell(col('modes'), 2)} | {cell(col('hq'), 2)} | "
            f"{cell(col('score'), 3)} | {np.mean(col('seconds')):.0f} |"
        )
    for name, mse, mse_se, score, score_se in TOY_PUBLISHED:
        lines.append(
            f"| {name} | {published(mse, mse_se)} (per coordinate or summed: not stated) | - | - "
            f"| - | - | {published(score, score_se)} | - |"
        )
    goal = TOY_GOAL
    met = [
        row
        for row in TOY_ROWS
        if np.mean([x["mse"] for x in per_row[row]]) <= goal["mse"]
        and np.mean([x["modes"] for x in per_row[row]]) >= goal["modes"]
        and np.mean([x["score"] for x in per_row[row]]) >= goal["score"]
    ]
    lines += [
        "",
        f"**Goal (issue 29)**: reconstruction MSE ≤ {goal['mse']} per coordinate, all 5 modes, "
        f"inception score ≥ {goal['score']} (means over seeds): "
        + (f"**met** by {', '.join(met)}." if met else "**missed** by every row.")
        + " Per seed:",
        "",
    ]
    for row in TOY_ROWS:
        lines.append(
            f"- {row}: "
            + "; ".join(f"seed {s}: {fmt_seed(x)}" for s, x in zip(seeds, per_row[row]))
        )
    lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def published(value, se):
    return "-" if value is None else f"{value:g}" + (f" ± {se:g}" if se else "")


def header(args, seeds, start, load, budget, parallel=True):
    runs = f" ({args.jobs} run(s) in parallel)" if parallel else ""
    return [
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {_results.machine()}; "
        f"{_results.load_average(load)}.",
        f"Command: `{args.command}`; seeds {', '.join(map(str, seeds))}; budget: {budget}; "
        f"wall time of this part {(time.perf_counter() - start) / 60:.1f} min{runs}.",
        "",
    ]


# -- Grid and ring: quality.py's BiGAN rows, with reconstruction --------------------

TOY_SET_ROWS = ("BiGAN", "BiGAN (pack 2)", "ALICE (pack 2)")
# quality.py's CONFIG with these keys added or replaced; each row trains for its
# budget in quality.py (`quality.method_iters`: BiGAN 36,000 grid / 20,000 ring
# updates, the pack 2 rows twice that). ALICE's λ (`cycle_weight`, on the squared
# error summed over x's 2 coordinates, in the data's units): the networks work in
# the unit box, which the grid's decoder output is scaled from by 4 and the ring's
# by 1, so λ = 1 on the grid weighs as λ = 16 does on the ring. Pilots, seed 0 at
# these budgets (MSE / coordinate, mean z; raw then EMA modes / high-quality % /
# reverse KL): grid, λ = 1 (kept): 0.0883, 0.0027; 25 / 94.24 / 0.014, 25 / 94.56 /
# 0.014. Ring, λ = 16 (kept): 0.0046, 0.0001; 8 / 91.44 / 0.031, 8 / 92.52 / 0.025.
TOY_SET_CONFIG = dict(n_reconstruct=N_TEST, ring_cycle_weight=16.0)


def _toy_set_job(job):
    task, method, seed, n_iter, cfg = job
    out = quality.train_toy(task, method, seed, n_iter, cfg)
    samples, seconds = out
    means, std = quality.TOY[task]["params"]
    x = samples["x_test"]
    result = dict(
        mse=float(np.mean((samples["rec"] - x) ** 2)),
        mse_mean=float(np.mean((samples["rec_mean"] - x) ** 2)),
        seconds=seconds,
    )
    for weights in ("raw", "ema"):
        cov = metrics.mode_coverage(samples[weights], means, std)
        result[weights] = (cov.modes_covered, 100 * cov.high_quality_fraction, cov.reverse_kl)
    print(
        f"  {task} {method} seed {seed}: MSE/coord {result['mse']:.4f} (mean z "
        f"{result['mse_mean']:.4f}), raw {result['raw']}, EMA {result['ema']}, {seconds:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    return result


def toy_set_part(args, task, seeds):
    start, load = time.perf_counter(), os.getloadavg()[0]
    given = args.n_iter or (30 if args.quick else None)
    iters = {
        m: given or quality.method_iters(task, m, quality.TOY[task]["n_iter"]) for m in TOY_SET_ROWS
    }
    cfg = dict(quality.CONFIG, **TOY_SET_CONFIG)
    if args.quick:
        cfg["n_train"] = 4096
    # Seed-major: an interrupted run has whole seeds of every row.
    jobs = [(task, m, s, iters[m], cfg) for s in seeds for m in TOY_SET_ROWS]
    results = dict(zip([job[1:3] for job in jobs], run_jobs(_toy_set_job, jobs, args.jobs)))
    per_row = {m: [results[m, s] for s in seeds] for m in TOY_SET_ROWS}
    n_modes = len(quality.TOY[task]["params"][0])
    weight = quality.method_config(cfg, task, "ALICE (pack 2)")["cycle_weight"]
    budget = ", ".join(f"{m} {iters[m]:,}" for m in TOY_SET_ROWS) + " simultaneous updates"
    lines = header(args, seeds, start, load, budget) + [
        f"**Reconstruction, {task}** — `benchmarks/quality.py`'s {task} and its BiGAN and "
        "BiGAN (pack 2) configurations (networks, optimiser, Gaussian encoder for pack 2, "
        "generator EMA; see the quality section), each at the budget above. ALICE (pack 2): "
        f"BiGAN (pack 2) with `ALICEInference(cycle_weight={weight:g})` (λ on the squared "
        "error summed over the 2 coordinates, in the data's units). Reconstruction MSE "
        f"per coordinate of `reconstruct(x, ema=False)` on {N_TEST:,} held-out points (mean z: "
        "`mean=True`); mode coverage of the raw and averaged (EMA) decoder on "
        f"{quality.N_EVAL:,} samples. Mean ± standard error over seeds.",
        "",
        "| row | reconstruction MSE / coordinate | mean z, / coordinate | modes "
        f"(of {n_modes}) | high-quality % | reverse KL | EMA: modes | EMA: high-quality % | "
        "EMA: reverse KL | wall time (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in TOY_SET_ROWS:
        r = per_row[m]
        raw, ema = np.array([x["raw"] for x in r]), np.array([x["ema"] for x in r])
        lines.append(
            f"| {m} | {cell([x['mse'] for x in r], 4)} | {cell([x['mse_mean'] for x in r], 4)} | "
            f"{cell(raw[:, 0], 2)} | {cell(raw[:, 1], 2)} | {cell(raw[:, 2], 3)} | "
            f"{cell(ema[:, 0], 2)} | {cell(ema[:, 1], 2)} | {cell(ema[:, 2], 3)} | "
            f"{np.mean([x['seconds'] for x in r]):.0f} |"
        )
    lines += [
        "",
        "Per seed (MSE / coordinate; modes / high-quality % / reverse KL, raw then EMA):",
        "",
    ]
    for m in TOY_SET_ROWS:
        lines.append(
            f"- {m}: "
            + "; ".join(
                f"seed {s}: {x['mse']:.4f}; {coverage(x['raw'])}; EMA {coverage(x['ema'])}"
                for s, x in zip(seeds, per_row[m])
            )
        )
    base = np.mean([x["mse"] for x in per_row["BiGAN"]])
    bounds = quality.TARGETS[task][0][1]  # the BiGAN coverage target of quality.py
    lines += ["", f"**Goal (issue 29)**: reconstruction MSE ≤ 0.1× plain BiGAN's ({base:.4f}) "]
    lines[-1] += f"while meeting quality.py's {task} coverage target ({target_text(bounds)}):"
    for m in TOY_SET_ROWS[1:]:
        ratio = np.mean([x["mse"] for x in per_row[m]]) / base
        met = [w for w in ("raw", "ema") if meets([x[w] for x in per_row[m]], bounds)]
        lines[-1] += (
            f" {m} {ratio:.3f}×, coverage "
            + (f"met ({' and '.join(w.replace('ema', 'EMA') for w in met)})" if met else "missed")
            + (" — **met**;" if met and ratio <= 0.1 else " — missed;")
        )
    lines[-1] = lines[-1].rstrip(";") + "."
    lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def coverage(c):
    return f"{c[0]} / {c[1]:.1f}% / {c[2]:.3f}"


def target_text(bounds):
    words = dict(modes="≥ {:g} modes", hq="≥ {:g}% high quality", rkl="reverse KL ≤ {:g}")
    return ", ".join(words[k].format(v) for k, v in bounds.items())


def meets(covs, bounds):
    """Whether the means over seeds of (modes, high-quality %, reverse KL) meet `bounds`."""
    modes, hq, rkl = np.mean(np.array(covs, np.float64), axis=0)
    return (
        modes >= bounds.get("modes", 0)
        and hq >= bounds.get("hq", 0)
        and rkl <= bounds.get("rkl", np.inf)
    )


# -- Fashion-MNIST ------------------------------------------------------------------

FMNIST = dict(
    n_train=10_000,  # images the GANs train on (the 1-NN / probe train split too)
    n_test=2_000,
    z_dim=64,
    filters=32,
    batch=64,
    lr=2e-4,
    beta_1=0.5,
    # Pilots on a validation split (train images 50,000-51,999; 1-NN, raw pixels
    # 81.55%), BiGAN: 200 updates, z 74.50%, conv1 82.10%, conv2 80.45%; 10,000 updates
    # with EMA 0.999 (kept), z 75.55% raw weights / 76.55% averaged, conv1 80.95%, conv2
    # 78.65% (raw weights). Not tried: longer budgets, ALICE's latent_cycle_weight.
    n_iter=10_000,
    ema=0.999,  # generator (encoder and decoder) EMA decay, with warm-up; None: none
    cycle_weight=1.0,
    probe_epochs=50,
    feature_layer="conv1_features",  # the encoder layer whose output is the hidden-feature row
)


def fmnist_data(n_train, n_test):
    x_train, y_train = datasets.fashion_mnist("train")
    x_test, y_test = datasets.fashion_mnist("test")
    scale = lambda x: (x.astype(np.float32) / 127.5 - 1.0).reshape(-1, 28, 28, 1)  # noqa: E731
    return scale(x_train[:n_train]), y_train[:n_train], scale(x_test[:n_test]), y_test[:n_test]


def conv_networks(cfg):
    f, z_dim = cfg["filters"], cfg["z_dim"]
    L = keras.layers
    encoder = keras.Sequential(
        [
            L.Input((28, 28, 1)),
            L.Conv2D(f, 4, 2, "same"),
            L.LeakyReLU(0.2, name="conv1_features"),
            L.Conv2D(2 * f, 4, 2, "same"),
            L.LeakyReLU(0.2, name="conv2_features"),
            L.Flatten(),
            L.Dense(z_dim),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            L.Input((z_dim,)),
            L.Dense(7 * 7 * 2 * f, activation="relu"),
            L.Reshape((7, 7, 2 * f)),
            L.Conv2DTranspose(f, 4, 2, "same", activation="relu"),
            L.Conv2DTranspose(1, 4, 2, "same", activation="tanh"),
        ],
        name="decoder",
    )
    x_path = keras.Sequential(
        [
            L.Input((28, 28, 1)),
            L.Conv2D(f, 4, 2, "same"),
            L.LeakyReLU(0.2),
            L.Conv2D(2 * f, 4, 2, "same"),
            L.LeakyReLU(0.2),
            L.Flatten(),
        ],
        name="discriminator_x",
    )
    z_path = quality.leaky_mlp(256, 1, 256, name="discriminator_z")
    joint = quality.leaky_mlp(256, 1, 1, name="discriminator")
    critic = lambda x, z: joint(tf.concat([x_path(x), z_path(z)], -1))  # noqa: E731
    return encoder, decoder, critic


def features(network, x, batch=1000):
    """`network(x)` in batches, flattened."""
    out = np.concatenate([network(x[i : i + batch]).numpy() for i in range(0, len(x), batch)])
    return out.reshape(len(x), -1)


def with_averages(inference, fn, *args):
    """`fn(*args)` with the averaged "Gen" weights (`initialize(ema_decay=...)`) in
    the trained weights' place, which are put back after."""
    pairs = list(zip(inference.variables["Gen"], inference.averages)) if inference.ema_decay else []
    trained = [v.numpy() for v, _ in pairs]
    for v, average in pairs:
        v.assign(average)
    try:
        return fn(*args)
    finally:
        for (v, _), value in zip(pairs, trained):
            v.assign(value)


def one_nn_accuracy(f_train, y_train, f_test, y_test):
    d2 = (f_test**2).sum(1)[:, None] - 2 * f_test @ f_train.T + (f_train**2).sum(1)[None]
    return float(np.mean(y_train[np.argmin(d2, axis=1)] == y_test))


def linear_probe(f_train, y_train, f_test, y_test, epochs, seed):
    """Held-out accuracy of softmax regression on standardised features."""
    mu, sd = f_train.mean(0), f_train.std(0) + 1e-6
    keras.utils.set_random_seed(seed)
    probe = keras.Sequential([keras.layers.Input(f_train.shape[1:]), keras.layers.Dense(10)])
    probe.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    probe.fit((f_train - mu) / sd, y_train, batch_size=256, epochs=epochs, verbose=0)
    return float(probe.evaluate((f_test - mu) / sd, y_test, verbose=0)[1])


def fmnist_part(args, seeds):
    start, load = time.perf_counter(), os.getloadavg()[0]
    cfg = dict(FMNIST)
    if args.quick:
        cfg.update(n_train=512, n_test=128, n_iter=5, probe_epochs=2, batch=32)
    n_iter = cfg["n_iter"]
    x_train, y_train, x_test, y_test = fmnist_data(cfg["n_train"], cfg["n_test"])
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    rows = [("raw pixels (784)", flat(x_train), flat(x_test), None)]
    seed = seeds[0]
    figure_rows = {}
    for name in ("untrained encoder", "BiGAN", "ALICE (explicit)"):
        keras.utils.set_random_seed(seed)
        adinfer.clear_losses()
        encoder, decoder, critic = conv_networks(cfg)
        binding = ({lambda n: tf.random.normal([n, cfg["z_dim"]]): encoder}, {decoder: x_train})
        kwargs = dict(batch_size=cfg["batch"], seed=seed)
        if name.startswith("ALICE"):
            # λ on the summed squared error of 784 pixels: ALICE's per-pixel mean × 784.
            inference = adinfer.ALICEInference(
                *binding, critic, cycle_weight=cfg["cycle_weight"] / 784, **kwargs
            )
        else:
            inference = adinfer.BiGANInference(*binding, critic, **kwargs)
        t0 = time.perf_counter()
        if name != "untrained encoder":
            opt = lambda: keras.optimizers.Adam(cfg["lr"], beta_1=cfg["beta_1"])  # noqa: E731
            ema = dict(ema_decay=cfg["ema"], ema_warmup=True) if cfg["ema"] else {}
            inference.run(n_iter=n_iter, n_print=0, optimizer=opt(), optimizer_d=opt(), **ema)
        else:
            inference.build()
        seconds = time.perf_counter() - t0
        f_train, f_test = inference.encode(x_train), inference.encode(x_test)
        rec = inference.reconstruct(x_test)
        mse = float(np.mean((rec - x_test) ** 2))
        rows.append((f"{name}: z = E(x) ({cfg['z_dim']})", f_train, f_test, (mse, seconds)))
        # The encoder's hidden features (the BiGAN paper's feature evaluations
        # read hidden layers as well as z), from the same (averaged) weights.
        hidden = keras.Model(encoder.inputs, encoder.get_layer(cfg["feature_layer"]).output)
        f_train, f_test = (with_averages(inference, features, hidden, x) for x in (x_train, x_test))
        rows.append(
            (
                f"{name}: encoder layer `{cfg['feature_layer']}` ({f_train.shape[1]})",
                f_train,
                f_test,
                None,
            )
        )
        figure_rows[name] = rec[:10]
        print(f"  fmnist {name}: MSE {mse:.4f}, {seconds:.0f} s", file=sys.stderr, flush=True)
    budget = f"{n_iter:,} simultaneous updates per GAN"
    lines = header(args, [seed], start, load, budget, parallel=False) + [
        f"**Fashion-MNIST** (first {cfg['n_train']:,} train / {cfg['n_test']:,} test images, "
        "[-1, 1]): a convolutional BiGAN — encoder conv "
        f"{cfg['filters']}-{2 * cfg['filters']} (4×4, stride 2, LeakyReLU) to z ∈ R^{cfg['z_dim']}, "
        "decoder dense 7·7·64 then two transposed convs (tanh), ALI's joint critic (conv path "
        "for x, 256-unit path for z, joint layer) — and ALICE (explicit, λ = 1 per pixel: "
        f"`cycle_weight={cfg['cycle_weight']:g}/784` on the summed squared error); batch "
        f"{cfg['batch']}, Adam({cfg['lr']:g}, β1 {cfg['beta_1']}), {n_iter:,} updates, "
        + (
            f"encoder and decoder EMA {cfg['ema']:g} with warm-up (features from the averages), "
            if cfg["ema"]
            else ""
        )
        + f"seed {seed}. "
        "Features: raw pixels, the encoder's output before training (same initial weights, seed "
        "as the trained ones), after BiGAN and after ALICE; for each encoder both z = E(x) and "
        f"the hidden layer `{cfg['feature_layer']}` (a LeakyReLU output of the encoder's convs, "
        "flattened; not z). 1-NN: Euclidean, test against the "
        f"whole train split; linear probe: softmax regression on standardised features, Adam, "
        f"{cfg['probe_epochs']} epochs. Reconstruction MSE per pixel of `reconstruct(x)` on the "
        "test images ([-1, 1] scale).",
        "",
        "| features | 1-NN accuracy | linear probe accuracy | reconstruction MSE | training (s) |",
        "|---|---|---|---|---|",
    ]
    acc = {}
    for name, f_train, f_test, extra in rows:
        nn = one_nn_accuracy(flat(f_train), y_train, flat(f_test), y_test)
        probe = linear_probe(
            flat(f_train), y_train, flat(f_test), y_test, cfg["probe_epochs"], seed
        )
        acc[name] = nn
        mse, secs = extra if extra else ("-", "-")
        mse = f"{mse:.4f}" if extra else "-"
        secs = f"{extra[1]:.0f}" if extra else "-"
        lines.append(f"| {name} | {100 * nn:.2f}% | {100 * probe:.2f}% | {mse} | {secs} |")
    raw = acc[rows[0][0]]
    goal = f"Goal (issue 29): encoder features' 1-NN accuracy ≥ raw pixels' ({100 * raw:.2f}%):"
    for kind, rows_of in (("z", "z = E(x)"), ("hidden layer", "encoder layer")):
        trained = [n for n in acc if rows_of in n and not n.startswith("untrained")]
        best = max(trained, key=acc.get)
        goal += (
            f" {kind}: "
            + ("**met**" if acc[best] >= raw else "**missed**")
            + f" (best {best}, {100 * acc[best]:.2f}%);"
        )
    untrained = ", ".join(f"{100 * v:.2f}%" for n, v in acc.items() if n.startswith("untrained"))
    lines += ["", goal + f" the untrained encoder's rows: {untrained}.", ""]
    if not args.quick:
        plot_reconstructions(x_test[:10], figure_rows)
        lines += [
            "Figure: [fmnist_reconstructions.png](figures/fmnist_reconstructions.png) "
            "(top: test images; below: `reconstruct(x)` of each model).",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def plot_reconstructions(originals, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = [("test images", originals)] + list(rows.items())
    fig, axes = plt.subplots(len(grid), len(originals), figsize=(len(originals), 1.1 * len(grid)))
    for r, (name, images) in enumerate(grid):
        for c, image in enumerate(images):
            ax = axes[r, c]
            ax.imshow(image[..., 0], cmap="gray", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=6)
    fig.tight_layout()
    os.makedirs(FIGURES, exist_ok=True)
    fig.savefig(os.path.join(FIGURES, "fmnist_reconstructions.png"), dpi=70)
    plt.close(fig)


# -- Main ------------------------------------------------------------------------


def part_markers(part):
    return _results.markers(f"{SECTION}-{part}")


def write_results(parts, path=None):
    """Rewrites the parts (`{part: text}`) of RESULTS.md's inference-quality
    section, leaving the other parts and everything outside alone."""

    def rewrite(section):
        if not section.startswith(HEADING):
            section = HEADING + "\n" + section
        for p in PARTS:
            if part_markers(p)[0] not in section:
                section += (
                    f"\n{part_markers(p)[0]}\n_{p}: not measured yet._\n{part_markers(p)[1]}\n"
                )
        for part, body in parts.items():
            section = _results.replace_between(section, part_markers(part), body)
        return section

    _results.write_section(_results.markers(SECTION), rewrite, path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run; prints only")
    parser.add_argument("--seeds", type=int, default=None, help="seeds (default 5; quick 1)")
    parser.add_argument("--n-iter", type=int, default=None, help="override every part's budget")
    parser.add_argument("--jobs", type=int, default=None, help="parallel runs (default 2)")
    parser.add_argument("--only", default=",".join(PARTS), help="subset of " + ",".join(PARTS))
    args = parser.parse_args(argv)
    args.command = _results.command(__file__, argv)
    parts_run = [p.strip() for p in args.only.split(",") if p.strip()]
    if set(parts_run) - set(PARTS) or not parts_run:
        parser.error(f"--only: choose from {', '.join(PARTS)}")
    seeds = list(range(args.seeds or (1 if args.quick else 5)))
    if args.jobs is None:
        args.jobs = 1 if args.quick else 2
    parts = {}
    if "toy" in parts_run:
        parts["toy"] = toy_part(args, seeds)
    for task in ("grid", "ring"):
        if task in parts_run:
            parts[task] = toy_set_part(args, task, seeds)
    if "fmnist" in parts_run:
        parts["fmnist"] = fmnist_part(args, seeds)
    print("\n".join(parts[p] for p in PARTS if p in parts))
    if not args.quick:
        write_results(parts)
        print(f"wrote {os.path.relpath(_results.RESULTS)} ({', '.join(parts)})", file=sys.stderr)


if __name__ == "__main__":
    main()
