"""The base class: Edward's lifecycle, composing the engine's parts."""

import keras
import tensorflow as tf

from adinfer import data as data_lib
from adinfer import distribute, validate
from adinfer import optimizers as optimizers_lib
from adinfer.engine import (
    averages,
    checkpointing,
    groups,
    handles,
    loop,
    reporting,
    schedule,
    serving,
)
from adinfer.engine import step as step_lib
from adinfer.engine.handles import in_strategy
from adinfer.engine.step import NonFiniteError

GROUPS = groups.GROUPS
__all__ = ["GROUPS", "Inference", "NonFiniteError"]


class Inference(handles.Handles):
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
    input signature); `run` fuses several updates into one compiled call. After
    `initialize`, `inference.variables[group]` lists the variables each group
    trains and `inference.optimizers[group]` its optimizer.

    Built inside a `tf.distribute` strategy's scope (networks, optimizers and
    the inference), the same inference trains data-parallel on the strategy's
    replicas; the global batch is split across them and the update is the
    one a single device makes for that batch (see `adinfer.distribute`).

    The machinery lives in `adinfer.engine`, one part per responsibility, each
    an attribute: `grouping` (program calls, groups, regularization), `trainer`
    (the compiled step and loop), `averaging` (generator EMA), `checkpointing`,
    `serving` (sample and export), `reporting` (summaries, progress); `run`'s
    driver is `engine.loop`, and the handles on the parts (`call`, `save`,
    `state_variables`, `train_function`, ...) come from `engine.handles`.
    """

    groups = GROUPS  # the groups this inference trains
    # Groups whose objective differentiates itself (TF-GAN's gradient_ratio): their
    # tape is persistent and `self.trainer.tapes[group]` is `(tape, variables)`.
    persistent_tapes = ()
    _objective_args = ()  # attributes a subclass's `initialize` sets (see `_initialize_with`)

    def __init__(self, data, batch_size=None, seed=None):
        """
        Args:
          data: `{model: observations}`, one pair, or None for an inference
            without observed data (then `objectives` receives `x_true=None`).
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling.
        """
        if data is not None:
            validate.binding(data, "data", "{model: observations}")
        batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
        # The strategy whose scope the inference is built in, kept like a Keras
        # model keeps its own: every later call runs in it.
        replicas = distribute.Replicas(tf.distribute.get_strategy())
        replicas.check_batch(batch_size)
        self.replicas = replicas
        self.data, self.batch_size, self.seed = data, batch_size, seed
        (observed,) = data.values() if data else (None,)
        self.stream = data_lib.Stream(
            observed, batch_size, seed, name="data value", replicas=replicas
        )
        self.t = tf.Variable(0, dtype=tf.int64, trainable=False, name="t")
        self.grouping = groups.Groups()
        self.trainer = step_lib.Trainer(self)
        self.averaging = averages.Averages(self.t)
        self.checkpointing = checkpointing.Checkpointing(self)
        self.serving = serving.Serving(self)
        self.reporting = reporting.Reporting(replicas)
        self.variables, self.optimizers = {}, {}
        self.debug = self.jit_compile = False
        self._initialized = False
        self.stop_training, self.history = False, None  # as a Keras model's, for callbacks
        self._state_variables = None
        self._loss_scale_wrappers = {}

    # -- What a subclass states -------------------------------------------------

    def objectives(self, x_true):
        """Returns `(loss, loss_d, d_outputs)` for one batch of observations,
        before regularization; call networks through `self.call(group, ...)`.
        `d_outputs` (for the histogram summary) may be None.
        """
        raise NotImplementedError

    def after_update(self, group):
        """Called in the compiled step after `group`'s variables were updated."""

    def generate(self, n):
        """A batch of n generated examples, what `sample` and `export` serve (a
        subclass with a generator states it).
        """
        raise NotImplementedError(f"{type(self).__name__} has no generator to sample from.")

    def serving_functions(self):
        """`{name: tf.function with an input signature}`: what `export` serves;
        `sample(n)` from `generate` by default.
        """
        self.build()
        return {"sample": serving.sample_function(self.generate, self.batch_size or 256)}

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

    # -- Lifecycle --------------------------------------------------------------

    @in_strategy
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
        ema_warmup=False,
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
            "Gen" variable, w̄ ← d·w̄ + (1 − d)·w after each "Gen" update,
            starting from the weights at `initialize`; `sample`, `encode`,
            `reconstruct`, `export` and `run`'s evaluation then use the averaged
            weights (`ema=False` for the raw ones). See `adinfer.engine.averages`.
          ema_warmup: use d_t = min(d, (1 + t) / (10 + t)) at update t
            (`tf.train.ExponentialMovingAverage`'s `num_updates`), so that a
            short run's average does not keep the initial weights (which
            without it still weigh d^k after k "Gen" updates).
        """
        # Validate arguments: nothing changes before every one has passed.
        n_iter = validate.integer(n_iter, "n_iter", minimum=0)
        n_print = validate.integer(n_print, "n_print", minimum=0, allow_none=True)
        steps_per_execution = validate.integer(
            steps_per_execution, "steps_per_execution", allow_none=True
        )
        logdir = validate.writable_directory(logdir, "logdir")
        if isinstance(optimizer, keras.optimizers.Optimizer) and optimizer is optimizer_d:
            raise ValueError(
                "optimizer and optimizer_d must be distinct objects: "
                "each group's optimizer keeps its own slots."
            )
        warm_start_from = checkpointing.check_arguments(
            checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from
        )
        ema_decay = validate.number(
            ema_decay, "ema_decay", low=0, high=1, low_open=True, high_open=True, allow_none=True
        )
        ema_warmup = validate.boolean(ema_warmup, "ema_warmup")
        arguments = {"Gen": (optimizer, var_list), "Disc": (optimizer_d, var_list_d)}
        optimizers = {
            g: optimizers_lib.loss_scaled(
                optimizers_lib.build(arguments[g][0], checkpointing.OPTIMIZER_ARGUMENT[g]),
                self._loss_scale_wrappers,
            )
            for g in self.groups
        }
        self.build()
        variables = self.grouping.variables(self.groups, {g: arguments[g][1] for g in GROUPS})
        # Last check, before anything changes: the lock, and the resume or warm start as a trial.
        plan = self.checkpointing.prepare(
            checkpoint_dir, warm_start_from, optimizers, variables, ema_decay
        )

        # Set up: groups, optimizers, averages, reporting, compiled steps, checkpoints.
        self.steps_per_execution = steps_per_execution
        self.debug, self.jit_compile = debug, jit_compile
        self.variables, self.optimizers = variables, optimizers
        for group, opt in optimizers.items():
            if not opt.built:
                opt.build(variables[group])
        self.averaging.decay, self.averaging.warmup = ema_decay, ema_warmup
        self.averaging.start(variables["Gen"])
        self.t.assign(0)
        self.reporting.open(
            n_iter, max(1, n_iter // 100) if n_print is None else n_print, logdir, log_timestamp
        )
        # Compiled steps survive a new `initialize` (a second `run`, say) unless
        # something they were traced with changed, as Keras keeps `train_function`.
        config = self.trainer.configuration()
        if config != self.trainer.traced_config:
            self.serving.clear()
            self._traced_objects = (optimizers, variables, self.reporting.writer)
        self.trainer.retrace_if_changed(config)
        self._initialized = True
        self.checkpointing.open(checkpoint_dir, checkpoint_every, max_to_keep, plan)

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
            Inf, or the update made a weight or optimizer slot so; nothing was
            kept (`t` and every variable are as before).
        """
        if not self._initialized:
            raise RuntimeError("call initialize() before update().")
        self._check_variables(variables)
        fed = self.stream.feed_args(feed_dict)
        step = self.trainer.update_function(variables)
        t, loss, loss_d, failed = step(*fed).numpy().tolist()  # one host sync
        step_lib.raise_if_failed(failed, int(t))
        t = int(t)
        self.checkpointing.save_if_due(t)
        return {"t": t, "loss": loss, "loss_d": loss_d}

    @in_strategy
    def run(
        self,
        n_critic=None,
        feed_dict=None,
        evaluate=None,
        evaluate_every=None,
        callbacks=None,
        train_steps=None,
        **kwargs,
    ):
        """Edward's `run`: `initialize(**kwargs)`, `n_iter` iterations with
        progress, `finalize()`; returns the run's `History`, as Keras's `fit`.

        With a `checkpoint_dir` that holds a checkpoint, the run resumes from it
        and continues until `t` reaches the run's total (`n_iter` iterations),
        not `n_iter` more.

        Args:
          n_critic: None for simultaneous updates of both groups; k for k "Disc"
            updates then one "Gen" update per iteration (`t` counts each update).
          feed_dict: a fixed feed for placeholders, used at every update.
          evaluate: `fn(inference) -> {name: scalar}`, called every
            `evaluate_every` iterations and at the end; its values are shown on
            the progress bar, written to TensorBoard and the history as
            `eval/<name>`. The state it touches (random streams, say) is put
            back, so evaluation never changes the trajectory.
          evaluate_every: iterations between evaluations; `max(1, n_iter // 10)`
            by default.
          callbacks: Keras callbacks, with the inference as their `model`, run
            between compiled calls (where and why: `adinfer.engine.loop`).
            Working: `CSVLogger`, `EarlyStopping` (on `loss`, `loss_d` or
            `eval/<name>`, with `mode`; `restore_best_weights` through
            `get_weights`/`set_weights`, after the last checkpoint is written),
            `LambdaCallback`, `TerminateOnNaN` (it and adinfer's guard stop at
            the same iteration), any callback that reads `logs` or sets
            `model.stop_training`. Refused with a ValueError before training
            (they drive a Keras `Model`'s own machinery): `ModelCheckpoint`,
            `BackupAndRestore` (use `checkpoint_dir`), `TensorBoard` (`logdir`),
            `LearningRateScheduler`, `ReduceLROnPlateau` (a learning-rate
            schedule), `SwapEMAWeights` (`ema_decay`).
          train_steps: `adinfer.GANTrainSteps(generator_train_steps=m,
            discriminator_train_steps=k)`, TF-GAN's: k "Disc" updates, then m
            "Gen" updates per iteration; `n_critic=k` is `GANTrainSteps(1, k)`.
          **kwargs: passed to `initialize`.

        Returns:
          A `keras.callbacks.History`: `history.history["loss"]`, `["loss_d"]`,
          `["t"]` and `["eval/<name>"]` of every iteration in `history.epoch`
          (see `adinfer.engine.loop.History`); also `inference.history`.

        Raises:
          NonFiniteError: an update's objective or gradients were not finite; the
            run stopped before it, leaving the weights (and, with checkpoints,
            the newest checkpoint) at the last finite state.
        """
        steps = schedule.train_steps(n_critic, train_steps, type(self).__name__, self.groups)
        evaluate_every = validate.integer(evaluate_every, "evaluate_every", allow_none=True)
        validate.function(evaluate, "evaluate", "fn(inference) -> {name: scalar}", allow_none=True)
        callbacks = loop.checked_callbacks(callbacks)
        fed = self.stream.feed_args(feed_dict)
        self.initialize(**kwargs)
        every = evaluate and (evaluate_every or max(1, self.n_iter // 10))
        manager = self.checkpointing.manager
        plan = schedule.Schedule(
            self.n_iter, steps, every, self.checkpoint_every, manager is not None
        )
        return loop.fit(self, plan, self.trainer.loop_function(steps), fed, evaluate, callbacks)

    def print_progress(self, info):
        """Updates the progress bar with `Gen Loss` and `Disc Loss` when the step
        (`info["iteration"]` in `run`, else `info["t"]`) is 1, a multiple of
        `n_print`, or the last; evaluation results (`info["eval"]`) are shown
        whenever given.
        """
        self.reporting.print_progress(info)

    def finalize(self):
        """Saves a last checkpoint (if updates were made since the newest) and
        flushes and closes what `initialize` opened.
        """
        self.checkpointing.save_if_changed()
        if self.reporting.close():
            self.trainer.retrace_if_changed(None)  # they hold the closed writer

    # -- Sampling and export ----------------------------------------------------

    @in_strategy
    def sample(self, n, ema=True, training=None):
        """`n` generated examples as a NumPy array, drawn in batches of
        `batch_size` (256 without one); from the averaged weights when
        `initialize(ema_decay=...)` keeps them, unless `ema=False`. Programs
        that take Keras's `training` keyword get `training` (None: their own
        default; while training they get True).
        """
        n = validate.integer(n, "n", minimum=0)
        fn = self.serving.function("sample", ema, training)
        return tf.nest.map_structure(lambda x: x.numpy(), fn(tf.constant(n, tf.int32)))

    @in_strategy
    def export(self, path, ema=True, training=None):
        """Writes a SavedModel to `path` whose loaded object serves `sample(n)`
        (an int32 scalar in, a batch out) and the subclass's other maps
        (`encode(x)`, `reconstruct(x)` for BiGAN); `tf.saved_model.load(path)`
        serves it without adinfer. The random streams the generator reads are
        saved with their current state; the averaged weights are served when
        kept, unless `ema=False`; `training` as in `sample`.
        """
        return self.serving.export(path, ema, training)
