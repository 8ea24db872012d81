"""The base class: Edward's lifecycle around one compiled step engine."""

import contextlib
import datetime
import os

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import data as data_lib
from adinfer import optimizers as optimizers_lib
from adinfer import scopes

GROUPS = scopes.GROUPS


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
            raise TypeError("data must have type dict.")
        if data is not None and len(data) != 1:
            raise ValueError(
                f"data must bind exactly one model to its observations, got {len(data)}."
            )
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        (observed,) = data.values() if data else (None,)
        self.stream = data_lib.Stream(observed, batch_size, seed, name="data value")
        self.t = tf.Variable(0, dtype=tf.int64, trainable=False, name="t")
        self._programs = {}  # id(program) -> (program, the Keras layers it uses)
        self._discovery = None  # group -> variables read, during the first pass
        self._built = False
        self._initialized = False
        self._writer = None
        self._compiled, self._traced_config = {}, None

    _objective_args = ()  # attributes a subclass's `initialize` sets (see `_initialize_with`)

    # -- What a subclass states -------------------------------------------------

    def objectives(self, x_true):
        """Returns `(loss, loss_d, d_outputs)` for one batch of observations,
        before regularization; call networks through `self.call(group, ...)`.
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
            tuple(id(x) for x in (self.optimizers["Gen"], self.optimizers["Disc"], self._writer)),
            tuple(tuple(id(v) for v in self.variables[g]) for g in GROUPS),
            self.n_print if self._writer is not None else None,
            self.debug,
            self.jit_compile,
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
            if tape is not None:
                self._discovery[group].append((tape.watched_variables(), entry[1]))
        self._activity[group].extend(
            term for term in scopes.activity_losses(entry[1]) if not any(term is h for h in held)
        )
        return out

    @staticmethod
    def batch_size_of(x):
        """The batch size of `x`: a Python int when static, else a scalar tensor."""
        return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]

    # -- Lifecycle --------------------------------------------------------------

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
    ):
        """Prepares training: variable groups, optimizers, the compiled steps.

        Args:
          n_iter: number of iterations `run` performs; the progress bar's target.
          n_print: iterations between progress updates and summaries;
            `max(1, n_iter // 100)` by default, 0 for none.
          optimizer, optimizer_d: for the "Gen" and "Disc" groups: Keras
            optimizers, Edward's names ("adam", "rmsprop", "sgd", ...) or None
            (Edward's default, Adam with a decaying learning rate).
          var_list, var_list_d: the variables of "Gen" and "Disc", overriding the
            groups found by running the networks.
          logdir: directory for TensorBoard summaries (a timestamped subdirectory
            when `log_timestamp`).
          debug: check losses and gradients for NaN/Inf at every step.
          jit_compile: compile the update with XLA.
          steps_per_execution: the most updates `run` fuses into one compiled
            call; `n_print` by default, so progress is exact.
        """
        for name, value in (
            ("n_iter", n_iter),
            ("n_print", n_print),
            ("steps_per_execution", steps_per_execution),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise ValueError(f"{name} must be a non-negative int, got {value!r}.")
        if steps_per_execution == 0:
            raise ValueError("steps_per_execution must be positive.")
        if isinstance(optimizer, keras.optimizers.Optimizer) and optimizer is optimizer_d:
            raise ValueError(
                "optimizer and optimizer_d must be distinct objects: "
                "each group's optimizer keeps its own slots."
            )
        optimizers = {
            "Gen": optimizers_lib.build(optimizer, "optimizer"),
            "Disc": optimizers_lib.build(optimizer_d, "optimizer_d"),
        }
        self._build()
        variables = self._group_variables({"Gen": var_list, "Disc": var_list_d})

        self.n_iter = n_iter
        self.n_print = max(1, n_iter // 100) if n_print is None else n_print
        self.steps_per_execution = steps_per_execution or self.n_print or min(max(n_iter, 1), 1000)
        self.debug = debug
        self.jit_compile = jit_compile
        self.variables = variables
        self.optimizers = optimizers
        for group, opt in optimizers.items():
            if not opt.built:
                opt.build(variables[group])
        self.t.assign(0)
        if self._writer is not None:
            self._writer.close()
        self._writer = None
        if logdir is not None:
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

    def update(self, feed_dict=None, variables=None):
        """One optimisation step.

        Args:
          feed_dict: `{placeholder: batch}` when the data is a placeholder.
          variables: None updates both groups from one forward pass (Edward's
            simultaneous update); "Gen" or "Disc" updates that group only.

        Returns:
          `{"t": int, "loss": float, "loss_d": float}`; `t` counts every update,
          and the objective of a group not updated is reported as 0.0.
        """
        if not self._initialized:
            raise RuntimeError("call initialize() before update().")
        self._check_variables(variables)
        fed = self.stream.feed_args(feed_dict)
        step = self._compiled.get(("update", variables))
        if step is None:
            step = self._compiled["update", variables] = tf.function(
                lambda *fed: self._step(self._groups(variables), fed),
                input_signature=self.stream.input_signature,
                autograph=False,
            )
        t, loss, loss_d = step(*fed)
        return {"t": int(t), "loss": float(loss), "loss_d": float(loss_d)}

    def run(self, n_critic=None, feed_dict=None, **kwargs):
        """Edward's `run`: `initialize(**kwargs)`, `n_iter` iterations with
        progress, `finalize()`.

        Args:
          n_critic: None for simultaneous updates of both groups; k for k "Disc"
            updates then one "Gen" update per iteration (`t` counts each update).
          feed_dict: a fixed feed for placeholders, used at every update.
          **kwargs: passed to `initialize`.
        """
        if n_critic is not None and (
            not isinstance(n_critic, int) or isinstance(n_critic, bool) or n_critic < 1
        ):
            raise ValueError(f"n_critic must be None or a positive int, got {n_critic!r}.")
        fed = self.stream.feed_args(feed_dict)
        self.initialize(**kwargs)
        loop = self._compiled.get(("run", n_critic))
        if loop is None:
            loop = self._compiled["run", n_critic] = tf.function(
                lambda n, *fed: self._loop(n, n_critic, fed),
                input_signature=(tf.TensorSpec([], tf.int32),) + self.stream.input_signature,
                autograph=False,
            )
        done = 0
        for chunk in self._chunks():
            t, loss, loss_d = loop(tf.constant(chunk, tf.int32), *fed)
            done += chunk
            self.print_progress(
                {"t": int(t), "loss": float(loss), "loss_d": float(loss_d), "iteration": done}
            )
        self.finalize()

    def print_progress(self, info):
        """Updates the progress bar with `Gen Loss` and `Disc Loss` when the step
        (`info["iteration"]` in `run`, else `info["t"]`) is 1, a multiple of
        `n_print`, or the last.
        """
        if not self.n_print:
            return
        step = info.get("iteration", info["t"])
        if step == 1 or step % self.n_print == 0 or step == self.n_iter:
            self.progbar.update(
                min(step, self.progbar.target),
                [("Gen Loss", info["loss"]), ("Disc Loss", info["loss_d"])],
                finalize=step >= self.progbar.target,
            )

    def finalize(self):
        """Flushes and closes what `initialize` opened."""
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None
            self._compiled, self._traced_config = {}, None  # they hold the closed writer

    # -- The engine -------------------------------------------------------------

    def _build(self):
        """Runs the objective once, eagerly, to build lazily created networks
        under their group's scope and to see which variables each group reads.
        """
        if self._built:
            return
        self._discovery = {group: [] for group in GROUPS}
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
                for v in watched:
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
                name = "var_list" if group == "Gen" else "var_list_d"
                raise TypeError(f"{name} must be a list of variables.")
            groups[group] = list(var_list)
        if var_lists["Gen"] is None and var_lists["Disc"] is None:
            shared = set(self._found["Gen"]) & set(self._found["Disc"])
            if shared:
                names = sorted(scopes.name_of(self._found["Gen"][k]) for k in shared)
                raise ValueError(
                    f"variables {names} are read by both the generative side and the "
                    f"discriminator; pass var_list and var_list_d to say which group owns them."
                )
        for group in GROUPS:
            if not groups[group]:
                raise ValueError(f'the "{group}" group has no trainable variables.')
        return groups

    @staticmethod
    def _check_variables(variables):
        if variables is not None and not isinstance(variables, str):
            raise TypeError(
                f'variables must be None, "Gen" or "Disc", got {type(variables).__name__}.'
            )
        if variables is not None and variables not in GROUPS:
            raise ValueError(f'variables must be None, "Gen" or "Disc", got {variables!r}.')

    @staticmethod
    def _groups(variables):
        return GROUPS if variables is None else (variables,)

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
            scopes.weight_regularization(self.variables[group])
            + self._activity[group]
            + scopes.added_losses(group)
        )
        return tf.add_n([tf.cast(term, dtype) for term in terms]) if terms else tf.zeros([], dtype)

    def _update(self, groups, x_true):
        """One forward pass, then a gradient step for each group in `groups`."""
        raw = {g: [scopes.raw_variable(v) for v in self.variables[g]] for g in groups}
        tapes = {g: tf.GradientTape(watch_accessed_variables=False) for g in groups}
        with contextlib.ExitStack() as stack:
            for g in groups:
                stack.enter_context(tapes[g]).watch(raw[g])
            loss, loss_d, d_outputs = self._forward(x_true)
        objective = {"Gen": loss, "Disc": loss_d}
        # All gradients come from the same forward pass, before any variable moves.
        grads = {g: tapes[g].gradient(objective[g], raw[g]) for g in groups}
        for g in groups:
            if self.debug:
                tf.debugging.check_numerics(objective[g], f"{g} objective")
                grads[g] = [tf.debugging.check_numerics(x, f"{g} gradient") for x in grads[g]]
            self.optimizers[g].apply_gradients(zip(grads[g], self.variables[g]))
            self.after_update(g)
        zero = tf.zeros_like(loss)
        # Gradient norms only feed summaries: no work for them without a writer.
        norms = (
            {g: tf.linalg.global_norm(grads[g]) for g in groups} if self._writer is not None else {}
        )
        return (
            (loss if "Gen" in groups else zero),
            (loss_d if "Disc" in groups else zero),
            d_outputs,
            norms,
        )

    def _step(self, groups, fed):
        """One update inside a compiled function: read a batch, step, summarise."""
        x_true = self.stream.next(fed)
        t = self.t.assign_add(1)
        update = (
            tf.function(self._update, jit_compile=True, autograph=False)
            if self.jit_compile
            else self._update
        )
        loss, loss_d, d_outputs, grad_norms = update(groups, x_true)
        if self._writer is not None:
            # The root name scope keeps tags free of the fused loop's "while/".
            with (
                tf.compat.v1.name_scope(None),
                self._writer.as_default(step=t),
                tf.summary.record_if(tf.logical_or(t == 1, t % max(self.n_print, 1) == 0)),
            ):
                if "Gen" in groups:
                    tf.summary.scalar("loss", loss)
                if "Disc" in groups:
                    tf.summary.scalar("loss/discriminative", loss_d)
                tf.summary.histogram("discriminator_outputs", d_outputs)
                for g, norm in grad_norms.items():
                    tf.summary.scalar(f"gradient_norm/{g}", norm)
        return t, loss, loss_d

    def _loop(self, n, n_critic, fed):
        """`n` iterations in one compiled call (a `tf.while_loop`)."""

        def iteration():
            if n_critic is None:
                return self._step(GROUPS, fed)
            for _ in range(n_critic):
                _, _, loss_d = self._step(("Disc",), fed)
            t, loss, _ = self._step(("Gen",), fed)
            return t, loss, loss_d

        def body(i, t, loss, loss_d):
            return (i + 1,) + tuple(iteration())

        zero = tf.zeros([], self._loss_dtype)
        start = (tf.constant(0), self.t.read_value(), zero, zero)
        _, t, loss, loss_d = tf.while_loop(lambda i, *_: i < n, body, start)
        return t, loss, loss_d

    def _chunks(self):
        """Iterations per compiled call: calls end where progress is printed."""
        ends = {self.n_iter} | (
            {1} | set(range(self.n_print, self.n_iter + 1, self.n_print)) if self.n_print else set()
        )
        done = 0
        for end in sorted(e for e in ends if e > 0):
            while done < end:
                chunk = min(end - done, self.steps_per_execution)
                yield chunk
                done += chunk
