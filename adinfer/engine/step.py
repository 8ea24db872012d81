"""The compiled training step: gradients, the finiteness gate, the fused loop.

One update is one forward pass (`Groups.forward`), the gradients of each
updated group from that same pass, and the optimizer steps, taken only when
every objective and gradient is finite: a non-finite update is not applied,
`t` does not move, and `run` stops there (`NonFiniteError`). `run` fuses
iterations into one `tf.while_loop` per compiled call.

`run` keeps that guarantee without gating each update (`OptimisticLoop`): a
gate makes every optimizer step wait for the whole backward pass and the
check, which on a small model costs more than the step. Each compiled call
runs ungated from a snapshot of the state it may change, recording the
batches it reads and computing the same finiteness check at every update,
off the optimizer's path; a call that met a non-finite update puts the
snapshot back and replays its batches gated, so the run stops at the same
update with the same state.

Like Keras's `make_train_function`, the functions close over the inference:
they read its variables, optimizers and programs when traced, and are
compiled once per (variables, input signature); `Inference.initialize`
drops them when anything they were traced with changes.
"""

import contextlib
import functools

import keras
import tensorflow as tf

from adinfer import scopes
from adinfer.engine import state
from adinfer.engine.groups import GROUPS


class NonFiniteError(FloatingPointError):
    """An update whose objective or gradients were NaN or Inf (it was not taken)."""


class Trainer:
    """The compiled training functions of one inference, and their cache."""

    def __init__(self, inference):
        self.inference = inference
        self.compiled = {}  # ("update", variables) / ("run", train steps) -> function
        self.traced_config = None
        self.tapes = {}  # group -> (persistent tape, variables) while an objective is traced
        self.gated = True  # False while the ungated loop of `OptimisticLoop` is traced
        self.source = None  # fed -> the next batch, while a loop is traced

    def configuration(self):
        """What the compiled steps read when traced; `initialize` retraces them
        when it changes. Objects enter by id (the inference holds them, so ids
        stay unique), as do callable objective arguments.
        """
        inference = self.inference
        objective_args = tuple(
            id(v) if callable(v) else v
            for v in (getattr(inference, name) for name in inference._objective_args)
        )
        writer = inference.reporting.writer
        return (
            tuple(id(inference.optimizers[g]) for g in inference.groups),
            id(writer),
            tuple(tuple(id(v) for v in inference.variables[g]) for g in inference.groups),
            inference.n_print if writer is not None else None,
            inference.debug,
            inference.jit_compile,
            inference.ema_decay,
            inference.averaging.warmup,
            objective_args,
        )

    def retrace_if_changed(self, config):
        """Drops the compiled functions when what they were traced with changed
        (as Keras keeps `train_function` across `fit` calls otherwise).
        """
        if config != self.traced_config:
            self.compiled, self.traced_config = {}, config

    def update_function(self, variables):
        """The concrete function of one `update(variables=...)`: fed batches in,
        `[t, loss, loss_d, failed]` (float64) out, read back in one transfer.
        """
        step = self.compiled.get(("update", variables))
        if step is None:
            inference = self.inference
            groups = inference.groups if variables is None else (variables,)
            with inference.replicas.scope():
                step = self.compiled["update", variables] = tf.function(
                    lambda *fed: as_one_vector(self.step(groups, fed)),
                    input_signature=inference.stream.input_signature,
                    autograph=False,
                ).get_concrete_function()
        return step

    def loop_function(self, steps):
        """`loop(n, *fed) -> (t, losses [n, 2], failed)`: n iterations of `run`
        (`steps`: None or a `GANTrainSteps`).
        """
        loop = self.compiled.get(("run", steps))
        if loop is None:
            if self.can_run_optimistically():
                loop = OptimisticLoop(self, steps)
            else:
                loop = tf.function(
                    lambda n, *fed: self.loop(n, steps, fed),
                    input_signature=(tf.TensorSpec([], tf.int32),)
                    + self.inference.stream.input_signature,
                    autograph=False,
                )
            self.compiled["run", steps] = loop
        return loop

    def can_run_optimistically(self):
        """Whether `run` may train ungated and replay (`OptimisticLoop`): not
        under a strategy (whose replicas would all have to put back and replay
        together), nor with summaries (written as the call goes, they cannot
        be taken back) or `debug` (which stops at the op), and with batches of
        a fixed shape (recorded for the replay).
        """
        inference = self.inference
        stream = inference.stream
        return (
            not inference.replicas.distributed
            and inference.reporting.writer is None
            and not inference.debug
            and (
                stream.iterator is None
                or all(s.shape.is_fully_defined() for s in tf.nest.flatten(stream.spec))
            )
        )

    # -- Inside the compiled functions ---------------------------------------------

    def loop(self, n, steps, fed, mode="gated", recorded=()):
        """`n` iterations in one compiled call (a `tf.while_loop`), stopping
        after the first update that failed. Returns `t`, the losses of every
        iteration (`[n, 2]`: what the progress bar shows at any print point the
        call passes) and `failed`.

        `mode` "optimistic": the updates are not gated; the iterations run and
        every batch read from the data pipeline (one tensor per component,
        `[n * reads, ...]`) are returned after `failed`. "replay": gated,
        reading those `recorded` batches instead of the pipeline.
        """
        inference = self.inference
        stream = inference.stream
        reads = 1 if steps is None else sum(steps)  # batches read per iteration
        record = mode == "optimistic" and stream.iterator is not None and not stream.fed
        specs = tf.nest.flatten(stream.spec) if record else []

        def iteration():
            if steps is None:
                return self.step(inference.groups, fed)
            failed = 0  # the iteration's losses: those of each group's last step
            for _ in range(steps.discriminator_train_steps):
                _, _, loss_d, failed = self.step(("Disc",), fed, failed)
            for _ in range(steps.generator_train_steps):
                t, loss, _, failed = self.step(("Gen",), fed, failed)
            return t, loss, loss_d, failed

        def body(i, t, failed, losses, *batches):
            read = []

            def source(fed):
                if mode == "replay":
                    k = i * reads + len(read)
                    read.append(None)
                    return tf.nest.pack_sequence_as(stream.spec, [r[k] for r in recorded])
                batch = stream.next(fed)
                read.append(tf.nest.flatten(batch) if record else None)
                return batch

            self.source, self.gated = source, mode != "optimistic"
            try:
                t, loss, loss_d, failed = iteration()
            finally:
                self.source, self.gated = None, True
            if record:  # each component's array gets this iteration's batches
                batches = list(batches)
                for c in range(len(batches)):
                    for j, parts in enumerate(read):
                        batches[c] = batches[c].write(i * reads + j, parts[c])
            return (i + 1, t, failed, losses.write(i, tf.stack([loss, loss_d])), *batches)

        losses = tf.TensorArray(inference.grouping.loss_dtype, size=n, element_shape=[2])
        batches = [
            tf.TensorArray(spec.dtype, size=n * reads, element_shape=spec.shape) for spec in specs
        ]
        start = (tf.constant(0), inference.t.read_value(), tf.constant(0), losses, *batches)
        i, t, failed, losses, *batches = tf.while_loop(
            lambda i, t, failed, *arrays: tf.logical_and(i < n, tf.equal(failed, 0)),
            body,
            start,
        )
        if mode != "optimistic":
            return t, losses.stack(), failed
        return (t, losses.stack(), failed, i, *(b.stack() for b in batches))

    def step(self, groups, fed, blocked=0):
        """One update inside a compiled function: read a batch, step, summarise.
        Returns `(t, loss, loss_d, failed)`; an update that failed, or that an
        earlier failure of the same call blocked, leaves `t` and the variables
        as they were.
        """
        inference = self.inference
        x_true = self.source(fed) if self.source else inference.stream.next(fed)
        t = inference.t.assign_add(1)
        update = self.update
        if inference.jit_compile and not inference.replicas.distributed:
            update = tf.function(update, jit_compile=True, autograph=False)
        loss, loss_d, d_outputs, grad_norms, failed = update(
            groups, x_true, tf.convert_to_tensor(blocked, tf.int32)
        )
        inference.reporting.write_step(
            inference.t, groups, loss, loss_d, d_outputs, grad_norms, failed
        )
        if self.gated:
            with tf.control_dependencies([t]):
                t = tf.cond(tf.equal(failed, 0), lambda: t, lambda: inference.t.assign_sub(1))
        return t, loss, loss_d, failed

    def update(self, groups, x_true, blocked):
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
        inference = self.inference
        replicas = inference.replicas
        gradients = functools.partial(self.gradients, groups)
        if inference.jit_compile and replicas.distributed:
            # XLA per replica: a function of each replica's own, as a shared
            # one would reuse the first replica's trace, and its variables.
            gradients = functools.partial(jit_call, gradients)
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
            changed = self.changed_variables(groups) if self.gated else []
            before = [v.read_value() for v in changed]
            replicas.run(functools.partial(self.apply, groups), grads)
            for g in groups:
                inference.after_update(g)
            if "Gen" in groups:
                inference.averaging.update(inference.variables["Gen"])
            checked = [v for v in changed if v.dtype.is_floating]
            if not checked:
                return tf.constant(0)

            # The guarantee checked on the result: finite gradients can still
            # overflow the weights or the optimizer's slots (a huge learning
            # rate); such an update is taken back like a non-finite gradient's.
            def take_back():
                for v, value in zip(changed, before):
                    v.assign(value)
                return tf.constant(sum(1 << GROUPS.index(g) for g in groups))

            return tf.cond(all_finite(checked), lambda: tf.constant(0), take_back)

        # A step with a non-finite objective or gradient is not taken: the
        # weights stay at the last finite state, and `run` stops there. Only
        # the optimizer runs in the branch: random ops stay in the main graph,
        # where each keeps its own seed. (The ungated loop of `OptimisticLoop`
        # applies every step; a failure puts its call's snapshot back.)
        if self.gated:
            failed = tf.cond(tf.equal(failed, 0), apply, lambda: failed)
        else:
            apply()
        zero = tf.zeros_like(loss)
        # Gradient norms only feed summaries: no work for them without a writer.
        norms = (
            {g: tf.linalg.global_norm(replicas.sum(grads[g])) for g in groups}
            if inference.reporting.writer is not None
            else {}
        )
        return (
            (loss if "Gen" in groups else zero),
            (loss_d if "Disc" in groups else zero),
            replicas.concat(d_outputs),
            norms,
            failed,
        )

    def gradients(self, groups, x_true):
        """On one replica: the objectives of its part of the batch, divided by
        the number of replicas (their sum over replicas is the global batch's),
        and a finiteness term per group (NaN or Inf when the objective or a
        gradient is), as `scalars`; the discriminator outputs; the gradients of
        each group.
        """
        inference = self.inference
        x_true = inference.replicas.local_part(x_true)
        if inference.debug:
            x_true = inference.stream.checked(x_true)
        raw = {g: [scopes.raw_variable(v) for v in inference.variables[g]] for g in groups}
        persistent = inference.persistent_tapes
        tapes = {
            g: tf.GradientTape(persistent=g in persistent, watch_accessed_variables=False)
            for g in groups
        }
        optimizers = inference.optimizers
        with contextlib.ExitStack() as stack:
            for g in groups:
                stack.enter_context(tapes[g]).watch(raw[g])
            self.tapes = {g: (tapes[g], raw[g]) for g in groups if g in persistent}
            try:
                loss, loss_d, d_outputs = inference.grouping.forward(
                    inference.objectives, x_true, inference.variables
                )
            finally:
                self.tapes = {}
            count = inference.replicas.count
            if count > 1:
                loss, loss_d = loss / count, loss_d / count
            objective = {"Gen": loss, "Disc": loss_d}
            # float16: Keras's LossScaleOptimizer scales here, unscales and skips
            # non-finite steps in `apply_gradients`.
            scaled = {
                g: optimizers[g].scale_loss(objective[g])
                if scales_loss(optimizers[g])
                else objective[g]
                for g in groups
            }
        # All gradients come from the same forward pass, before any variable moves.
        grads = {g: tapes[g].gradient(scaled[g], raw[g]) for g in groups}
        if inference.debug:
            for g in groups:
                tf.debugging.check_numerics(objective[g], f"{g} objective")
                grads[g] = [tf.debugging.check_numerics(x, f"{g} gradient") for x in grads[g]]
        # Under loss scaling, overflowing gradients are expected and skipped by
        # the optimizer; only a non-finite objective is a failure.
        checks = [
            finiteness(objective[g], [] if scales_loss(optimizers[g]) else grads[g]) for g in groups
        ]
        return inference.replicas.scalars([loss, loss_d, *checks]), d_outputs, grads

    def changed_variables(self, groups):
        """The variables an update of `groups` changes (weights, optimizer
        slots and step counts, averages), which the gated step takes back when
        a floating one is not finite afterwards. Not
        under a strategy: the gradient check guards replicas, which would all
        have to take an update back together.
        """
        inference = self.inference
        if inference.replicas.distributed:
            return []
        changed = [v for g in groups for v in inference.variables[g]]
        changed += [v for g in groups for v in inference.optimizers[g].variables]
        if "Gen" in groups:
            changed += [a for _, a in inference.averaging.pairs(inference.variables["Gen"])]
        return state.unique(scopes.raw_variable(v) for v in changed)

    def apply(self, groups, grads):
        """On one replica: each group's optimizer step (Keras optimizers sum
        the gradients over replicas).
        """
        inference = self.inference
        for g in groups:
            inference.optimizers[g].apply_gradients(zip(grads[g], inference.variables[g]))


class OptimisticLoop:
    """`run`'s fused loop, `loop(n, *fed) -> (t, losses, failed)`, without a
    gate per update and with the guarantee of one.

    Each call snapshots every variable the loop reads or writes (the
    variables its trace captures: weights, optimizer slots and step counts,
    `t`, averages, `keras.random.SeedGenerator` states, batch-norm
    statistics; a snapshot of resource variables is copied only as they
    change), then runs its iterations ungated, stopping after the first that
    failed, while recording the batches it reads. When one failed, the
    variables are put back and the recorded batches replayed through the gated
    loop, which stops before the first non-finite update: the data position,
    `t`, the weights and every other variable end as the gated loop leaves
    them. Random ops with a state of their own (`tf.random.normal` without a
    `SeedGenerator`) cannot be put back: the replay draws new noise, and
    stops where its own first non-finite update is, if any.
    """

    def __init__(self, trainer, steps):
        stream = trainer.inference.stream
        self.recorded = stream.iterator is not None and not stream.fed
        fed = stream.input_signature
        batches = tuple(
            tf.TensorSpec([None, *s.shape], s.dtype)
            for s in (tf.nest.flatten(stream.spec) if self.recorded else [])
        )
        n = (tf.TensorSpec([], tf.int32),)
        self.ungated = tf.function(
            lambda n, *fed: trainer.loop(n, steps, fed, "optimistic"),
            input_signature=n + fed,
            autograph=False,
        )
        self.replay = tf.function(
            lambda n, *args: trainer.loop(n, steps, args[: len(fed)], "replay", args[len(fed) :]),
            input_signature=n + fed + batches,
            autograph=False,
        )
        self.variables = None

    def __call__(self, n, *fed):
        if self.variables is None:  # the first call traces
            concrete = self.ungated.get_concrete_function(n, *fed)
            self.variables = list(concrete.variables)
            # Finite gradients may still overflow the state: checked once per
            # call, and the gated replay finds the update that did it.
            floating = [v for v in self.variables if v.dtype.is_floating]
            self.finite = tf.function(lambda: all_finite(floating), autograph=False)
        snapshot = [v.read_value() for v in self.variables]
        t, losses, failed, ran, *batches = self.ungated(n, *fed)
        if not int(failed) and bool(self.finite()):
            return t, losses, failed
        for v, value in zip(self.variables, snapshot):
            v.assign(value)
        # The iterations the ungated call ran, up to the one that failed (the
        # data it read is gone from the pipeline: the replay reads the record).
        return self.replay(ran if batches else n, *fed, *batches)

    def experimental_get_tracing_count(self):
        return self.ungated.experimental_get_tracing_count()


def raise_if_failed(failed, t):
    """Raises `NonFiniteError` for a `failed` bit set of the update after `t`."""
    failed = int(failed)
    if failed:
        groups = [g for i, g in enumerate(GROUPS) if failed & (1 << i)]
        raise NonFiniteError(
            f"update t={t + 1} ({' and '.join(groups)}): the objective, its gradients or the "
            "updated weights are not finite; nothing was kept, so the weights are those after "
            f"t={t}. Lower the learning rate, or initialize(debug=True) to find the op."
        )


def all_finite(variables):
    """Whether every entry of every variable is finite (one reduction each)."""
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables])


def finiteness(objective, grads):
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


def scales_loss(optimizer):
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def jit_call(fn, *args):
    return tf.function(fn, jit_compile=True, autograph=False)(*args)


def as_one_vector(values):
    """`(t, loss, loss_d, failed)` as one float64 vector (exact for t < 2⁵³),
    so that `update` reads its results back in one transfer.
    """
    return tf.stack([tf.cast(v, tf.float64) for v in values])
