"""Speed and memory of adversarial training: adinfer against the same work written by hand.

    python benchmarks/speed.py          # full benchmark (~12 min on 2 CPU cores): the tables
    python benchmarks/speed.py --write  # ... and rewrites the speed section of RESULTS.md
    python benchmarks/speed.py --device-report [--write]  # the GPU-relevant rows only
                                        # (DCGAN: float32, XLA, mixed precision)
    python benchmarks/speed.py --quick  # smoke run: every code path at a tiny budget
                                        # (~1 min on 2 cores), figures not meaningful

The model of the main tables is the 2-D MLP GAN (generator 2-128-128-2, discriminator
2-128-128-1, ReLU) on the 8-Gaussian ring (10,000 points), batch 64, Adam(2e-4, beta_1=0.5)
for each group. Objective (Edward's GANInference): sigmoid cross-entropy for the
discriminator, the non-saturating loss for the generator; `n_critic=None` updates both
groups simultaneously from one forward pass, `n_critic=5` makes each iteration 5
discriminator updates and 1 generator update, each on its own batch. Every contender
trains its own copy of the same networks (same layers, same initial weights in TF) with
the same objective and optimizers.

Contenders (the key in brackets names a row):

  (a) hand step      a hand-written `tf.function` train step (with an input signature),
                     called once per step with a NumPy batch; returns the two losses,
                     read back as Python floats
  (c) update()       `inference.update(feed_dict={x_ph: batch})`, the data bound to an
                     `adinfer.placeholder`, fed the same NumPy batches as (a); returns
                     Python numbers
  (b) hand loop      a hand-written in-graph loop: a `tf.function` holding a
                     `tf.while_loop` (`for _ in tf.range(k)`) of iterations, each reading
                     its batch from the same `tf.data` pipeline as (d) inside the compiled
                     function; one compiled call per 100 iterations, after which it reads
                     the last losses back as Python floats (its progress print). With
                     `n_critic=5`, each iteration is 5 discriminator steps + 1 generator
                     step, as in adinfer
  (d) run()          `inference.run(n_iter=N)` with its default progress
                     (`n_print = N // 100`, the bar written to /dev/null)
  (b+check)          (b) with adinfer's per-step safety gate written by hand: objectives
                     and gradients checked finite, the update applied under `tf.cond`
  (b+objcheck)       (b) with the update gated on the objectives alone
  (b+sum)            (b) ungated, with adinfer's finiteness term (objectives and gradient
                     sums) added up over each compiled call and read back with the losses:
                     the floor of a gate checked once per call
  (a+check)          (a) with adinfer's gate
  (c1), (c0), (a0)   the parts of a step that bound `update()`: its compiled step called
                     directly, the check it makes of a fed batch, an empty compiled call
  (e) keras fit      `Model.fit` with a custom `train_step` (the keras.io DCGAN pattern)
  (f) torch eager    the same model in PyTorch eager with its default threads (the MLP
                     GAN, and the DCGAN in the scale rows: the same layers, channels first)
  (f1)               ... pinned to 1 thread
  (g) torch.compile  (f) with the forward pass and the optimizer steps under `torch.compile`
  +xla               `jit_compile=True` (hand: the step compiled with XLA; the pipeline
                     read outside it, as adinfer does)
  +bf16, +f16        under the Keras dtype policy "mixed_bfloat16" / "mixed_float16"
                     (float32 objectives; float16 with Keras's LossScaleOptimizer)

Data: arrays shuffled every epoch. The pipeline of (b), (d), (e) is the one adinfer builds
for an array with `batch_size` (`from_tensor_slices -> shuffle -> repeat -> batch ->
prefetch`); (a) and (c) get the same list of NumPy batches, drawn from the same array;
PyTorch slices a tensor with a fresh `randperm` per epoch. Noise is drawn inside each step.

Timing: warm-up (tracing, compilation, first steps) excluded; each repeat times every
contender of a table once, the order rotated between repeats; per-step times are medians
over repeats, and each ratio the median of the ratios within a repeat, so that load from
other processes cancels as far as possible. (a+check), (c1), (c0) and (a0) split the
cost of `update()`: the gate in the graph, its Python, the floor of any per-step call.
Tables: (a)-(c) on the MLP GAN, 1,000 steps, 7 repeats; (b)/(d) at n_iter 2,000 and
20,000, n_critic None and 5 (7, 3, 5 and 2 repeats); the variants and other frameworks
at n_iter 2,000 (PyTorch and Keras: 500 steps), 5 repeats; scale rows 3 repeats of
about 1.5 s.

Scale: the MLP GAN at batch 64 -> 4,096 and width 128 -> 1,024, and a DCGAN (28x28) at
batch 64 and 256, each as adinfer / hand-written ratios: (c)/(a) and (d)/(b); for the
DCGAN also PyTorch eager (f) and torch.compile (g) against run().

Memory: peak resident memory (VmHWM: `ru_maxrss` would carry the peak of the forked
parent across exec) of a fresh process running `run()` against a fresh process running
the hand loop (b) on the same model, which never imports adinfer, for every scale row;
for the MLP GAN at batch 64 both after 1,000 and after 10,000 iterations.
"""

import argparse
import contextlib
import importlib
import importlib.util
import os
import re
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # _results, and adinfer from this checkout

import _results  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # each contender traces its own functions, once

LOOP = 100  # iterations per compiled call of the hand-written loop (b)
LR, BETA_1 = 2e-4, 0.5
GROUPS = ("Gen", "Disc")
TARGET = 1.05  # adinfer / hand-written
TORCH_TARGET = 4.0  # PyTorch eager / adinfer
MEMORY_TARGET = 1.10  # adinfer / hand-written peak memory


def adinfer():
    """adinfer, imported on first use: the hand-written memory child never imports it."""
    return importlib.import_module("adinfer")


def torch():
    """PyTorch (the optional extra "bench"), or None when it is not installed."""
    if importlib.util.find_spec("torch") is None:
        return None
    return importlib.import_module("torch")


# -- Models ------------------------------------------------------------------


def mlp(sizes, name):
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, "relu") for n in sizes[1:-1]]
    layers += [keras.layers.Dense(sizes[-1])]
    return keras.Sequential(layers, name=name)


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


def torch_mlp(sizes):
    nn = torch().nn
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def torch_dcgan_nets(z_dim):
    """`dcgan_nets` in PyTorch: the same layers and shapes, channels first
    (PyTorch's own initializers)."""
    nn = torch().nn
    lrelu = lambda: nn.LeakyReLU(0.2)
    gen = nn.Sequential(
        nn.Linear(z_dim, 7 * 7 * 64),
        lrelu(),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 64, 4, 2, 1),  # 14x14, as Keras's "same"
        lrelu(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1),  # 28x28
        lrelu(),
        nn.Conv2d(32, 1, 5, padding=2),
        nn.Tanh(),
    )
    disc = nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1),  # 14x14
        lrelu(),
        nn.Conv2d(32, 64, 4, 2, 1),  # 7x7
        lrelu(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 1),
    )
    return gen, disc


class Model:
    """One benchmark model: its data, its networks (TF, and torch for the MLP)."""

    def __init__(self, kind, batch, width=128):
        self.kind, self.batch, self.width = kind, batch, width
        if kind == "dcgan":
            self.name = f"DCGAN 28x28, batch {batch}"
            self.data, self.z_dim = images(2_000), 64
        else:
            self.name = f"MLP GAN 2-{width}-{width}, batch {batch}"
            self.data, self.z_dim = ring(10_000), 2

    def nets(self):
        """Fresh TF networks, the same initial weights every time."""
        keras.utils.set_random_seed(0)
        if self.kind == "dcgan":
            return dcgan_nets(self.z_dim)
        x_dim, w = self.data.shape[1], self.width
        return mlp([self.z_dim, w, w, x_dim], "generator"), mlp([x_dim, w, w, 1], "discriminator")

    def torch_nets(self):
        torch().manual_seed(0)
        if self.kind == "dcgan":
            return torch_dcgan_nets(self.z_dim)
        x_dim, w = self.data.shape[1], self.width
        return torch_mlp([self.z_dim, w, w, x_dim]), torch_mlp([x_dim, w, w, 1])

    def torch_data(self):
        """The same data as a torch tensor, images channels-first (NCHW)."""
        data = torch().from_numpy(self.data)
        return data.permute(0, 3, 1, 2).contiguous() if self.kind == "dcgan" else data

    def prior(self, n):
        return tf.random.normal([n, self.z_dim])

    def batches(self, n, seed=1):
        """n NumPy batches drawn from the array, reshuffled every epoch: what (a) and (c) get."""
        rng = np.random.default_rng(seed)
        per_epoch = len(self.data) // self.batch
        order = np.concatenate([rng.permutation(len(self.data)) for _ in range(-(-n // per_epoch))])
        return [self.data[order[i * self.batch : (i + 1) * self.batch]] for i in range(n)]


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


BASE = ("gan", 64, 128)
SCALE = [BASE, ("gan", 512, 128), ("gan", 4096, 128), ("gan", 64, 512), ("gan", 64, 1024)]
SCALE += [("dcgan", 64, None), ("dcgan", 256, None)]


def model_of(config):
    kind, batch, width = config
    return Model(kind, batch, width or 128)


@contextlib.contextmanager
def dtype_policy(policy):
    """The Keras dtype policy `policy` (None: leave it) while the block runs."""
    before = keras.mixed_precision.global_policy().name
    if policy is not None:
        keras.mixed_precision.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(before)


@contextlib.contextmanager
def quiet():
    """The progress bar of `run` goes to /dev/null instead of the terminal."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


# -- The objective and the updates, written by hand ---------------------------


def ce(label, logits):
    return tf.nn.sigmoid_cross_entropy_with_logits(tf.fill(tf.shape(logits), label), logits)


def hand_losses(model, gen, disc, x):
    """(loss, loss_d): Edward's objective, in float32 under a mixed policy."""
    z = model.prior(model.batch)
    d_true = tf.cast(disc(x), tf.float32)
    d_fake = tf.cast(disc(gen(z)), tf.float32)
    loss_d = tf.reduce_mean(ce(1.0, d_true)) + tf.reduce_mean(ce(0.0, d_fake))
    loss = tf.reduce_mean(ce(1.0, d_fake))
    return loss, loss_d


def all_finite(values):
    """adinfer's finiteness check: one sum per tensor, all added, is finite."""
    return tf.math.is_finite(tf.add_n([tf.reduce_sum(v) for v in values]))


def hand_update(model, gen, disc, opts, x, groups=GROUPS, check=False):
    """One update of `groups` from one forward pass; returns (loss, loss_d)."""
    with tf.GradientTape() as tape, tf.GradientTape() as tape_d:
        loss, loss_d = hand_losses(model, gen, disc, x)
        scaled = [
            opt.scale_loss(obj) if isinstance(opt, keras.optimizers.LossScaleOptimizer) else obj
            for opt, obj in zip(opts, (loss, loss_d))
        ]
    todo = []
    if "Gen" in groups:
        todo.append((opts[0], tape.gradient(scaled[0], gen.trainable_variables), gen))
    if "Disc" in groups:
        todo.append((opts[1], tape_d.gradient(scaled[1], disc.trainable_variables), disc))

    def apply():
        for opt, grads, net in todo:
            opt.apply_gradients(zip(grads, net.trainable_variables))
        return tf.constant(0)

    if check in ("all", "objectives"):  # adinfer's gate; gated on the objectives alone
        values = [loss, loss_d]
        if check == "all":
            values += [g for _, grads, _ in todo for g in grads]
        tf.cond(all_finite(values), apply, lambda: tf.constant(0))
    else:
        apply()
    if check == "sum":  # ungated; the same finiteness term, summed for the caller
        terms = [loss, loss_d] + [g for _, grads, _ in todo for g in grads]
        return loss, loss_d, tf.add_n([tf.reduce_sum(v) for v in terms])
    return loss, loss_d


def optimizers():
    opts = keras.optimizers.Adam(LR, beta_1=BETA_1), keras.optimizers.Adam(LR, beta_1=BETA_1)
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        opts = tuple(keras.optimizers.LossScaleOptimizer(opt) for opt in opts)
    return opts


def pipeline(model):
    """The pipeline adinfer builds for an array bound with `batch_size`."""
    ds = tf.data.Dataset.from_tensor_slices(model.data)
    ds = ds.shuffle(len(model.data), seed=0, reshuffle_each_iteration=True).repeat()
    return ds.batch(model.batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def batch_spec(model):
    return tf.TensorSpec([None, *model.data.shape[1:]], tf.float32)


# -- Contenders: each make(...) returns `train(n)`, doing n steps or iterations -----


def hand_step(model, batches, jit=False, check=False):
    """(a): one compiled call per step, fed a NumPy batch, losses read back as floats."""
    gen, disc = model.nets()
    opts = optimizers()
    step = tf.function(
        lambda x: hand_update(model, gen, disc, opts, x, check=check),
        input_signature=[batch_spec(model)],
        jit_compile=jit,
    )

    def train(n):
        for x in batches[:n]:
            loss, loss_d = step(x)
            float(loss), float(loss_d)

    return train


def empty_call(model, batches):
    """(a0): an empty compiled call fed the same batch, its result read back."""
    fn = tf.function(lambda x: x[0, 0], input_signature=[batch_spec(model)])

    def train(n):
        for x in batches[:n]:
            float(fn(x))

    return train


def placeholder_inference(model):
    gen, disc = model.nets()
    x_ph = adinfer().placeholder([None, *model.data.shape[1:]])
    fake = lambda n: gen(model.prior(n))
    return adinfer().GANInference({fake: x_ph}, disc), x_ph


def adinfer_update(model, batches, jit=False):
    """(c): `update(feed_dict=...)` once per step, fed the batches of (a)."""
    inference, x_ph = placeholder_inference(model)
    opt, opt_d = optimizers()
    inference.initialize(optimizer=opt, optimizer_d=opt_d, jit_compile=jit)

    def train(n):
        for x in batches[:n]:
            inference.update(feed_dict={x_ph: x})

    return train


def compiled_update(model, batches):
    """(c1): the compiled step of `update()` called directly, fed the NumPy batch,
    its result read back: update() without its Python.
    """
    inference, x_ph = placeholder_inference(model)
    opt, opt_d = optimizers()
    inference.initialize(optimizer=opt, optimizer_d=opt_d)
    inference.update(feed_dict={x_ph: batches[0]})  # compiles the step
    step = inference.train_function(variables=None)

    def train(n):
        for x in batches[:n]:
            step(x).numpy().tolist()

    return train


def batch_check(model, batches):
    """(c0): what `update()` does with a fed batch before its compiled call."""
    inference, x_ph = placeholder_inference(model)
    stream = inference.stream

    def train(n):
        for x in batches[:n]:
            stream.feed_args({x_ph: x})

    return train


def hand_loop(model, n_critic=None, jit=False, check=False, policy=None):
    """(b): a `tf.while_loop` over the pipeline, one compiled call per LOOP iterations."""
    with dtype_policy(policy):
        gen, disc = model.nets()
        opts = optimizers()
    iterator = iter(pipeline(model))

    def update(x, groups):
        return hand_update(model, gen, disc, opts, x, groups, check)

    if jit:  # XLA cannot hold the iterator op: read it outside the compiled update
        update = tf.function(update, jit_compile=True)

    def iteration(total):
        """One iteration; `total` sums the finiteness terms of (b+sum)."""
        if n_critic is None:
            out = update(next(iterator), GROUPS)
            return out[0], out[1], total + (out[2] if check == "sum" else 0.0)
        for _ in range(n_critic):
            out = update(next(iterator), ("Disc",))
            loss_d, total = out[1], total + (out[2] if check == "sum" else 0.0)
        out = update(next(iterator), ("Gen",))
        return out[0], loss_d, total + (out[2] if check == "sum" else 0.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def loop(k):
        loss, loss_d, total = tf.zeros([]), tf.zeros([]), tf.zeros([])
        for _ in tf.range(k):
            loss, loss_d, total = iteration(total)
        return loss, loss_d, tf.math.is_finite(total)

    def train(n):
        with dtype_policy(policy):
            for done in range(0, n, LOOP):
                loss, loss_d, finite = loop(tf.constant(min(LOOP, n - done)))
                float(loss), float(loss_d), bool(finite)

    return train


def adinfer_run(model, n_critic=None, jit=False, policy=None):
    """(d): `run(n_iter=n)` with its default progress."""
    with dtype_policy(policy):
        gen, disc = model.nets()
        fake = lambda n: gen(model.prior(n))
        inference = adinfer().GANInference({fake: model.data}, disc, batch_size=model.batch, seed=0)
        opt, opt_d = optimizers()

    def train(n):
        with dtype_policy(policy), quiet():
            inference.run(
                n_iter=n, n_critic=n_critic, optimizer=opt, optimizer_d=opt_d, jit_compile=jit
            )
        assert int(inference.t) == n * (1 if n_critic is None else n_critic + 1)

    return train


def keras_fit(model):
    """(e): `Model.fit` with a custom `train_step`."""
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


def torch_train(model, threads=None, compiled=False):
    """(f), (f1), (g): the model in PyTorch; `threads` pins the thread count."""
    th = torch()
    gen, disc = model.torch_nets()
    gen_params, disc_params = list(gen.parameters()), list(disc.parameters())
    opt = th.optim.Adam(gen_params, LR, betas=(BETA_1, 0.999))
    opt_d = th.optim.Adam(disc_params, LR, betas=(BETA_1, 0.999))
    data = model.torch_data()
    bce = th.nn.functional.binary_cross_entropy_with_logits
    state = {"perm": th.randperm(len(data)), "i": 0}

    def next_batch():
        if state["i"] + model.batch > len(data):
            state["perm"], state["i"] = th.randperm(len(data)), 0
        idx = state["perm"][state["i"] : state["i"] + model.batch]
        state["i"] += model.batch
        return data[idx]

    def losses(x, z):
        d_true, d_fake = disc(x), disc(gen(z))
        loss_d = bce(d_true, th.ones_like(d_true)) + bce(d_fake, th.zeros_like(d_fake))
        loss = bce(d_fake, th.ones_like(d_fake))
        return loss, loss_d

    def optimize():
        opt.step()
        opt_d.step()

    if compiled:
        # The two groups' gradients come from one forward pass (retain_graph),
        # which compiled backward functions with donated buffers refuse.
        th._functorch.config.donated_buffer = False
        losses, optimize = th.compile(losses), th.compile(optimize)

    def step():
        loss, loss_d = losses(next_batch(), th.randn(model.batch, model.z_dim))
        # Both groups from the same forward pass, before any parameter moves.
        grads = th.autograd.grad(loss, gen_params, retain_graph=True)
        grads_d = th.autograd.grad(loss_d, disc_params)
        for p, g in zip(gen_params + disc_params, grads + grads_d):
            p.grad = g
        optimize()

    def train(n):
        before = th.get_num_threads()
        th.set_num_threads(threads or before)
        try:
            for _ in range(n):
                step()
        finally:
            th.set_num_threads(before)

    return train


# -- Measuring ------------------------------------------------------------------


class Contender:
    def __init__(self, key, label, make, n, warm, ref=None):
        self.key, self.label, self.make = key, label, make
        self.n, self.warm = n, warm  # steps (iterations) timed, and for the warm-up
        self.ref = ref  # the key of the row this one is compared to


def measure(contenders, repeats, log):
    """Per-step times `{key: [seconds per step, one per repeat]}`."""
    built = []
    for c in contenders:
        start = time.perf_counter()
        train = c.make()
        train(c.warm)  # warm-up: tracing, compilation and first steps
        log(f"  built ({c.key}) {c.label}: warm-up {time.perf_counter() - start:.1f} s")
        built.append((c, train))
    times = {c.key: [] for c in contenders}
    for r in range(repeats):
        shift = r % len(built)
        for c, train in built[shift:] + built[:shift]:
            start = time.perf_counter()
            train(c.n)
            times[c.key].append((time.perf_counter() - start) / c.n)
    return times


def ratio(times, key, ref):
    if key not in times or ref not in times:
        return None
    return statistics.median(a / b for a, b in zip(times[key], times[ref]))


def median(times, key):
    return statistics.median(times[key])


class Bench:
    """The measurements of one invocation, and their report."""

    def __init__(self, quick, repeats, log):
        self.quick, self.repeats, self.log = quick, repeats, log
        self.model = model_of(BASE)
        self.has_torch = torch() is not None
        self.tables = {}  # name -> (contenders, times, repeats)
        self.trains = {}  # the hand loop and run() of each n_critic, shared by the tables
        self.warm = 2 if quick else 20  # warm-up steps of each contender

    def shared(self, side, n_critic):
        """The `train` of the hand loop (b) or run() (d) on the model, built once."""
        if (side, n_critic) not in self.trains:
            make = hand_loop if side == "b" else adinfer_run
            self.trains[side, n_critic] = make(self.model, n_critic)
        return self.trains[side, n_critic]

    def reps(self, full):
        return self.repeats or (1 if self.quick else full)

    def run_table(self, name, contenders, repeats):
        self.log(f"{name}: {repeats} repeats")
        self.tables[name] = (contenders, measure(contenders, repeats, self.log), repeats)

    # -- The tables --------------------------------------------------------------

    def update_table(self):
        m, n, warm = self.model, 20 if self.quick else 1000, self.warm
        batches = m.batches(n)

        def pair(suffix, label, **kw):
            return [
                Contender(
                    "a" + suffix, "hand step" + label, lambda: hand_step(m, batches, **kw), n, warm
                ),
                Contender(
                    "c" + suffix,
                    "adinfer update()" + label,
                    lambda: adinfer_update(m, batches, **kw),
                    n,
                    warm,
                    "a" + suffix,
                ),
            ]

        c = pair("", "") + ([] if self.quick else pair("+xla", " +XLA", jit=True))
        c += [
            Contender(
                "a+check",
                "hand step with adinfer's gate",
                lambda: hand_step(m, batches, check="all"),
                n,
                warm,
                "a",
            ),
            Contender(
                "c1",
                "update()'s compiled step, called directly",
                lambda: compiled_update(m, batches),
                n,
                warm,
                "a",
            ),
            Contender(
                "c0", "update()'s batch check", lambda: batch_check(m, batches), n, warm, "a"
            ),
            Contender("a0", "empty compiled call", lambda: empty_call(m, batches), n, warm, "a"),
        ]
        self.run_table("update", c, self.reps(7))

    def run_configs(self):
        """(n_iter, n_critic, repeats) of the run() / hand loop table."""
        if self.quick:
            return [(20, None, 1), (40, None, 1), (10, 5, 1), (20, 5, 1)]
        return [(2000, None, 7), (20_000, None, 3), (2000, 5, 5), (20_000, 5, 2)]

    def run_tables(self):
        warm = self.warm
        for n_iter, n_critic, repeats in self.run_configs():
            c = [
                Contender("b", "hand loop", lambda nc=n_critic: self.shared("b", nc), n_iter, warm),
                Contender(
                    "d", "adinfer run()", lambda nc=n_critic: self.shared("d", nc), n_iter, warm
                ),
            ]
            self.run_table(("run", n_iter, n_critic), c, self.repeats or repeats)

    def other_table(self):
        """run() at the first n_iter against the variants and the other frameworks."""
        m = self.model
        n = self.run_configs()[0][0]
        n_other = n // 4  # (e), (f), (g): per-step figures, fewer steps
        warm = self.warm
        c = [
            Contender("b", "hand loop", lambda: self.shared("b", None), n, warm),
            Contender("d", "adinfer run()", lambda: self.shared("d", None), n, warm, "b"),
            Contender(
                "b+check",
                "hand loop with adinfer's gate",
                lambda: hand_loop(m, check="all"),
                n,
                warm,
                "b",
            ),
            Contender(
                "b+objcheck",
                "hand loop gated on the objectives only",
                lambda: hand_loop(m, check="objectives"),
                n,
                warm,
                "b",
            ),
            Contender(
                "b+sum",
                "hand loop ungated, adinfer's finiteness term summed per call",
                lambda: hand_loop(m, check="sum"),
                n,
                warm,
                "b",
            ),
        ]
        variants = [("xla", True, None), ("bf16", False, "mixed_bfloat16")]
        variants += [("f16", False, "mixed_float16")]
        for key, jit, policy in variants:
            c += [
                Contender(
                    f"b+{key}",
                    f"hand loop +{key.upper()}",
                    lambda jit=jit, p=policy: hand_loop(m, jit=jit, policy=p),
                    n,
                    warm,
                ),
                Contender(
                    f"d+{key}",
                    f"adinfer run() +{key.upper()}",
                    lambda jit=jit, p=policy: adinfer_run(m, jit=jit, policy=p),
                    n,
                    warm,
                    f"b+{key}",
                ),
            ]
        c.append(Contender("e", "keras fit", lambda: keras_fit(m), n_other, warm, "d"))
        if self.has_torch:
            c += [
                Contender("f", "torch eager", lambda: torch_train(m), n_other, warm, "d"),
                Contender(
                    "f1", "torch eager, 1 thread", lambda: torch_train(m, 1), n_other, warm, "d"
                ),
            ]
            if not self.quick:  # compiling takes ~25 s on 2 cores
                c.append(
                    Contender(
                        "g",
                        "torch.compile",
                        lambda: torch_train(m, compiled=True),
                        n_other,
                        warm,
                        "d",
                    )
                )
        self.run_table("other", c, self.reps(5))

    def scale_tables(self):
        # --quick: the DCGAN at batch 64 only, so that every code path runs once.
        configs = [("dcgan", 64, None)] if self.quick else SCALE[1:]
        seconds = 1.5  # per measurement
        for config in configs:
            m = model_of(config)
            if self.quick:
                n = 4
            else:
                probe = hand_loop(m)
                probe(2)  # trace
                start = time.perf_counter()
                probe(3)
                n = nice(seconds / ((time.perf_counter() - start) / 3))
            batches = m.batches(n)
            c = [
                Contender("a", "hand step", lambda m=m, b=batches: hand_step(m, b), n, 2),
                Contender(
                    "c", "adinfer update()", lambda m=m, b=batches: adinfer_update(m, b), n, 2, "a"
                ),
                Contender("b", "hand loop", lambda m=m: hand_loop(m), n, 2),
                Contender("d", "adinfer run()", lambda m=m: adinfer_run(m), n, 2, "b"),
            ]
            if self.has_torch and config[0] == "dcgan":
                c.append(Contender("f", "torch eager", lambda m=m: torch_train(m), n, 2, "d"))
                if not self.quick:  # compiling takes ~1 min on 2 cores
                    c.append(
                        Contender(
                            "g",
                            "torch.compile",
                            lambda m=m: torch_train(m, compiled=True),
                            n,
                            3,
                            "d",
                        )
                    )
            self.run_table(("scale", config), c, self.reps(3))

    # -- Memory ------------------------------------------------------------------

    def memory_jobs(self):
        """`(config, side, steps)` of every memory child: --quick, the MLP GAN only."""
        jobs = []
        for config in [BASE] if self.quick else SCALE:
            if config == BASE:
                steps = (20, 40) if self.quick else (1000, 10_000)
            else:
                steps = (20,) if config[0] == "dcgan" else (200,)
            jobs += [(config, side, steps) for side in ("hand", "adinfer")]
        return jobs

    def memory(self, started=None):
        """`{(config, side): [(iterations, peak KiB), ...]}`, from fresh processes:
        two at a time (a pair: the same model, hand-written and adinfer), or
        those `start_memory` started.
        """
        found = {}
        jobs = self.memory_jobs()
        for i in range(0, len(jobs), 2):
            procs = started or self.start_memory(jobs[i : i + 2])
            for job, proc in procs:
                out, err = proc.communicate()
                if proc.returncode:
                    raise RuntimeError(f"memory child {spec(job)} failed:\n{err[-3000:]}")
                found[job[:2]] = [
                    (int(a), int(b)) for a, b in re.findall(r"steps=(\d+) peak_kib=(\d+)", out)
                ]
                self.log(f"  memory {spec(job)}: {found[job[:2]]}")
            if started:
                break
        return found

    def start_memory(self, jobs=None):
        """Starts the memory children of `jobs` (default: all); --quick starts
        them with the tables, which their figures then do not mean anything for.
        """
        return [
            (
                job,
                subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "--memory-child", spec(job)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for job in (jobs or self.memory_jobs())
        ]


def nice(n):
    """n rounded to 1 or 2 significant digits: 10, 20, 50, 100, 200, ..."""
    n = max(int(n), 4)
    scale = 10 ** (len(str(n)) - 1)
    return max(4, min((1, 2, 5, 10), key=lambda k: abs(k * scale - n)) * scale)


def spec(job):
    (kind, batch, width), side, steps = job
    return f"{kind}:{batch}:{width or 0}:{side}:{','.join(map(str, steps))}"


def peak_kib():
    """Peak resident memory of this process, KiB: VmHWM, which starts afresh at exec
    (`ru_maxrss` keeps the peak of the forked parent across exec on Linux).
    """
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\s*(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(text):
    """In a fresh process: the hand loop or run() on a model; peak RSS after each count."""
    kind, batch, width, side, steps = text.split(":")
    model = model_of((kind, int(batch), int(width) or None))
    make = hand_loop if side == "hand" else adinfer_run
    train = make(model)
    done = 0
    for total in map(int, steps.split(",")):
        train(total - done)
        done = total
        print(f"steps={done} peak_kib={peak_kib()}", flush=True)
    if side == "adinfer":
        assert "adinfer" in sys.modules
    else:
        assert "adinfer" not in sys.modules and "torch" not in sys.modules


# -- Report -------------------------------------------------------------------


def machine():
    th = torch()
    if th is None:
        return _results.machine()
    return _results.machine(f"PyTorch {th.__version__} ({th.get_num_threads()} threads by default)")


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def ms(seconds):
    return f"{seconds * 1e3:.3f}"


def fmt(x):
    return "–" if x is None else f"{x:.2f}"


def contender_table(contenders, times):
    lines = ["| contender | ms/step | ratio | to |", "|---|---:|---:|---|"]
    for c in contenders:
        r = ratio(times, c.key, c.ref) if c.ref else None
        to = f"({c.ref})" if c.ref else "–"
        lines.append(f"| ({c.key}) {c.label} | {ms(median(times, c.key))} | {fmt(r)} | {to} |")
    return lines


def report(bench, mem, seconds, load_start, load_end, command):
    """The Markdown section and the `ratio ...` summary lines."""
    tables, summary = bench.tables, []
    lines = [
        f"Machine: {machine()}. No GPU was available in this session: no GPU figures.",
        "",
        f"Command: `{command}` ({seconds:.0f} s). Load average (1/5/15 min) at start "
        f"{load_start}, at end {load_end}. Times in ms per step (per iteration for run() and "
        "the hand loop), the median of the repeats; ratios are medians of within-repeat ratios.",
        "",
    ]
    m = bench.model
    contenders, times, repeats = tables["update"]
    n = contenders[0].n
    lines += [
        f"**{m.name}: one step fed a NumPy batch** ({n} steps per measurement, "
        f"{repeats} repeats; (c1), (c0), (a0): the parts of a step that bound `update()`)",
        "",
        *contender_table(contenders, times),
        "",
    ]
    updates, update_ratio = times, ratio(times, "c", "a")
    summary.append(("update()/(a)", update_ratio))
    summary.append(("(a+check)/(a)", ratio(times, "a+check", "a")))
    summary.append(("(c1)/(a)", ratio(times, "c1", "a")))
    if "c+xla" in times:
        summary.append(("update()+XLA/(a)+XLA", ratio(times, "c+xla", "a+xla")))

    lines += [
        f"**{m.name}: run() against the hand loop (b)** (default progress)",
        "",
        "| n_iter | n_critic | progress every | repeats | (b) hand loop | (d) run() | (d)/(b) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    run_ratios = []
    for n_iter, n_critic, _ in bench.run_configs():
        contenders, times, repeats = tables["run", n_iter, n_critic]
        r = ratio(times, "d", "b")
        run_ratios.append(r)
        lines.append(
            f"| {n_iter} | {n_critic or '–'} | {max(1, n_iter // 100)} | {repeats} | "
            f"{ms(median(times, 'b'))} | {ms(median(times, 'd'))} | {fmt(r)} |"
        )
        summary.append((f"run(n_iter={n_iter}, n_critic={n_critic})/(b)", r))
    lines.append("")

    contenders, times, repeats = tables["other"]
    n = contenders[0].n
    lines += [
        f"**{m.name}: run(n_iter={n}) against the variants and other frameworks** "
        f"({n} iterations per measurement, (e), (f), (g): {contenders[-1].n} steps; "
        f"{repeats} repeats)",
        "",
        *contender_table(contenders, times),
        "",
    ]
    other = times
    for key in ("xla", "bf16", "f16"):
        if f"d+{key}" in times:
            summary.append(
                (f"run()+{key.upper()}/(b)+{key.upper()}", ratio(times, f"d+{key}", f"b+{key}"))
            )
    summary.append(("(b+check)/(b)", ratio(times, "b+check", "b")))
    summary.append(("(b+objcheck)/(b)", ratio(times, "b+objcheck", "b")))
    summary.append(("(b+sum)/(b)", ratio(times, "b+sum", "b")))
    summary.append(("run()/(b+check)", ratio(times, "d", "b+check")))
    torch_ratios = {k: ratio(times, k, "d") for k in ("f", "f1", "g") if k in times}
    for k, r in torch_ratios.items():
        summary.append((f"({k})/run()", r))

    lines += [
        "**Scale: adinfer / hand-written, and peak memory** (peak resident memory of a fresh "
        "process running run() / the hand loop (b) on the model; time per step in ms)",
        "",
        "| model | (a) hand step | (c)/(a) | (b) hand loop | (d)/(b) | steps, repeats "
        "| memory: hand | adinfer | adinfer/hand |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    memory_ratios = []
    for config in SCALE:
        model = model_of(config)
        if config == BASE:
            n_iter, n_critic, _ = bench.run_configs()[0]
            t_up, t_run = tables["update"][1], tables["run", n_iter, n_critic][1]
            counts = "see above"
        elif ("scale", config) in tables:
            contenders, t_run, repeats = tables["scale", config]
            t_up = t_run
            counts = f"{contenders[0].n}, {repeats}"
        else:
            continue
        hand, ours = mem.get((config, "hand")), mem.get((config, "adinfer"))
        mem_cells = "– | – | –"
        if hand and ours:
            r_mem = ours[-1][1] / hand[-1][1]
            memory_ratios.append((model.name, r_mem))
            mem_cells = f"{hand[-1][1] / 1024:.0f} MiB | {ours[-1][1] / 1024:.0f} MiB | {r_mem:.2f}"
        lines.append(
            f"| {model.name} | {ms(median(t_up, 'a'))} | {fmt(ratio(t_up, 'c', 'a'))} | "
            f"{ms(median(t_run, 'b'))} | {fmt(ratio(t_run, 'd', 'b'))} | {counts} | {mem_cells} |"
        )
        if config != BASE:
            summary.append((f"scale {model.name} update()/(a)", ratio(t_up, "c", "a")))
            summary.append((f"scale {model.name} run()/(b)", ratio(t_run, "d", "b")))
    lines.append("")

    torch_rows = [
        (model_of(config).name, tables["scale", config])
        for config in SCALE
        if ("scale", config) in tables and "f" in tables["scale", config][1]
    ]
    if torch_rows:
        lines += [
            "**Scale: PyTorch against adinfer's run()** (the same networks and data, channels "
            "first; PyTorch's own initial weights; time per step in ms; ratio = PyTorch / run(), "
            "above 1 where run() is faster)",
            "",
            "| model | (d) run() | (f) torch eager | (f)/(d) | (g) torch.compile | (g)/(d) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, (_, t, _) in torch_rows:
            g = (ms(median(t, "g")), fmt(ratio(t, "g", "d"))) if "g" in t else ("–", "–")
            lines.append(
                f"| {name} | {ms(median(t, 'd'))} | {ms(median(t, 'f'))} | "
                f"{fmt(ratio(t, 'f', 'd'))} | {g[0]} | {g[1]} |"
            )
            summary.append((f"scale {name} (f)/run()", ratio(t, "f", "d")))
            if "g" in t:
                summary.append((f"scale {name} (g)/run()", ratio(t, "g", "d")))
        lines.append("")

    base_hand, base_ours = mem[BASE, "hand"], mem[BASE, "adinfer"]
    (n1, h1), (n2, h2) = base_hand
    (_, a1), (_, a2) = base_ours
    growth = a2 / a1 - 1
    lines += [
        f"Peak resident memory on the {m.name}: run() {a1 / 1024:.1f} MiB at {n1} steps, "
        f"{a2 / 1024:.1f} MiB at {n2} steps (growth {growth * 100:+.1f}%); the hand loop "
        f"{h1 / 1024:.1f} MiB at {n1} steps, {h2 / 1024:.1f} MiB at {n2} steps "
        f"(growth {(h2 / h1 - 1) * 100:+.1f}%).",
        "",
    ]
    summary.append((f"memory growth {n2}/{n1} steps", a2 / a1))
    summary.append(("memory adinfer/hand", max(r for _, r in memory_ratios)))

    # -- Targets, in words, from the figures above.
    lines += ["**Targets** (issue 15)", ""]
    met = lambda ok: "met" if ok else "missed"
    gate_run, gate_objectives = ratio(other, "b+check", "b"), ratio(other, "b+objcheck", "b")
    lines.append(
        f"- run() ≤ {TARGET}× the hand loop (n_iter 2,000 and 20,000, n_critic None and 5): "
        f"{met(max(run_ratios) <= TARGET)} ({', '.join(fmt(r) for r in run_ratios)}). "
        "The main cost adinfer adds is its per-step gate (objectives and every gradient "
        "checked finite, the update applied under `tf.cond`, so that a non-finite step changes "
        f"nothing): written into the hand loop it costs {fmt(gate_run)}× (b+check), and run() "
        f"is {fmt(ratio(other, 'd', 'b+check'))}× that gated hand loop. The update waits for "
        "the whole backward pass and the check; gated on the objectives alone, it costs "
        f"{fmt(gate_objectives)}× (b+objcheck); ungated, with the same finiteness term summed "
        f"over each call (what an optimistic gate, checked once per call, would pay), "
        f"{fmt(ratio(other, 'b+sum', 'b'))}× (b+sum)."
    )
    share = lambda key: (ratio(updates, key, "a") - (0 if key in ("c0", "a0") else 1)) * 100
    rest = share("c") - share("c1") - share("c0")
    lines.append(
        f"- update() ≤ {TARGET}× the hand step fed the same NumPy batch: "
        f"{met(update_ratio <= TARGET)} ({fmt(update_ratio)}). Against a hand step, update() "
        f"adds {share('c'):+.0f}%: its compiled step called directly adds {share('c1'):+.0f}% "
        f"(c1), and adinfer's gate written into the hand step {share('a+check'):+.0f}% "
        "(a+check); "
        f"the check update() makes of the fed batch {share('c0'):+.0f}% (c0, "
        f"{ms(median(updates, 'c0'))} ms per call); the rest of update()'s Python "
        f"{rest:+.0f}%. An empty compiled call fed "
        f"the batch and read back (a0) costs {ms(median(updates, 'a0'))} ms, "
        f"{share('a0'):.0f}% of a hand step."
    )
    eager = {k: r for k, r in torch_ratios.items() if k in ("f", "f1")}
    if eager:
        lines.append(
            f"- ≥ {TORCH_TARGET:.0f}× faster than PyTorch eager at batch 64: "
            f"{met(min(eager.values()) >= TORCH_TARGET)}; run() is {fmt(eager.get('f'))}× faster "
            f"than PyTorch eager with its default threads (f), {fmt(eager.get('f1'))}× than on "
            "1 thread (f1)"
            + (f", {fmt(torch_ratios['g'])}× than torch.compile (g)" if "g" in torch_ratios else "")
            + ". The hand-written TensorFlow loop is "
            f"{fmt(min(ratio(other, k, 'b') for k in eager))}× faster than the faster eager "
            "setting: the bound for a library on TensorFlow at this size, where a step is "
            "mostly per-op overhead."
        )
    worst_mem = max(memory_ratios, key=lambda x: x[1])
    lines.append(
        f"- Peak memory within {(MEMORY_TARGET - 1) * 100:.0f}% of the hand-written process: "
        f"{met(worst_mem[1] <= MEMORY_TARGET)} (at most {fmt(worst_mem[1])}×, {worst_mem[0]}); "
        f"flat (within 1%) over {n2} steps: {met(abs(growth) <= 0.01)} ({growth * 100:+.1f}%)."
    )
    lines.append("")
    return lines, summary


DEVICE_VARIANTS = [  # label, jit_compile, dtype policy
    ("float32", False, None),
    ("float32 + XLA", True, None),
    ("mixed_float16", False, "mixed_float16"),
    ("mixed_bfloat16", False, "mixed_bfloat16"),
]


def device_report(quick, repeats, log):
    """The rows that matter on an accelerator: the DCGAN at batch 64 and 256,
    hand loop (b) against run() (d), in float32, with XLA and under both mixed
    policies. Returns the Markdown lines of the "speed-device" section."""
    warm, reps = (2, 1) if quick else (10, repeats or 3)
    lines = [
        f"Device: {machine()}.",
        "",
        f"Command: `{_results.command(__file__)}`. Load average (1/5/15 min) at start {load()}. "
        "Times in ms per iteration (median of the repeats); (d)/(b) the median of "
        "within-repeat ratios.",
        "",
        "| model | variant | (b) hand loop | (d) run() | (d)/(b) | steps, repeats |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for config in [("dcgan", 64, None), ("dcgan", 256, None)]:
        m = model_of(config)
        for label, jit, policy in DEVICE_VARIANTS:
            probe = hand_loop(m, jit=jit, policy=policy)
            probe(warm)
            start = time.perf_counter()
            probe(3)
            n = 4 if quick else nice(1.5 / ((time.perf_counter() - start) / 3))
            c = [
                Contender(
                    "b",
                    "hand loop",
                    lambda m=m, j=jit, p=policy: hand_loop(m, jit=j, policy=p),
                    n,
                    warm,
                ),
                Contender(
                    "d",
                    "adinfer run()",
                    lambda m=m, j=jit, p=policy: adinfer_run(m, jit=j, policy=p),
                    n,
                    warm,
                    "b",
                ),
            ]
            log(f"device report: {m.name}, {label}")
            times = measure(c, reps, log)
            lines.append(
                f"| {m.name} | {label} | {ms(median(times, 'b'))} | {ms(median(times, 'd'))} | "
                f"{fmt(ratio(times, 'd', 'b'))} | {n}, {reps} |"
            )
    lines.append("")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, tiny budget")
    parser.add_argument(
        "--write", action="store_true", help="rewrite the speed section of RESULTS.md"
    )
    parser.add_argument("--repeats", type=int, default=None, help="repeats of every table")
    parser.add_argument(
        "--device-report",
        action="store_true",
        help="only the rows that matter on a GPU (DCGAN; float32, XLA, mixed precision); "
        "with --write, into RESULTS.md's speed-device section",
    )
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        return memory_child(args.memory_child)

    t0, load_start = time.perf_counter(), load()
    log = lambda s: print(f"[{time.perf_counter() - t0:5.0f} s] {s}", file=sys.stderr, flush=True)
    if args.device_report:
        lines = device_report(args.quick, args.repeats, log)
        print("\n".join(lines))
        if args.write:
            _results.write_section(_results.markers("speed-device"), "\n".join(lines))
        return
    bench = Bench(args.quick, args.repeats, log)
    started = bench.start_memory() if args.quick else None  # beside the tables: a smoke run
    bench.update_table()
    bench.run_tables()
    bench.other_table()
    bench.scale_tables()
    mem = bench.memory(started)
    command = _results.command(__file__)
    lines, summary = report(bench, mem, time.perf_counter() - t0, load_start, load(), command)
    print("\n".join(lines))
    print("Ratios:")
    for what, r in summary:
        print(f"ratio {what} = {r:.3f}")

    if args.write:
        _results.write_section(_results.markers("speed"), "\n".join(lines))


if __name__ == "__main__":
    main()
    # The interpreter's exit was seen to hang here (a futex wait, with TensorFlow's and
    # PyTorch's thread pools alive, after the DCGAN rows); everything is printed and
    # written by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
