"""The base class: Edward's lifecycle around one compiled step engine."""

import contextlib
import datetime
import functools
import os
import shutil
import time

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import checkpoints, distribute, scopes
from adinfer import data as data_lib
from adinfer import optimizers as optimizers_lib

GROUPS = scopes.GROUPS
OPTIMIZER_ARGUMENT = {"Gen": "optimizer", "Disc": "optimizer_d"}
VAR_LIST_ARGUMENT = {"Gen": "var_list", "Disc": "var_list_d"}


def _jit_call(fn, *args):
    return tf.function(fn, jit_compile=True, autograph=False)(*args)


def _in_strategy(method):
    """Runs `method` in the scope of the strategy the inference was built in."""

    @functools.wraps(method)
    def in_scope(self, *args, **kwargs):
        with self.replicas.scope():
            return method(self, *args, **kwargs)

    return in_scope


class Inference:
    """Adversarial inference: an objective pair and the engine that optimises it.

    A subclass states its objective in `objectives(x_true)`, returning the
    generative objective `loss`, the discriminative objective `loss_d` and the
    discriminator outputs. Everything else lives here once: feeding data,
    finding the "Gen" and "Disc" variable groups, summing regularization into the
    objective of its group, the optimizers, the compiled step, the fused run loop,
    progress, TensorBoard summaries.

    The lifecycle is Edward's:

    ```python
    inference = adinfer.GANInference(data={fake: x_train}, discriminator=D)
    inference.run(n_iter=1000)                     # or, by hand:
    inference.initialize(n_iter=1000)
    for _ in range(1000):
      for _ in range(5):
        inference.update(feed_dict={x_ph: next(batches)}, variables="Disc")
      info = inference.update(feed_dict={x_ph: next(batches)}, variables="Gen")
      inference.print_progress(info)
    inference.finalize()
    ```

    Each `update` runs a `tf.function` compiled once per `variables` value (and
    input signature); `run` fuses several updates into one compiled call.

    After `initialize`, `inference.variables["Gen"]` and
    `inference.variables["Disc"]` list the variables each group trains (found
    by running the networks, or `var_list` / `var_list_d`), and
    `inference.optimizers["Gen"]` / `["Disc"]` their optimizers.

    Built inside a `tf.distribute` strategy's scope (networks, optimizers and
    the inference), the same inference trains data-parallel on the strategy's
    replicas; the global batch is split across them and the update is the
    one a single device makes for that batch (see `adinfer.distribute`).
    """

    def __init__(self, data, batch_size=None, seed=None):
        """
        Args:
          data: `{model: observations}`, one pair, or None for an inference
            without observed data (then `objectives` receives `x_true=None`).
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
        """
        if data is not None and not isinstance(data, dict):
            raise TypeError(
                f"data must have type dict, {{model: observations}}, got {type(data).__name__}."
            )
        if data is not None and len(data) != 1:
            raise ValueError(
                "data must bind exactly one model to its observations, "
                f"{{model: observations}}, got {len(data)} pairs."
            )
        batch_size = data_lib.check_int(batch_size, "batch_size", allow_none=True)
        # The strategy whose scope the inference is built in, kept like a Keras
        # model keeps its own: every later call runs in it.
        replicas = distribute.Replicas(tf.distribute.get_strategy())
        replicas.check_batch(batch_size)
        self.replicas = replicas
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        (observed,) = data.values() if data else (None,)
        self.stream = data_lib.Stream(
            observed, batch_size, seed, name="data value", replicas=replicas
        )
        self.t = tf.Variable(0, dtype=tf.int64, trainable=False, name="t")
        self._programs = {}  # id(program) -> (program, the Keras layers it uses)
        self._discovery = None  # group -> variables read, during the first pass
        self._built = False
        self._initialized = False
        self._writer = None
        self._compiled, self._traced_config = {}, None

    _objective_args = ()  # attributes a subclass's `initialize` sets (see `_initialize_with`)
    groups = GROUPS  # the groups this inference trains
    checkpoint_every = None
    _manager = _checkpoint = _state_variables = None
    ema_decay = None
    _saved_t = 0

    # -- What a subclass states -------------------------------------------------

    def objectives(self, x_true):
        """Returns `(loss, loss_d, d_outputs)` for one batch of observations,
        before regularization; call networks through `self.call(group, ...)`.
        `d_outputs` (for the histogram summary) may be None.
        """
        raise NotImplementedError

    def after_update(self, group):
        """Called in the compiled step after `group`'s variables were updated."""

    def _initialize_with(self, objective_args, *args, **kwargs):
        """`Inference.initialize(*args, **kwargs)` for a subclass whose `initialize`
        takes objective arguments (`{attribute: value}`, already validated): they
        are set first, as the steps read them when traced, join the trace
        configuration, and are restored if `initialize` refuses its arguments.
        """
        before = {name: getattr(self, name) for name in objective_args}
        self.__dict__.update(objective_args)
        try:
            Inference.initialize(self, *args, **kwargs)
        except Exception:
            self.__dict__.update(before)
            raise

    def _trace_config(self):
        """What the compiled steps read when traced; `initialize` retraces them
        when it changes. Objects enter by id (`initialize` holds them, so ids stay
        unique), as do callable objective arguments.
        """
        objective_args = tuple(
            id(v) if callable(v) else v
            for v in (getattr(self, name) for name in self._objective_args)
        )
        return (
            tuple(id(self.optimizers[g]) for g in self.groups),
            id(self._writer),
            tuple(tuple(id(v) for v in self.variables[g]) for g in self.groups),
            self.n_print if self._writer is not None else None,
            self.debug,
            self.jit_compile,
            self.ema_decay,
            objective_args,
        )

    # -- Calling programs in their group ---------------------------------------

    def call(self, group, program, *args):
        """Runs `program(*args)` as part of `group` ("Gen" or "Disc").

        Variables created on first call are named `group/...`. A TFP distribution
        as program is sampled (`program.sample(*args)`); a distribution returned by
        a program is sampled once (reparameterized where the distribution is), so
        priors, encoders and decoders may be distributions.
        """
        entry = self._programs.get(id(program))
        if entry is None:
            entry = self._programs[id(program)] = (program, scopes.find_layers(program))
        # Only losses this call produced: a program's closure may reach networks
        # of the other group, whose losses from earlier calls are still held.
        held = scopes.activity_losses(entry[1])
        with scopes.scope(group), contextlib.ExitStack() as stack:
            tape = None
            if self._discovery is not None:
                tape = stack.enter_context(tf.GradientTape())
            if isinstance(program, tfp.distributions.Distribution):
                out = program.sample(*args)
            else:
                out = program(*args)
                if isinstance(out, tfp.distributions.Distribution):
                    out = out.sample()
            if keras.mixed_precision.global_policy().name.startswith("mixed_"):
                # Objectives in float32 under a mixed policy: networks compute in
                # half precision, their outputs are cast back once.
                out = tf.nest.map_structure(_to_float32_if_half, out)
            if tape is not None:
                self._discovery[group].append((tape.watched_variables(), entry[1]))
                for layer in entry[1]:
                    self._networks[group].setdefault(id(layer), layer)
        self._activity[group].extend(
            term for term in scopes.activity_losses(entry[1]) if not any(term is h for h in held)
        )
        return out

    @staticmethod
    def batch_size_of(x):
        """The batch size of `x` (of its first component for a structured batch):
        a Python int when static, else a scalar tensor.
        """
        x = tf.nest.flatten(x)[0]
        return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]

    # -- Lifecycle --------------------------------------------------------------

    @_in_strategy
    def initialize(
        self,
        n_iter=1000,
        n_print=None,
        optimizer=None,
        optimizer_d=None,
        var_list=None,
        var_list_d=None,
        logdir=None,
        log_timestamp=True,
        debug=False,
        jit_compile=False,
        steps_per_execution=None,
        checkpoint_dir=None,
        checkpoint_every=None,
        max_to_keep=5,
        warm_start_from=None,
        ema_decay=None,
    ):
        """Prepares training: variable groups, optimizers, the compiled steps.

        Args:
          n_iter: number of iterations `run` performs; the progress bar's target.
            With 0, `run` builds and initializes but trains nothing. Integer
            arguments may be Python or NumPy ints.
          n_print: iterations between progress updates and summaries;
            `max(1, n_iter // 100)` by default, 0 for none.
          optimizer, optimizer_d: for the "Gen" and "Disc" groups: Keras
            optimizers, Edward's names ("adam", "rmsprop", "sgd", ...) or None
            (Edward's default, Adam with a decaying learning rate).
          var_list, var_list_d: the variables of "Gen" and "Disc", overriding the
            groups found by running the networks.
          logdir: directory for TensorBoard summaries (a timestamped subdirectory
            when `log_timestamp`), created up front.
          log_timestamp: write summaries to a timestamped subdirectory of `logdir`.
          debug: check losses and gradients for NaN/Inf at every step with
            `tf.debugging.check_numerics` (the failing op is named).
          jit_compile: compile the update with XLA.
          steps_per_execution: the most iterations `run` fuses into one
            compiled call. By default the length adapts to the cost of a step,
            about half a second of training per call; progress stays exact either
            way, as each call records the losses of every iteration it runs.
          checkpoint_dir: directory of this run's checkpoints
            (`tf.train.CheckpointManager`). If it holds one, training resumes
            from the newest: networks, optimizers, `t`, random streams and data
            position are restored, and `run` continues to its total.
          checkpoint_every: save every this many updates (rounded up to whole
            iterations in `run`); `run` also saves at its end and on Ctrl-C,
            `finalize` when updates were made since the last save.
          max_to_keep: checkpoints kept in `checkpoint_dir` (None: all).
          warm_start_from: a directory or checkpoint path of another run whose
            network variables are copied in (not its optimizers or `t`); ignored
            when `checkpoint_dir` already holds a checkpoint, as in TF Estimators.
          ema_decay: d in (0, 1) to keep an exponential moving average of every
            "Gen" variable, w̄ ← d·w̄ + (1 − d)·w after each "Gen" update
            (starting from the weights at `initialize`, with no warm-up: after k
            updates the initial weights still weigh d^k in the average, so pick
            d with d^k small, e.g. 0.999 for 5,000 updates or more); `sample`,
            `encode`, `reconstruct`, `export` and `run`'s evaluation then use the
            averaged weights (`ema=False` for the raw ones). See `averages`.
        """
        # n_iter=0 is allowed: `run` then builds, initializes and trains nothing.
        n_iter = data_lib.check_int(n_iter, "n_iter", minimum=0)
        n_print = data_lib.check_int(n_print, "n_print", minimum=0, allow_none=True)
        steps_per_execution = data_lib.check_int(
            steps_per_execution, "steps_per_execution", allow_none=True
        )
        logdir = data_lib.check_logdir(logdir)
        if isinstance(optimizer, keras.optimizers.Optimizer) and optimizer is optimizer_d:
            raise ValueError(
                "optimizer and optimizer_d must be distinct objects: "
                "each group's optimizer keeps its own slots."
            )
        warm_start_from = self._check_checkpoint_args(
            checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from
        )
        if ema_decay is not None:
            if isinstance(ema_decay, bool) or not isinstance(ema_decay, (int, float)):
                raise TypeError(f"ema_decay must be None or a number in (0, 1), got {ema_decay!r}.")
            if not 0.0 < ema_decay < 1.0:
                raise ValueError(f"ema_decay must be in (0, 1), got {ema_decay!r}.")
            ema_decay = float(ema_decay)
        arguments = {"Gen": (optimizer, var_list), "Disc": (optimizer_d, var_list_d)}
        optimizers = {
            g: self._loss_scaled(optimizers_lib.build(arguments[g][0], OPTIMIZER_ARGUMENT[g]))
            for g in self.groups
        }
        self._build()
        variables = self._group_variables({g: arguments[g][1] for g in self.groups})

        self.n_iter = n_iter
        self.n_print = max(1, n_iter // 100) if n_print is None else n_print
        self.steps_per_execution = steps_per_execution
        self.debug = debug
        self.jit_compile = jit_compile
        self.variables = variables
        self.optimizers = optimizers
        for group, opt in optimizers.items():
            if not opt.built:
                opt.build(variables[group])
        self.ema_decay = ema_decay
        for v, average in self._averaged_pairs(ema_decay is not None):
            average.assign(v)  # a new run averages from the weights it starts with
        self.t.assign(0)
        if self._writer is not None:
            self._writer.close()
        self._writer = None
        if logdir is not None:
            if not self.replicas.is_chief:  # deleted at `finalize`
                logdir, log_timestamp = self.replicas.private_dir(), False
            if log_timestamp:
                logdir = os.path.join(logdir, datetime.datetime.now().strftime("%Y%m%d_%H%M%S"))
            self.logdir = logdir
            self._writer = tf.summary.create_file_writer(logdir)
        # Compiled steps survive a new `initialize` (a second `run`, say) unless
        # something they were traced with changed, as Keras keeps `train_function`.
        config = self._trace_config()
        if config != self._traced_config:
            self._compiled, self._traced_config = {}, config
            self._traced_objects = (optimizers, variables, self._writer)
        self.progbar = keras.utils.Progbar(
            max(n_iter, 1), stateful_metrics=["Gen Loss", "Disc Loss"]
        )
        self._initialized = True
        self._open_checkpoints(checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from)

    def update(self, feed_dict=None, variables=None):
        """One optimisation step.

        Args:
          feed_dict: `{placeholder: batch}` when the data is a placeholder.
          variables: None updates both groups from one forward pass (Edward's
            simultaneous update); "Gen" or "Disc" updates that group only.

        Returns:
          `{"t": int, "loss": float, "loss_d": float}`; `t` counts every update,
          and the objective of a group not updated is reported as 0.0.

        Raises:
          NonFiniteError: the objective or a gradient of this update is NaN or
            Inf; nothing was updated (`t` and every variable are as before).
        """
        if not self._initialized:
            raise RuntimeError("call initialize() before update().")
        self._check_variables(variables)
        fed = self.stream.feed_args(feed_dict)
        step = self._compiled.get(("update", variables))
        if step is None:
            # The concrete function: calling it skips tf.function's dispatch.
            with self.replicas.scope():
                step = self._compiled["update", variables] = tf.function(
                    lambda *fed: _as_one_vector(self._step(self._groups(variables), fed)),
                    input_signature=self.stream.input_signature,
                    autograph=False,
                ).get_concrete_function()
        t, loss, loss_d, failed = step(*fed).numpy().tolist()  # one host sync
        self._raise_if_failed(failed)
        t = int(t)
        if self.checkpoint_every and t % self.checkpoint_every == 0:
            self.save()
        return {"t": t, "loss": loss, "loss_d": loss_d}

    @_in_strategy
    def run(self, n_critic=None, feed_dict=None, evaluate=None, evaluate_every=None, **kwargs):
        """Edward's `run`: `initialize(**kwargs)`, `n_iter` iterations with
        progress, `finalize()`.

        With a `checkpoint_dir` that holds a checkpoint, the run resumes from it
        and continues until `t` reaches the run's total (`n_iter` iterations of
        `n_critic + 1` updates each), not `n_iter` more.

        Args:
          n_critic: None for simultaneous updates of both groups; k for k "Disc"
            updates then one "Gen" update per iteration (`t` counts each update).
          feed_dict: a fixed feed for placeholders, used at every update.
          evaluate: `fn(inference) -> {name: scalar}`, called every
            `evaluate_every` iterations and at the end; its values are shown on
            the progress bar and written to TensorBoard as `eval/<name>`. The
            random streams and network state it touches (a sample it draws, say)
            are put back afterwards, so evaluation never changes the trajectory.
          evaluate_every: iterations between evaluations; `max(1, n_iter // 10)`
            by default.
          **kwargs: passed to `initialize`.

        Raises:
          NonFiniteError: an update's objective or gradients were not finite; the
            run stopped before it, leaving the weights (and, with checkpoints,
            the newest checkpoint) at the last finite state.
        """
        n_critic = data_lib.check_int(n_critic, "n_critic", allow_none=True)
        if n_critic is not None and "Disc" not in self.groups:
            raise ValueError(
                f'n_critic={n_critic!r}: {type(self).__name__} has no "Disc" group to '
                "update; leave n_critic None."
            )
        evaluate_every = data_lib.check_int(evaluate_every, "evaluate_every", allow_none=True)
        if evaluate is not None and not callable(evaluate):
            raise TypeError(
                "evaluate must be a callable fn(inference) -> {name: scalar}, "
                f"got {type(evaluate).__name__}."
            )
        fed = self.stream.feed_args(feed_dict)
        self.initialize(**kwargs)
        loop = self._compiled.get(("run", n_critic))
        if loop is None:
            loop = self._compiled["run", n_critic] = tf.function(
                lambda n, *fed: self._loop(n, n_critic, fed),
                input_signature=(tf.TensorSpec([], tf.int32),) + self.stream.input_signature,
                autograph=False,
            )
        updates_per_iteration = 1 if n_critic is None else n_critic + 1
        done = int(self.t.numpy()) // updates_per_iteration
        stops = self._stops(
            updates_per_iteration, evaluate and (evaluate_every or max(1, self.n_iter // 10))
        )
        if done and self.n_print:
            self.progbar.update(min(done, self.progbar.target))
        # Workers must call the same loops (their collectives pair up), so with
        # several the lengths grow by a fixed rule, not by each one's clock.
        chunks = _ChunkSizer(self.steps_per_execution, by_clock=self.replicas.workers == 1)
        try:
            for end in stops["all"]:
                if end <= done:
                    continue
                while done < end:
                    start, t_start = done, int(self.t.numpy())
                    with chunks.timed(end - done) as n:
                        t, losses, failed = loop(tf.constant(n, tf.int32), *fed)
                    t, failed, losses = int(t), int(failed), losses.numpy()
                    done += (t - t_start) // updates_per_iteration
                    # Losses at every print point the call passed, as if printed live.
                    for j in range(start + 1, done + 1):
                        if self._is_print_point(j) and j != end:
                            self.print_progress(
                                self._info(t_start, j - start, losses, updates_per_iteration)
                            )
                    self._raise_if_failed(failed)
                info = self._info(t_start, done - start, losses, updates_per_iteration)
                if end in stops["evaluate"]:
                    info["eval"] = self._evaluate(evaluate)
                if end in stops["checkpoint"]:
                    self.save()
                self.print_progress(info)
        except KeyboardInterrupt:
            if self._manager is not None:
                print(
                    f"adinfer: interrupted at t={int(self.t.numpy())}; saved {self.save()}",
                    flush=True,
                )
            raise
        finally:
            self.finalize()

    @staticmethod
    def _info(t_start, k, losses, updates_per_iteration):
        """Progress of the k-th iteration of a compiled call that began at `t_start`."""
        upi = updates_per_iteration
        t = t_start + k * upi
        loss, loss_d = (float(x) for x in losses[k - 1])
        return {"t": t, "loss": loss, "loss_d": loss_d, "iteration": t // upi}

    def _is_print_point(self, iteration):
        n_print = self.n_print
        return bool(n_print) and (
            iteration == 1 or iteration % n_print == 0 or iteration == self.n_iter
        )

    def print_progress(self, info):
        """Updates the progress bar with `Gen Loss` and `Disc Loss` when the step
        (`info["iteration"]` in `run`, else `info["t"]`) is 1, a multiple of
        `n_print`, or the last; evaluation results (`info["eval"]`) are shown
        whenever given.
        """
        if not self.n_print:
            return
        step = info.get("iteration", info["t"])
        values = [(f"eval/{k}", v) for k, v in info.get("eval", {}).items()]
        if self._is_print_point(step) or values:
            self.progbar.stateful_metrics.update(name for name, _ in values)
            self.progbar.update(
                min(step, self.progbar.target),
                [("Gen Loss", info["loss"]), ("Disc Loss", info["loss_d"])] + values,
                finalize=step >= self.progbar.target,
            )

    def finalize(self):
        """Saves a last checkpoint (if updates were made since the newest) and
        flushes and closes what `initialize` opened.
        """
        if self._manager is not None and int(self.t.numpy()) != self._saved_t:
            self.save()
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
            self._compiled, self._traced_config = {}, None  # they hold the closed writer
            if not self.replicas.is_chief:
                shutil.rmtree(self.logdir, ignore_errors=True)

    # -- Checkpoints ------------------------------------------------------------

    def save(self):
        """Writes a checkpoint of the whole training state to `checkpoint_dir`
        (numbered by `t`); returns its path.
        """
        if self._manager is None:
            raise ValueError("save() needs initialize(checkpoint_dir=...).")
        t = int(self.t.numpy())
        if self.replicas.is_chief:
            path = self._manager.save(checkpoint_number=t)
        else:  # every worker takes part in a save; only the chief's is kept
            private = self.replicas.private_dir()
            self._checkpoint.write(os.path.join(private, "ckpt"))
            shutil.rmtree(private, ignore_errors=True)
            path = os.path.join(self._manager.directory, f"ckpt-{t}")
        self._saved_t = t
        return path

    @property
    def checkpoint(self):
        """The `tf.train.Checkpoint` of the training state (after `initialize`)."""
        return self._checkpoint

    def _loss_scaled(self, optimizer):
        """`optimizer` wrapped in Keras's `LossScaleOptimizer` under the
        "mixed_float16" policy (as `Model.compile` does), the same wrapper each time.
        """
        if keras.mixed_precision.global_policy().name != "mixed_float16" or _scales_loss(optimizer):
            return optimizer
        wrappers = self.__dict__.setdefault("_loss_scale_wrappers", {})
        if id(optimizer) not in wrappers:
            wrappers[id(optimizer)] = (optimizer, keras.optimizers.LossScaleOptimizer(optimizer))
        return wrappers[id(optimizer)][1]

    def _check_checkpoint_args(self, checkpoint_dir, checkpoint_every, max_to_keep, warm_start):
        if checkpoint_dir is not None and not isinstance(checkpoint_dir, (str, os.PathLike)):
            raise TypeError(
                f"checkpoint_dir must be a directory path, got {type(checkpoint_dir).__name__}."
            )
        if checkpoint_dir is not None and os.path.exists(checkpoint_dir):
            if not os.path.isdir(checkpoint_dir):
                raise ValueError(
                    f"checkpoint_dir {os.fspath(checkpoint_dir)!r} is not a directory."
                )
        data_lib.check_int(checkpoint_every, "checkpoint_every", allow_none=True)
        data_lib.check_int(max_to_keep, "max_to_keep", allow_none=True)
        if checkpoint_every is not None and checkpoint_dir is None:
            raise ValueError("checkpoint_every needs checkpoint_dir.")
        return None if warm_start is None else checkpoints.resolve(warm_start, "warm_start_from")

    def _open_checkpoints(self, checkpoint_dir, checkpoint_every, max_to_keep, warm_start):
        """Builds the checkpoint of the training state; resumes from
        `checkpoint_dir`'s newest checkpoint, or else warm-starts.
        """
        self.checkpoint_every = checkpoint_every
        tracked = {
            "t": self.t,
            "networks": {g: list(self._networks[g].values()) for g in GROUPS},
            "variables": {
                g: [scopes.raw_variable(v) for v in self.variables[g]] for g in self.groups
            },
            "state": self.state_variables,
            **{OPTIMIZER_ARGUMENT[g]: self.optimizers[g] for g in self.groups},
        }
        if self.ema_decay is not None:
            tracked["averages"] = self.averages
        # A worker's data position is that of its shard: it is restored only
        # into a run with as many workers (every other part restores into any).
        workers = self.replicas.workers
        data = {}
        if self.stream.iterator is not None:
            data = {"data" if workers == 1 else f"data_{workers}_workers": self.stream.iterator}
        self._checkpoint = tf.train.Checkpoint(**tracked, **data)
        # Its save counter, a variable, is made now, on every worker alike (a
        # variable made under a multi-worker strategy is a collective op).
        self._checkpoint.save_counter  # noqa: B018
        self._manager = None
        if checkpoint_dir is not None:
            self._manager = tf.train.CheckpointManager(
                self._checkpoint, os.fspath(checkpoint_dir), max_to_keep, checkpoint_name="ckpt"
            )
        newest = self._manager and self._manager.latest_checkpoint
        if newest:
            # Two restores (the data alone may not match); each reads a part.
            restored = tf.train.Checkpoint(**tracked).restore(newest).expect_partial()
            restored.assert_existing_objects_matched()
            note = ""
            if data:
                try:
                    restored = tf.train.Checkpoint(**data).restore(newest).expect_partial()
                    restored.assert_existing_objects_matched()
                except AssertionError:
                    note = " (the data position was saved with another number of workers: not restored)"
            print(f"adinfer: resumed from {newest} at t={int(self.t.numpy())}{note}", flush=True)
        elif warm_start is not None:
            networks = tf.train.Checkpoint(
                networks=tracked["networks"], variables=tracked["variables"]
            )
            trained = [scopes.raw_variable(v) for g in self.groups for v in self.variables[g]]
            network_vars = [
                scopes.raw_variable(v)
                for g in GROUPS
                for net in self._networks[g].values()
                for v in net.variables
            ]
            checkpoints.restore_matched(
                networks, warm_start, "warm_start_from", _unique(trained + network_vars)
            )
        self._saved_t = int(self.t.numpy())

    @property
    def state_variables(self):
        """Every variable the objective reads, trainable or not (network weights,
        batch-norm statistics, `keras.random.SeedGenerator` states, ...), found
        by tracing the objective once: what a checkpoint must hold for training
        to continue exactly, and what evaluation puts back.
        """
        if self._state_variables is None:
            self._build()
            x_true = self.stream.example_batch(self.batch_size)
            self._activity = {group: [] for group in GROUPS}
            traced = tf.function(lambda: self.objectives(x_true), autograph=False)
            # Under a strategy the trace reads one copy of a mirrored variable.
            read = [_distributed(v) for v in traced.get_concrete_function().variables]
            trained = [
                scopes.raw_variable(v)
                for g in self.groups
                for v in getattr(self, "variables", {}).get(g, [])
            ]
            # A trace lists what it read in no fixed order; creation order is
            # the same in every process that runs the same program.
            self._state_variables = sorted(_unique(read + trained), key=_creation_order)
        return self._state_variables

    # -- Sampling and export ----------------------------------------------------

    @_in_strategy
    def sample(self, n, ema=True):
        """`n` generated examples as a NumPy array, drawn in batches of
        `batch_size` (256 without one); from the averaged weights when
        `initialize(ema_decay=...)` keeps them, unless `ema=False`.
        """
        n = _count(n, "n")
        fn = self._served("sample", ema)
        return tf.nest.map_structure(lambda x: x.numpy(), fn(tf.constant(n, tf.int32)))

    @_in_strategy
    def export(self, path, ema=True):
        """Writes a SavedModel to `path` whose loaded object serves `sample(n)`
        (an int32 scalar in, a batch out) and the subclass's other maps
        (`encode(x)`, `reconstruct(x)` for BiGAN); `tf.saved_model.load(path)`
        serves it without adinfer. The random streams the generator reads are
        saved with their current state; the averaged weights are served when
        kept, unless `ema=False`.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a directory path, got {type(path).__name__}.")
        module = tf.Module()
        captured = []
        for name in self._exported_functions():
            fn = self._served(name, ema)
            setattr(module, name, fn)
            captured += fn.get_concrete_function().variables
        module.captured_variables = _unique(captured)
        tf.saved_model.save(module, os.fspath(path))
        return os.fspath(path)

    def _generate(self, n):
        """A batch of n generated examples (a subclass with a generator states it)."""
        raise NotImplementedError(f"{type(self).__name__} has no generator to sample from.")

    def _exported_functions(self):
        """`{name: tf.function with an input signature}`: what `export` serves."""
        self._build()
        batch = self.batch_size or 256

        def sample(n):
            return _map_batches(lambda i: self._generate(batch), _ceil_div(n, batch))[:n]

        return {
            "sample": tf.function(
                sample, input_signature=[tf.TensorSpec([], tf.int32)], autograph=False
            )
        }

    # -- Averaged weights (generator EMA) ----------------------------------------

    @property
    def averages(self):
        """The exponential moving averages of the "Gen" variables (with
        `initialize(ema_decay=...)`), in the order of `variables["Gen"]`.

        Kept beside the trained weights, which they never overwrite: Keras's
        `optimizer(use_ema=True)` instead copies its averages into the weights
        (`finalize_variable_values`), after which training cannot go on from
        the raw weights; a GAN is trained on raw weights and sampled from the
        averaged ones (Karras et al., 2018; Yazıcı et al., 2019).
        """
        trained = [scopes.raw_variable(v) for v in self.variables["Gen"]]
        key = tuple(id(v) for v in trained)
        if getattr(self, "_averages_key", None) != key:
            self._averages = [
                tf.Variable(v.read_value(), trainable=False, name=v.name.split(":")[0] + "_ema")
                for v in trained
            ]
            self._averages_key = key
        return self._averages

    def _averaged_pairs(self, use):
        """`(variable, average)` pairs when averages are kept and `use`, else ()."""
        if not use or getattr(self, "ema_decay", None) is None:
            return ()
        return tuple(zip((scopes.raw_variable(v) for v in self.variables["Gen"]), self.averages))

    def _update_averages(self):
        decay = self.ema_decay
        for v, average in self._averaged_pairs(True):
            average.assign(decay * average + (1.0 - decay) * v)

    def _with_weights(self, fn, ema):
        """`fn` (a `tf.function` with an input signature) run with the averaged
        "Gen" weights swapped in and the trained ones put back, in one graph.
        """
        pairs = self._averaged_pairs(ema)
        if not pairs:
            return fn

        def swapped(*args):
            trained = [v.read_value() for v, _ in pairs]
            with tf.control_dependencies(trained):
                swaps = [v.assign(average) for v, average in pairs]
            with tf.control_dependencies(swaps):
                out = fn(*args)
            with tf.control_dependencies(tf.nest.flatten(out)):
                restores = [v.assign(value) for (v, _), value in zip(pairs, trained)]
            with tf.control_dependencies(restores):
                return tf.nest.map_structure(tf.identity, out)

        return tf.function(swapped, input_signature=fn.input_signature, autograph=False)

    def _served(self, name, ema=True):
        """The compiled `name` function of `_exported_functions`, with the
        averaged weights when `ema` and averages are kept.
        """
        ema = ema and self.ema_decay is not None
        fn = self._compiled.get((name, ema))
        if fn is None:
            fn = self._compiled[name, ema] = self._with_weights(
                self._exported_functions()[name], ema
            )
        return fn

    # -- Evaluation and failures ------------------------------------------------

    def _evaluate(self, evaluate):
        """Runs `evaluate(self)`, putting back every state variable it touches."""
        state = self.state_variables
        before = [v.read_value() for v in state]
        try:
            for v, average in self._averaged_pairs(True):
                v.assign(average)
            results = evaluate(self)
        finally:
            for v, value in zip(state, before):
                v.assign(value)
        if not isinstance(results, dict) or not all(isinstance(k, str) for k in results):
            raise TypeError(
                f"evaluate must return a dict of str -> scalar, got {type(results).__name__}."
            )
        values = {}
        for name, value in results.items():
            value = np.asarray(value)
            if value.shape != () or not np.issubdtype(value.dtype, np.number):
                raise TypeError(f"evaluate: {name!r} must be a scalar number, got {value!r}.")
            values[name] = float(value)
        if self._writer is not None:
            with self._writer.as_default(step=int(self.t.numpy())):
                for name, value in values.items():
                    tf.summary.scalar(f"eval/{name}", value)
        return values

    def _raise_if_failed(self, failed):
        failed = int(failed)
        if failed:
            groups = [g for i, g in enumerate(GROUPS) if failed & (1 << i)]
            t = int(self.t.numpy())
            raise NonFiniteError(
                f"update t={t + 1} ({' and '.join(groups)}): the objective or its gradients are "
                f"not finite; nothing was updated, so the weights are those after t={t}. Lower "
                "the learning rate, or initialize(debug=True) to find the op."
            )

    def _stops(self, updates_per_iteration, evaluate_every):
        """Iterations where `run` must return to Python: evaluations,
        checkpoints and the end. Progress is read from what each call records.
        """
        n = self.n_iter
        every = lambda k: set(range(k, n + 1, k)) if k else set()
        evaluated = every(evaluate_every) | ({n} if evaluate_every else set())
        saved = (
            {n}
            if self.checkpoint_every is None
            else {n}
            | {
                -(-k * self.checkpoint_every // updates_per_iteration)
                for k in range(1, n * updates_per_iteration // self.checkpoint_every + 1)
            }
        )
        return {
            "all": sorted(e for e in evaluated | saved | {n} if e > 0),
            "evaluate": evaluated,
            "checkpoint": saved if self._manager is not None else set(),
        }

    @contextlib.contextmanager
    def summaries(self, condition=True):
        """Inside a compiled step, with `logdir`: TensorBoard writes in this
        context are recorded at step `t`, at the updates where the engine
        writes its own (t = 1 and every `n_print`), and when `condition`.
        """
        t = self.t.read_value()
        record = tf.logical_and(condition, tf.logical_or(t == 1, t % max(self.n_print, 1) == 0))
        # The root name scope keeps tags free of the fused loop's "while/".
        with (
            tf.compat.v1.name_scope(None),
            self._writer.as_default(step=t),
            tf.summary.record_if(record),
        ):
            yield

    # -- The engine -------------------------------------------------------------

    def _build(self):
        """Runs the objective once, eagerly, to build lazily created networks
        under their group's scope and to see which variables each group reads.
        """
        if self._built:
            return
        self._discovery = {group: [] for group in GROUPS}
        self._networks = {group: {} for group in GROUPS}
        try:
            x_true = self.stream.example_batch(self.batch_size)
            loss, loss_d, _ = self._forward(x_true)
            found = self._discovery
        finally:
            self._discovery = None
        if loss.dtype != loss_d.dtype or loss.shape.rank != 0 or loss_d.shape.rank != 0:
            raise ValueError(
                f"objectives must return two scalars of one dtype, got {loss!r}, {loss_d!r}."
            )
        self._loss_dtype = loss.dtype
        self._found = {}
        for group in GROUPS:
            by_id = {}
            for watched, layers in found[group]:
                keras_vars = scopes.keras_variables(layers)
                for v in map(_distributed, watched):  # a mirrored copy: its variable
                    v = keras_vars.get(id(v), v)
                    if scopes.is_trainable(v):
                        by_id[id(scopes.raw_variable(v))] = v
            self._found[group] = by_id
        self._built = True

    def _group_variables(self, var_lists):
        groups = {}
        for group, var_list in var_lists.items():
            if var_list is None:
                groups[group] = list(self._found[group].values())
                continue
            if not isinstance(var_list, (list, tuple)) or not all(
                isinstance(v, (tf.Variable, keras.Variable)) for v in var_list
            ):
                raise TypeError(
                    f"{VAR_LIST_ARGUMENT[group]} must be a list of variables, "
                    f"got {type(var_list).__name__}."
                )
            groups[group] = list(var_list)
        if len(self.groups) == 2 and all(var_list is None for var_list in var_lists.values()):
            shared = set(self._found["Gen"]) & set(self._found["Disc"])
            if shared:
                names = sorted(scopes.name_of(self._found["Gen"][k]) for k in shared)
                raise ValueError(
                    f"variables {names} are read by both the generative side and the "
                    f"discriminator; pass var_list and var_list_d to say which group owns them."
                )
        for group in self.groups:
            if not groups[group]:
                side = (
                    "the generative programs read" if group == "Gen" else "the discriminator reads"
                )
                raise ValueError(
                    f'the "{group}" group has no trainable variables: {side} none (constants '
                    f"or frozen layers); give it trainable weights or pass "
                    f"{VAR_LIST_ARGUMENT[group]}."
                )
        return groups

    def _check_variables(self, variables):
        expected = " or ".join(["None"] + [f'"{g}"' for g in self.groups])
        if variables is not None and not isinstance(variables, str):
            raise TypeError(f"variables must be {expected}, got {type(variables).__name__}.")
        if variables is not None and variables not in self.groups:
            raise ValueError(f"variables must be {expected}, got {variables!r}.")

    def _groups(self, variables):
        return self.groups if variables is None else (variables,)

    def _forward(self, x_true):
        """The objectives with each group's regularization summed in, once."""
        self._activity = {group: [] for group in GROUPS}
        loss, loss_d, d_outputs = self.objectives(x_true)
        if self._discovery is None:
            loss = loss + self._regularization("Gen", loss.dtype)
            loss_d = loss_d + self._regularization("Disc", loss_d.dtype)
        return loss, loss_d, d_outputs

    def _regularization(self, group, dtype):
        terms = (
            scopes.weight_regularization(self.variables.get(group, []))
            + self._activity[group]
            + scopes.added_losses(group)
        )
        return tf.add_n([tf.cast(term, dtype) for term in terms]) if terms else tf.zeros([], dtype)

    def _update(self, groups, x_true, blocked):
        """One forward pass, then a gradient step for each group in `groups`,
        taken only if every objective and gradient is finite and no earlier
        update of this call failed (`blocked` != 0). Returns the objectives, the
        discriminator outputs, the gradient norms and `failed`: `blocked`, or a
        bit per group whose objective or gradients were not finite.

        Under a strategy, each replica computes its objectives and gradients on
        its part of the batch; the finiteness check is summed over replicas, so
        every replica takes the same branch, and the optimizers sum the
        gradients.
        """
        replicas = self.replicas
        gradients = functools.partial(self._gradients, groups)
        if self.jit_compile and replicas.distributed:
            # XLA per replica: a function of each replica's own, as a shared
            # one would reuse the first replica's trace, and its variables.
            gradients = functools.partial(_jit_call, gradients)
        scalars, d_outputs, grads = replicas.run(gradients, x_true)
        loss, loss_d, *checks = replicas.sum_scalars(scalars)
        failed = tf.add_n(
            [
                tf.where(tf.math.is_finite(check), 0, 1 << GROUPS.index(g))
                for g, check in zip(groups, checks)
            ]
        )
        failed = tf.where(tf.equal(blocked, 0), failed, blocked)

        def apply():
            replicas.run(functools.partial(self._apply, groups), grads)
            for g in groups:
                self.after_update(g)
            if "Gen" in groups:
                self._update_averages()
            return tf.constant(0)

        # A step with a non-finite objective or gradient is not taken: the
        # weights stay at the last finite state, and `run` stops there. Only
        # the optimizer runs in the branch: random ops stay in the main graph,
        # where each keeps its own seed.
        tf.cond(tf.equal(failed, 0), apply, lambda: tf.constant(0))
        zero = tf.zeros_like(loss)
        # Gradient norms only feed summaries: no work for them without a writer.
        norms = (
            {g: tf.linalg.global_norm(replicas.sum(grads[g])) for g in groups}
            if self._writer is not None
            else {}
        )
        return (
            (loss if "Gen" in groups else zero),
            (loss_d if "Disc" in groups else zero),
            replicas.concat(d_outputs),
            norms,
            failed,
        )

    def _gradients(self, groups, x_true):
        """On one replica: the objectives of its part of the batch, divided by
        the number of replicas (their sum over replicas is the global batch's),
        and a finiteness term per group (NaN or Inf when the objective or a
        gradient is), as `scalars`; the discriminator outputs; the gradients of
        each group.
        """
        x_true = self.replicas.local_part(x_true)
        if self.debug:
            x_true = self.stream.checked(x_true)
        raw = {g: [scopes.raw_variable(v) for v in self.variables[g]] for g in groups}
        tapes = {g: tf.GradientTape(watch_accessed_variables=False) for g in groups}
        with contextlib.ExitStack() as stack:
            for g in groups:
                stack.enter_context(tapes[g]).watch(raw[g])
            loss, loss_d, d_outputs = self._forward(x_true)
            if self.replicas.count > 1:
                loss, loss_d = loss / self.replicas.count, loss_d / self.replicas.count
            objective = {"Gen": loss, "Disc": loss_d}
            # float16: Keras's LossScaleOptimizer scales here, unscales and skips
            # non-finite steps in `apply_gradients`.
            scaled = {
                g: self.optimizers[g].scale_loss(objective[g])
                if _scales_loss(self.optimizers[g])
                else objective[g]
                for g in groups
            }
        # All gradients come from the same forward pass, before any variable moves.
        grads = {g: tapes[g].gradient(scaled[g], raw[g]) for g in groups}
        if self.debug:
            for g in groups:
                tf.debugging.check_numerics(objective[g], f"{g} objective")
                grads[g] = [tf.debugging.check_numerics(x, f"{g} gradient") for x in grads[g]]
        # Under loss scaling, overflowing gradients are expected and skipped by
        # the optimizer; only a non-finite objective is a failure.
        checks = [
            _finiteness(objective[g], [] if _scales_loss(self.optimizers[g]) else grads[g])
            for g in groups
        ]
        return self.replicas.scalars([loss, loss_d, *checks]), d_outputs, grads

    def _apply(self, groups, grads):
        """On one replica: each group's optimizer step (Keras optimizers sum
        the gradients over replicas).
        """
        for g in groups:
            self.optimizers[g].apply_gradients(zip(grads[g], self.variables[g]))

    def _step(self, groups, fed, blocked=0):
        """One update inside a compiled function: read a batch, step, summarise.
        Returns `(t, loss, loss_d, failed)`; an update that failed, or that an
        earlier failure of the same call blocked, leaves `t` and the variables
        as they were.
        """
        x_true = self.stream.next(fed)
        t = self.t.assign_add(1)
        update = self._update
        if self.jit_compile and not self.replicas.distributed:
            update = tf.function(update, jit_compile=True, autograph=False)
        loss, loss_d, d_outputs, grad_norms, failed = update(
            groups, x_true, tf.convert_to_tensor(blocked, tf.int32)
        )
        if self._writer is not None:
            with self.summaries(tf.equal(failed, 0)):
                if "Gen" in groups:
                    tf.summary.scalar("loss", loss)
                if "Disc" in groups:
                    tf.summary.scalar("loss/discriminative", loss_d)
                if d_outputs is not None:
                    tf.summary.histogram("discriminator_outputs", d_outputs)
                for g, norm in grad_norms.items():
                    tf.summary.scalar(f"gradient_norm/{g}", norm)
        with tf.control_dependencies([t]):
            t = tf.cond(tf.equal(failed, 0), lambda: t, lambda: self.t.assign_sub(1))
        return t, loss, loss_d, failed

    def _loop(self, n, n_critic, fed):
        """`n` iterations in one compiled call (a `tf.while_loop`), stopping
        after the first update that failed. Returns `t`, the losses of every
        iteration (`[n, 2]`: what the progress bar shows at any print point the
        call passes) and `failed`.
        """

        def iteration():
            if n_critic is None:
                return self._step(self.groups, fed)
            failed = 0
            for _ in range(n_critic):
                _, _, loss_d, failed = self._step(("Disc",), fed, failed)
            t, loss, _, failed = self._step(("Gen",), fed, failed)
            return t, loss, loss_d, failed

        def body(i, t, failed, losses):
            t, loss, loss_d, failed = iteration()
            return i + 1, t, failed, losses.write(i, tf.stack([loss, loss_d]))

        losses = tf.TensorArray(self._loss_dtype, size=n, element_shape=[2])
        start = (tf.constant(0), self.t.read_value(), tf.constant(0), losses)
        _, t, failed, losses = tf.while_loop(
            lambda i, t, failed, losses: tf.logical_and(i < n, tf.equal(failed, 0)),
            body,
            start,
        )
        return t, losses.stack(), failed


class NonFiniteError(FloatingPointError):
    """An update whose objective or gradients were NaN or Inf (it was not taken)."""


def _finiteness(objective, grads):
    """`objective` plus the sum of all gradient entries: NaN or Inf when any
    of them is (or when the sum passes the float range, a step no learning rate
    would survive). One reduction per gradient keeps the check cheap beside the
    step, and a sum over replicas keeps its meaning.
    """
    terms = [objective]
    for g in grads:
        if g is not None:
            values = g.values if isinstance(g, tf.IndexedSlices) else g
            terms.append(tf.cast(tf.reduce_sum(values), objective.dtype))
    return tf.add_n(terms)


def _scales_loss(optimizer):
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def _to_float32_if_half(x):
    if tf.is_tensor(x) and x.dtype in (tf.float16, tf.bfloat16):
        return tf.cast(x, tf.float32)
    return x


def _as_one_vector(values):
    """`(t, loss, loss_d, failed)` as one float64 vector (exact for t < 2⁵³),
    so that `update` reads its results back in one transfer.
    """
    return tf.stack([tf.cast(v, tf.float64) for v in values])


def _map_batches(fn, n_batches):
    """`concat([fn(i) for i in range(n_batches)])`, in a `tf.while_loop`."""
    spec = (
        tf.function(fn, autograph=False)
        .get_concrete_function(tf.TensorSpec([], tf.int32))
        .structured_outputs
    )
    batches = tf.TensorArray(spec.dtype, size=n_batches, element_shape=spec.shape)
    _, batches = tf.while_loop(
        lambda i, _: i < n_batches,
        lambda i, batches: (i + 1, batches.write(i, fn(i))),
        (tf.constant(0), batches),
    )
    return batches.concat()


def _ceil_div(a, b):
    return (a + b - 1) // b


def _count(n, name):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{name} must be a non-negative int, got {n!r}.")
    return int(n)


def _distributed(variable):
    """The distributed (e.g. mirrored) variable `variable` is a copy of, if any."""
    if isinstance(variable, tf.distribute.DistributedValues):
        return variable
    # TF marks a copy by a weak reference on its handle (see its value_container).
    container = getattr(getattr(variable, "handle", None), "_distributed_container", None)
    container = container() if container is not None else None
    return variable if container is None else container


def _creation_order(variable):
    """The process-wide counter TensorFlow gives a variable when created."""
    suffix = getattr(variable, "_unique_id", "").rpartition("_")[2]
    return int(suffix) if suffix.isdigit() else -1


def _unique(variables):
    """`variables` without repeats (by identity), in order."""
    return list({id(v): v for v in variables}.values())


class _ChunkSizer:
    """Iterations per compiled call of `run`: enough that Python's share of the
    time is small, few enough that progress shows about every `SECONDS`;
    measured from the calls themselves, the first (tracing) one excluded.
    Without `by_clock` (several workers, which must make the same calls) the
    lengths are 1, 8, 40, then `UNTIMED_MOST`.
    """

    SECONDS = 0.5
    UNTIMED_MOST = 100  # the longest call when lengths may not depend on time

    def __init__(self, most=None, by_clock=True):
        self.most = most or (None if by_clock else self.UNTIMED_MOST)
        self.by_clock = by_clock
        self.size = 1  # the first call traces: one iteration
        self.calls = 0

    @contextlib.contextmanager
    def timed(self, left):
        n = min(left, self.size, self.most or left)
        start = time.perf_counter()
        yield n
        seconds = time.perf_counter() - start
        self.calls += 1
        if self.calls == 1:
            self.size = 8
        elif not self.by_clock:
            self.size = 4 * self.size + 8
        else:
            per_iteration = max(seconds / n, 1e-7)
            self.size = int(min(max(self.SECONDS / per_iteration, 1), 4 * self.size + 8))
