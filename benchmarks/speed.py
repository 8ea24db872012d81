"""Speed of one adversarial training step: adinfer against the alternatives.

    python benchmarks/speed.py            # full benchmark (several minutes), prints the table
    python benchmarks/speed.py --write    # ... and rewrites the speed section of RESULTS.md
    python benchmarks/speed.py --quick    # smoke run (< 60 s), figures not meaningful

Contenders, each training its own copy of the same networks (same layers, same
initial weights in TF) with the same objective and optimizers:

  (a) hand-tf.function   a hand-written `tf.function` train step, one call per step
  (b) hand-loop          a hand-written in-graph loop, 100 steps per compiled call
  (c) adinfer.update     `inference.update()` once per step (returns Python numbers)
  (d) adinfer.run        `inference.run(n_iter=N)` (fused steps, progress every n_print)
  (e) keras.fit          `Model.fit` with a custom `train_step` (the keras.io DCGAN pattern)
  (f) torch-eager        the same model in PyTorch eager, when `torch` is installed
                         (`pip install -e ".[bench]"`)
  (a/b/c/d)+xla          the same with `jit_compile=True`

Objective (Edward's GANInference / BiGANInference): sigmoid cross-entropy for the
discriminator, the non-saturating loss for the generator, both groups updated
simultaneously from one forward pass; Adam(2e-4, beta_1=0.5) for each group.

Data: every contender reads real batches from the same in-memory NumPy array,
shuffled each epoch: the TF contenders through the pipeline adinfer builds for an
array with `batch_size` (`from_tensor_slices -> shuffle -> repeat -> batch ->
prefetch`), its iterator read inside the compiled function; PyTorch slices a
tensor with a fresh `randperm` per epoch. Noise is drawn inside each step.

Timing: warm-up (tracing, first steps) excluded; each repeat times N steps of
every contender, the order rotated between repeats; per-step time is the median
over repeats, and each ratio the median of the ratios within a repeat (so that
load from other processes on the machine cancels as far as possible).

Memory: peak resident memory (ru_maxrss) of a fresh process doing
`run(n_iter=1000)` and of one doing `run(n_iter=10000)`.
"""

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import adinfer  # noqa: E402

try:
    import torch
except ImportError:  # the optional extra "bench"
    torch = None

LOOP = 100  # steps per compiled call of the hand-written loop (b)
LR, BETA_1 = 2e-4, 0.5
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


# -- Models ------------------------------------------------------------------


def mlp(sizes, name):
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, "relu") for n in sizes[1:-1]]
    layers += [keras.layers.Dense(sizes[-1])]
    return keras.Sequential(layers, name=name)


class JointD(keras.Model):
    """BiGAN discriminator D(x, z) on the concatenated pair."""

    def __init__(self, x_dim, z_dim):
        super().__init__()
        self.net = mlp([x_dim + z_dim, 128, 128, 1], "joint")

    def call(self, x, z):
        return self.net(tf.concat([x, z], -1))


def dcgan_nets(z_dim):
    lrelu = lambda: keras.layers.LeakyReLU(0.2)
    gen = keras.Sequential(
        [
            keras.Input((z_dim,)),
            keras.layers.Dense(7 * 7 * 64),
            lrelu(),
            keras.layers.Reshape((7, 7, 64)),
            keras.layers.Conv2DTranspose(64, 4, 2, "same"),
            lrelu(),  # 14x14x64
            keras.layers.Conv2DTranspose(32, 4, 2, "same"),
            lrelu(),  # 28x28x32
            keras.layers.Conv2D(1, 5, padding="same", activation="tanh"),  # 28x28x1
        ],
        name="generator",
    )
    disc = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 4, 2, "same"),
            lrelu(),  # 14x14x32
            keras.layers.Conv2D(64, 4, 2, "same"),
            lrelu(),  # 7x7x64
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )
    return gen, disc


def torch_dcgan(z_dim):
    nn = torch.nn
    gen = nn.Sequential(
        nn.Linear(z_dim, 7 * 7 * 64),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 32, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(32, 1, 5, padding=2),
        nn.Tanh(),
    )
    disc = nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 1),
    )
    return gen, disc


def TorchJointD(x_dim, z_dim):
    class Joint(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch_mlp([x_dim + z_dim, 128, 128, 1])

        def forward(self, x, z):
            return self.net(torch.cat([x, z], 1))

    return Joint()


def torch_mlp(sizes):
    nn = torch.nn
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class Model:
    """One benchmark model: data, networks (TF and torch) and the objective."""

    def __init__(self, name, kind, batch, data, z_dim, steps):
        self.name, self.kind, self.batch, self.data, self.z_dim = name, kind, batch, data, z_dim
        self.steps = steps  # steps per timed measurement (a multiple of LOOP)

    def nets(self):
        """Fresh TF networks, the same initial weights every time."""
        keras.utils.set_random_seed(0)
        if self.kind == "dcgan":
            return dcgan_nets(self.z_dim)
        x_dim = self.data.shape[1]
        if self.kind == "gan":
            return (
                mlp([self.z_dim, 128, 128, x_dim], "generator"),
                mlp([x_dim, 128, 128, 1], "discriminator"),
            )
        # BiGAN: Gen = (decoder, encoder), Disc = D(x, z)
        return (
            (
                mlp([self.z_dim, 128, 128, x_dim], "decoder"),
                mlp([x_dim, 128, 128, self.z_dim], "encoder"),
            ),
            JointD(x_dim, self.z_dim),
        )

    def torch_nets(self):
        torch.manual_seed(0)
        if self.kind == "dcgan":
            return torch_dcgan(self.z_dim)
        x_dim = self.data.shape[1]
        if self.kind == "gan":
            return torch_mlp([self.z_dim, 128, 128, x_dim]), torch_mlp([x_dim, 128, 128, 1])
        return (
            (torch_mlp([self.z_dim, 128, 128, x_dim]), torch_mlp([x_dim, 128, 128, self.z_dim])),
            TorchJointD(x_dim, self.z_dim),
        )

    def prior(self, n):
        return tf.random.normal([n, self.z_dim])


def ring(n, seed=0):
    """The 8-Gaussian ring, n points."""
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, n) * (2 * np.pi / 8)
    centers = np.stack([np.cos(angles), np.sin(angles)], 1) * 2.0
    return (centers + 0.02 * rng.normal(size=(n, 2))).astype(np.float32)


def images(n, seed=0):
    """Synthetic 28x28 images in [-1, 1]: a bright blob on a dark background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    cy, cx = rng.uniform(8, 20, (2, n, 1, 1))
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
    return (2 * blob - 1)[..., None].astype(np.float32)


def models():
    return [  # steps per measurement: multiples of LOOP
        Model("MLP GAN, batch 64", "gan", 64, ring(10_000), 2, 1000),
        Model("MLP GAN, batch 512", "gan", 512, ring(10_000), 2, 300),
        Model("DCGAN 28x28, batch 64", "dcgan", 64, images(2_000), 64, 100),
        Model("MLP BiGAN, batch 64", "bigan", 64, ring(10_000), 2, 1000),
    ]


# -- The objective, written by hand (contenders a, b, e) ----------------------


def ce(label, logits):
    return tf.nn.sigmoid_cross_entropy_with_logits(tf.fill(tf.shape(logits), label), logits)


def hand_losses(model, gen, disc, x):
    """(loss, loss_d, Gen variables, Disc variables), Edward's objective."""
    z = model.prior(model.batch)
    if model.kind == "bigan":
        decoder, encoder = gen
        x_fake, z_fake = decoder(z), encoder(x)
        d_true, d_fake = disc(x_fake, z), disc(x, z_fake)
        loss_d = tf.reduce_mean(ce(1.0, d_true)) + tf.reduce_mean(ce(0.0, d_fake))
        loss = tf.reduce_mean(ce(0.0, d_true)) + tf.reduce_mean(ce(1.0, d_fake))
        gen_vars = decoder.trainable_variables + encoder.trainable_variables
    else:
        d_true, d_fake = disc(x), disc(gen(z))
        loss_d = tf.reduce_mean(ce(1.0, d_true)) + tf.reduce_mean(ce(0.0, d_fake))
        loss = tf.reduce_mean(ce(1.0, d_fake))
        gen_vars = gen.trainable_variables
    return loss, loss_d, gen_vars, disc.trainable_variables


def hand_update(model, gen, disc, opts, x):
    with tf.GradientTape() as tape, tf.GradientTape() as tape_d:
        loss, loss_d, gen_vars, disc_vars = hand_losses(model, gen, disc, x)
    grads, grads_d = tape.gradient(loss, gen_vars), tape_d.gradient(loss_d, disc_vars)
    opts[0].apply_gradients(zip(grads, gen_vars))
    opts[1].apply_gradients(zip(grads_d, disc_vars))
    return loss, loss_d


def optimizers():
    return keras.optimizers.Adam(LR, beta_1=BETA_1), keras.optimizers.Adam(LR, beta_1=BETA_1)


def pipeline(model):
    """The pipeline adinfer builds for an array bound with `batch_size`."""
    ds = tf.data.Dataset.from_tensor_slices(model.data)
    ds = ds.shuffle(len(model.data), seed=0, reshuffle_each_iteration=True).repeat()
    return ds.batch(model.batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


# -- Contenders: each returns `train(n)`, doing n steps ------------------------


def hand_step(model, jit=False):
    gen, disc = model.nets()
    opts = optimizers()
    iterator = iter(pipeline(model))

    update = lambda x: hand_update(model, gen, disc, opts, x)
    if jit:  # XLA cannot hold the iterator op: read it outside the compiled update
        update = tf.function(update, jit_compile=True)
    step = tf.function(lambda: update(next(iterator)))

    def train(n):
        for _ in range(n):
            step()

    return train


def hand_loop(model, jit=False):
    gen, disc = model.nets()
    opts = optimizers()
    iterator = iter(pipeline(model))
    update = lambda x: hand_update(model, gen, disc, opts, x)
    if jit:
        update = tf.function(update, jit_compile=True)

    @tf.function
    def loop():
        for _ in tf.range(LOOP):
            loss, loss_d = update(next(iterator))
        return loss, loss_d

    def train(n):
        for _ in range(n // LOOP):
            loop()

    return train


def adinfer_inference(model):
    gen, disc = model.nets()
    if model.kind == "bigan":
        decoder, encoder = gen
        return adinfer.BiGANInference(
            {model.prior: encoder}, {decoder: model.data}, disc, batch_size=model.batch, seed=0
        )
    fake = lambda n: gen(model.prior(n))
    return adinfer.GANInference({fake: model.data}, disc, batch_size=model.batch, seed=0)


def adinfer_update(model, jit=False):
    inference = adinfer_inference(model)
    opt, opt_d = optimizers()
    inference.initialize(optimizer=opt, optimizer_d=opt_d, jit_compile=jit)

    def train(n):
        for _ in range(n):
            inference.update()

    return train


def adinfer_run(model, jit=False):
    inference = adinfer_inference(model)
    opt, opt_d = optimizers()

    def train(n):
        with open(os.devnull, "w") as devnull, _stdout_to(devnull):
            inference.run(n_iter=n, optimizer=opt, optimizer_d=opt_d, jit_compile=jit)

    return train


class _stdout_to:
    """The progress bar of `run` goes to a file instead of the terminal."""

    def __init__(self, f):
        self.f = f

    def __enter__(self):
        self.saved, sys.stdout = sys.stdout, self.f

    def __exit__(self, *exc):
        sys.stdout = self.saved


def keras_fit(model):
    gen, disc = model.nets()

    class GAN(keras.Model):  # keras.io "DCGAN to generate face images", one forward pass
        def __init__(self):
            super().__init__()
            self.gen, self.disc = gen, disc
            self.loss_tracker = keras.metrics.Mean(name="g_loss")
            self.loss_d_tracker = keras.metrics.Mean(name="d_loss")

        def compile(self, opts):
            super().compile(jit_compile=False)
            self.opts = opts

        @property
        def metrics(self):
            return [self.loss_tracker, self.loss_d_tracker]

        def train_step(self, x):
            loss, loss_d = hand_update(model, self.gen, self.disc, self.opts, x)
            self.loss_tracker.update_state(loss)
            self.loss_d_tracker.update_state(loss_d)
            return {"g_loss": self.loss_tracker.result(), "d_loss": self.loss_d_tracker.result()}

    gan = GAN()
    gan.compile(optimizers())
    dataset = pipeline(model)

    def train(n):
        gan.fit(dataset, epochs=1, steps_per_epoch=n, verbose=0, shuffle=False)

    return train


def torch_eager(model):
    gen, disc = model.torch_nets()
    if model.kind == "bigan":
        decoder, encoder = gen
        gen_params = list(decoder.parameters()) + list(encoder.parameters())
    else:
        gen_params = list(gen.parameters())
    disc_params = list(disc.parameters())
    opt = torch.optim.Adam(gen_params, LR, betas=(BETA_1, 0.999))
    opt_d = torch.optim.Adam(disc_params, LR, betas=(BETA_1, 0.999))
    data = torch.from_numpy(
        model.data if model.kind != "dcgan" else model.data.transpose(0, 3, 1, 2).copy()
    )
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    state = {"perm": torch.randperm(len(data)), "i": 0}

    def next_batch():
        if state["i"] + model.batch > len(data):
            state["perm"], state["i"] = torch.randperm(len(data)), 0
        idx = state["perm"][state["i"] : state["i"] + model.batch]
        state["i"] += model.batch
        return data[idx]

    def step():
        x = next_batch()
        z = torch.randn(model.batch, model.z_dim)
        if model.kind == "bigan":
            x_fake, z_fake = decoder(z), encoder(x)
            d_true, d_fake = disc(x_fake, z), disc(x, z_fake)
            loss_d = bce(d_true, torch.ones_like(d_true)) + bce(d_fake, torch.zeros_like(d_fake))
            loss = bce(d_true, torch.zeros_like(d_true)) + bce(d_fake, torch.ones_like(d_fake))
        else:
            d_true, d_fake = disc(x), disc(gen(z))
            loss_d = bce(d_true, torch.ones_like(d_true)) + bce(d_fake, torch.zeros_like(d_fake))
            loss = bce(d_fake, torch.ones_like(d_fake))
        # Both groups from the same forward pass, before any parameter moves.
        grads = torch.autograd.grad(loss, gen_params, retain_graph=True)
        grads_d = torch.autograd.grad(loss_d, disc_params)
        for p, g in zip(gen_params, grads):
            p.grad = g
        for p, g in zip(disc_params, grads_d):
            p.grad = g
        opt.step()
        opt_d.step()

    def train(n):
        for _ in range(n):
            step()

    return train


# -- Measuring ------------------------------------------------------------------


def contenders(model, jit):
    found = [
        ("a", "hand tf.function", hand_step),
        ("b", f"hand loop x{LOOP}", hand_loop),
        ("c", "adinfer update()", adinfer_update),
        ("d", "adinfer run()", adinfer_run),
        ("e", "keras fit", keras_fit),
    ]
    if torch is not None:
        found.append(("f", "torch eager", torch_eager))
    if jit:
        for key, name, make in found[:4]:
            found.append((key + "+xla", name + " +XLA", lambda m, make=make: make(m, jit=True)))
    return found


def measure(model, repeats, jit, log):
    built = []
    for key, name, make in contenders(model, jit):
        train = make(model)
        start = time.perf_counter()
        train(model.steps)  # warm-up: tracing and first steps
        log(f"  built {key:6s} {name:22s} warm-up {time.perf_counter() - start:6.2f} s")
        built.append((key, name, train))
    times = {key: [] for key, _, _ in built}
    for r in range(repeats):
        shift = r % len(built)
        for key, _, train in built[shift:] + built[:shift]:
            start = time.perf_counter()
            train(model.steps)
            times[key].append((time.perf_counter() - start) / model.steps)
    return [(key, name, times[key]) for key, name, _ in built]


def ratio(times, key, ref):
    if key not in times or ref not in times:
        return None
    return statistics.median(a / b for a, b in zip(times[key], times[ref]))


# -- Memory -------------------------------------------------------------------


def memory_child(n_iter):
    """In a fresh process: run(n_iter) on the MLP GAN, report peak RSS (KiB)."""
    model = models()[0]
    inference = adinfer_inference(model)
    opt, opt_d = optimizers()
    with open(os.devnull, "w") as devnull, _stdout_to(devnull):
        inference.run(n_iter=n_iter, optimizer=opt, optimizer_d=opt_d)
    assert int(inference.t) == n_iter
    print(f"maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


def memory(n_iter):
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-child", str(n_iter)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(re.search(r"maxrss_kib=(\d+)", out).group(1))


# -- Report -------------------------------------------------------------------


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    line = (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )
    if torch is not None:
        line += f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
    return line


def ms(seconds):
    return f"{seconds * 1e3:.3f}"


def fmt(x):
    return "–" if x is None else f"{x:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, < 60 s")
    parser.add_argument(
        "--write", action="store_true", help="rewrite the speed section of RESULTS.md"
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--models", default=None, help="comma-separated indices of models to run")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        return memory_child(args.memory_child)

    t0 = time.perf_counter()
    log = lambda s: print(s, file=sys.stderr, flush=True)
    chosen = models()
    if args.models:
        chosen = [chosen[int(i)] for i in args.models.split(",")]
    if args.quick:
        chosen = [chosen[0]]
        for m in chosen:
            m.steps = 100
    rows = []
    for model in chosen:
        # The DCGAN's steps take ~100 ms each: fewer repeats keep the run near 10 minutes.
        repeats = args.repeats or (2 if args.quick else 3 if model.kind == "dcgan" else 7)
        log(f"{model.name}: {repeats} repeats of {model.steps} steps")
        jit = not args.quick and model.name in ("MLP GAN, batch 64", "DCGAN 28x28, batch 64")
        rows.append((model, measure(model, repeats, jit, log)))
    mem = [(n, memory(n)) for n in ((100, 1000) if args.quick else (1000, 10_000))]

    command = "python benchmarks/speed.py" + (" --quick" if args.quick else "") + " --write"
    lines = [
        f"Machine: {machine()}.",
        "",
        f"Command: `{command}` "
        f"({time.perf_counter() - t0:.0f} s). Per-step times in ms, median of the repeats; "
        "ratios are medians of within-repeat ratios.",
        "",
    ]
    for model, results in rows:
        times = {key: t for key, _, t in results}
        lines += [
            f"**{model.name}** ({model.steps} steps per measurement, {len(results[0][2])} repeats)",
            "",
            "| contender | ms/step | × (a) | × (b) |",
            "|---|---:|---:|---:|",
        ]
        for key, name, t in results:
            lines.append(
                f"| ({key}) {name} | {ms(statistics.median(t))} | "
                f"{fmt(ratio(times, key, 'a'))} | {fmt(ratio(times, key, 'b'))} |"
            )
        lines.append("")
    (n1, m1), (n2, m2) = mem
    growth = m2 / m1 - 1
    lines += [
        f"Peak resident memory of a fresh process doing `run()` on the MLP GAN (batch 64): "
        f"{m1 / 1024:.1f} MiB at {n1} steps, {m2 / 1024:.1f} MiB at {n2} steps "
        f"(growth {growth * 100:+.1f}%).",
        "",
    ]
    print("\n".join(lines))

    print("Ratios:")
    for model, results in rows:
        times = {key: t for key, _, t in results}
        for key, ref, what in (
            ("c", "a", "update()/(a)"),
            ("d", "b", "run()/(b)"),
            ("d", "e", "run()/keras fit"),
            ("f", "d", "torch/run()"),
            ("c+xla", "a+xla", "update()+XLA/(a)+XLA"),
            ("d+xla", "b+xla", "run()+XLA/(b)+XLA"),
        ):
            r = ratio(times, key, ref)
            if r is not None:
                print(f"ratio {model.name} {what} = {r:.2f}")
    print(f"ratio memory {n2}/{n1} steps = {m2 / m1:.3f}")

    if args.write:
        with open(RESULTS) as f:
            text = f.read()
        section = "<!-- speed:start -->\n" + "\n".join(lines).rstrip() + "\n<!-- speed:end -->"
        text = re.sub(
            r"<!-- speed:start -->.*?<!-- speed:end -->", lambda _: section, text, flags=re.S
        )
        with open(RESULTS, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
