"""What an `Inference` reaches its engine through, as its base class.

Keras's `Model` takes its training API from a `Trainer` base class; `Inference`
takes these handles from `Handles`, so that `adinfer/inferences/inference.py`
reads as Edward's lifecycle, top to bottom. Here: calling programs in their
group, the training state (checkpoint, state variables, averages, networks and
the current training's settings), and the compiled functions.
"""

import functools

import tensorflow as tf

from adinfer import validate
from adinfer.engine import schedule, state


def in_strategy(method):
    """Runs `method` in the scope of the strategy the inference was built in."""

    @functools.wraps(method)
    def in_scope(self, *args, **kwargs):
        with self.replicas.scope():
            return method(self, *args, **kwargs)

    return in_scope


class Handles:
    """The methods and properties of `adinfer.Inference` that hand out its
    engine's parts (see `adinfer.engine`); the attributes they read are set by
    `Inference.__init__` and `initialize`.
    """

    # -- Calling programs in their group ---------------------------------------

    def call(self, group, program, *args):
        """Runs `program(*args)` as part of `group` ("Gen" or "Disc").

        Variables created on first call are named `group/...`. A TFP distribution
        as program is sampled (`program.sample(*args)`); a distribution returned by
        a program is sampled once (reparameterized where the distribution is), so
        priors, encoders and decoders may be distributions.
        """
        return self.grouping.call(group, program, *args)

    @staticmethod
    def batch_size_of(x):
        """The batch size of `x` (of its first component for a structured batch):
        a Python int when static, else a scalar tensor.
        """
        x = tf.nest.flatten(x)[0]
        return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]

    def build(self):
        """Runs the objective once, eagerly, to build lazily created networks
        under their group's scope and to find each group's variables.
        """
        self.grouping.build(self.objectives, self.stream.example_batch(self.batch_size))

    def record(self, scalars):
        """Writes `{tag: scalar tensor}` from inside the objective to TensorBoard,
        at the updates the engine writes its own scalars (t = 1 and every
        `n_print`), and keeps them in `self.scalars`. Nothing is written
        without a `logdir`, while the networks are built, or under XLA.
        """
        self.scalars = dict(scalars)
        if not self.grouping.building and not self.jit_compile:
            self.reporting.record(self.t, self.scalars)

    # -- Training state ---------------------------------------------------------

    def save(self):
        """Writes a checkpoint of the whole training state to `checkpoint_dir`
        (numbered by `t`); returns its path.
        """
        return self.checkpointing.save()

    @property
    def checkpoint(self):
        """The `tf.train.Checkpoint` of the training state (after `initialize`)."""
        return self.checkpointing.checkpoint

    @property
    def state_variables(self):
        """Every variable the objective reads, trainable or not (network weights,
        batch-norm statistics, `keras.random.SeedGenerator` states, ...), found
        by tracing the objective once: what a checkpoint must hold for training
        to continue exactly, and what evaluation puts back.
        """
        if self._state_variables is None:
            self.build()
            trained = [v for g in self.groups for v in self.variables.get(g, [])]
            self._state_variables = self.grouping.state_variables(
                self.objectives, self.stream.example_batch(self.batch_size), trained
            )
        return self._state_variables

    def weight_variables(self):
        """What Keras's `Model.get_weights` would cover, for an inference: every
        weight of the networks of both groups (batch-norm statistics included),
        any other trained variable, and the generator's averages; not the
        optimizers' state, `t` or noise states, which training owns.
        """
        self.build()
        in_networks = [w for nets in self.networks.values() for net in nets for w in net.weights]
        trained = [v for g in self.groups for v in self.variables.get(g, [])]
        averages = [a for _, a in self.averaging.pairs(self.variables.get("Gen", []))]
        return state.unique([*in_networks, *trained, *averages])

    def get_weights(self):
        """The values of `weight_variables()` as NumPy arrays, as Keras's
        `Model.get_weights` (what `EarlyStopping(restore_best_weights=True)`
        keeps at the best evaluation).
        """
        return [v.numpy() for v in self.weight_variables()]

    def set_weights(self, weights):
        """Assigns `weights` (as `get_weights` returns them) to
        `weight_variables()`, as Keras's `Model.set_weights`; checked whole
        before any is assigned.
        """
        variables = self.weight_variables()
        validate.array_list(weights, "weights", [tuple(v.shape) for v in variables])
        for v, value in zip(variables, weights):
            v.assign(value)

    @property
    def averages(self):
        """The exponential moving averages of the "Gen" variables (with
        `initialize(ema_decay=...)`), in the order of `variables["Gen"]`; see
        `adinfer.engine.averages` for why they never overwrite the weights.
        """
        return self.averaging.of(self.variables["Gen"])

    @property
    def networks(self):
        """`{group: [networks]}`: the Keras networks each group's programs reach,
        as a checkpoint's `networks` holds them.
        """
        self.build()
        return self.grouping.network_list()

    ema_decay = property(lambda self: self.averaging.decay)
    checkpoint_every = property(lambda self: self.checkpointing.every)
    n_iter = property(lambda self: self.reporting.n_iter)
    n_print = property(lambda self: self.reporting.n_print)
    progbar = property(lambda self: self.reporting.progbar)
    logdir = property(lambda self: self.reporting.logdir)

    # -- Compiled functions -------------------------------------------------------

    def train_function(self, variables=None):
        """The compiled step of `update(variables=...)` (after `initialize`), a
        concrete function: the fed batches in, `[t, loss, loss_d, failed]` out.
        """
        self._check_variables(variables)
        return self.trainer.update_function(variables)

    def run_function(self, n_critic=None, train_steps=None):
        """The compiled loop of `run(n_critic=..., train_steps=...)`:
        `(n, *fed) -> (t, losses, failed)`.
        """
        steps = schedule.train_steps(n_critic, train_steps, type(self).__name__, self.groups)
        return self.trainer.loop_function(steps)

    def compiled_functions(self):
        """`{key: function}` of the training functions compiled so far (a copy)."""
        return dict(self.trainer.compiled)

    def reset_compiled(self):
        """Forgets every compiled function, training and serving: after a program,
        network or objective attribute was replaced, the next call traces anew.
        """
        self.trainer.retrace_if_changed(None)
        self.serving.clear()

    def summaries(self, condition=True):
        """Inside a compiled step, with `logdir`: TensorBoard writes in this
        context are recorded at step `t`, at the updates where the engine
        writes its own (t = 1 and every `n_print`), and when `condition`.
        """
        return self.reporting.summaries(self.t, condition)

    # -- Helpers of the lifecycle -------------------------------------------------

    def _check_variables(self, variables):
        expected = " or ".join(["None"] + [f'"{g}"' for g in self.groups])
        if variables is not None and not isinstance(variables, str):
            validate.fail(TypeError, "variables", expected, variables)
        if variables is not None and variables not in self.groups:
            validate.fail(ValueError, "variables", expected, variables)
