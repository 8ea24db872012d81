"""The driver of `run()`: compiled calls, evaluation, callbacks, the history.

Keras's `fit` is the model: a small lifecycle (`fit`) composing the schedule's
compiled calls (`schedule.Schedule.calls`), evaluation, checkpoints, the
progress bar, a `keras.callbacks.CallbackList` and a `History`, and turning
an interrupt into a saved checkpoint. The fused loop is never split for the
callbacks: they run in Python between compiled calls, at points the schedule
already returns to (or passed inside a call):

* `on_train_begin` / `on_train_end`: around the run (not after an exception,
  as in Keras);
* `on_train_batch_end(iteration, logs)` at the print points (iteration 1,
  every `n_print`, the last), `logs = {"loss", "loss_d", "t"}` of that
  iteration, and at an iteration the non-finite guard stopped (its losses);
* `on_epoch_end(iteration, logs)` at the evaluation points (the end of the
  run without `evaluate`), `logs` the history's row there: the losses, `t`
  and `eval/<name>`; `on_epoch_begin` after each but the last.

"Epoch" and "batch" indices are iteration numbers. `model` is the inference:
setting `inference.stop_training` (as `EarlyStopping` and `TerminateOnNaN` do)
ends the run at the end of the compiled call in progress: at once at an
evaluation point, within about one call's time (`steps_per_execution`) at a
print point. The loop records every iteration's losses anyway, so the history
holds all of them at no extra device work.
"""

import logging

import keras

from adinfer import validate
from adinfer.engine import schedule, state
from adinfer.engine import step as step_lib
from adinfer.engine.step import NonFiniteError

logger = logging.getLogger("adinfer")


class History(keras.callbacks.History):
    """What `run()` returns, shaped like Keras's `History`: `history.epoch`
    lists the iterations the run made and `history.history` one list per key,
    aligned with it: `"loss"`, `"loss_d"` (the values the progress bar and
    TensorBoard show), `"t"` (the update counter after the iteration) and
    `"eval/<name>"` (NaN at iterations without an evaluation). A resumed run
    starts after `params["initial_epoch"]` iterations (`params["initial_t"]`
    updates); both are 0 for a fresh one.

    ```python
    history = inference.run(n_iter=1000)
    plt.plot(history.epoch, history.history["loss"])
    ```
    """

    def __init__(self):
        super().__init__()
        self.epoch = []

    def on_train_begin(self, logs=None):
        pass  # rows come from `record` and `evaluated`, not from callbacks

    def on_epoch_end(self, epoch, logs=None):
        pass

    def record(self, iterations, t, losses):
        """Appends one row per iteration: `t` and `losses` ([k, 2]) of each."""
        k = len(iterations)
        self.epoch.extend(iterations)
        self.history.setdefault("loss", []).extend(losses[:, 0].tolist())
        self.history.setdefault("loss_d", []).extend(losses[:, 1].tolist())
        self.history.setdefault("t", []).extend(t)
        for key, values in self.history.items():
            if key.startswith("eval/"):
                values.extend([float("nan")] * k)

    def evaluated(self, values):
        """Sets the evaluation results `{name: float}` of the last row."""
        for name, value in values.items():
            column = self.history.setdefault(f"eval/{name}", [float("nan")] * len(self.epoch))
            column[-1] = value

    def row(self, index=-1):
        """`{key: value}` of one row (the last by default)."""
        return {key: values[index] for key, values in self.history.items()}


def fit(inference, plan, loop, fed, evaluate, callbacks):
    """Runs `plan` (a `schedule.Schedule`) with the compiled `loop`; returns
    the `History` (also `inference.history`). See the module docstring.
    """
    history = History()
    t_start = int(inference.t.numpy())
    done = plan.iterations_done(t_start)
    callbacks = keras.callbacks.CallbackList(
        [*callbacks, history],
        model=inference,
        n_iter=plan.n_iter,
        epochs=plan.n_iter,
        verbose=0,
        initial_epoch=done,
        initial_t=t_start,
    )
    epoch_ends = plan.evaluate or {plan.n_iter}
    inference.stop_training = False
    if done and inference.n_print:  # a resumed run
        inference.progbar.update(min(done, inference.progbar.target))
    # Workers must call the same loops (their collectives pair up), so with
    # several the lengths grow by a fixed rule, not by each one's clock.
    chunks = schedule.ChunkSizer(inference.steps_per_execution, inference.replicas.workers == 1)
    recorder = Recorder(loop, inference.t, plan, history)
    is_print_point = inference.reporting.is_print_point
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(done)
    try:
        for end, info in plan.calls(recorder, fed, inference.t, chunks, is_print_point):
            if end is not None and end in plan.evaluate:
                info["eval"] = evaluation(inference, evaluate)
                history.evaluated(info["eval"])
            if end is not None and end in plan.checkpoint:
                inference.save()
            inference.print_progress(info)
            if is_print_point(info["iteration"]):
                callbacks.on_train_batch_end(info["iteration"], batch_logs(info))
            if end in epoch_ends:
                callbacks.on_epoch_end(end, history.row())
                if end < plan.n_iter and not inference.stop_training:
                    callbacks.on_epoch_begin(end)
            if inference.stop_training:
                break
        # A stop inside a failed call leaves the schedule before it raises.
        step_lib.raise_if_failed(recorder.failed, int(inference.t.numpy()))
    except NonFiniteError:
        failed = recorder.failed_row()
        if failed is not None:
            callbacks.on_train_batch_end(failed["iteration"], batch_logs(failed))
        raise
    except KeyboardInterrupt:
        t = int(inference.t.numpy())
        if inference.checkpointing.manager is not None:
            logger.info("interrupted at t=%d; saved %s", t, inference.save())
        else:
            logger.info("interrupted at t=%d", t)
        raise
    finally:
        inference.finalize()
    if inference.stop_training and history.epoch:
        last = history.epoch[-1]
        if last not in epoch_ends:  # stopped between epoch ends: the last row ends one
            callbacks.on_epoch_end(last, history.row())
        if inference.n_print:
            inference.progbar.update(min(last, inference.progbar.target), finalize=True)
        logger.info("stopped by a callback after iteration %d (t=%d)", last, history.row()["t"])
    callbacks.on_train_end(history.row() if history.epoch else None)
    return history


# Keras callbacks that drive a Keras `Model`'s own machinery (its optimizer,
# saving, summaries): refused before training, each with what does its work here.
INSTEAD = {
    keras.callbacks.ModelCheckpoint: "run(checkpoint_dir=..., checkpoint_every=...)",
    keras.callbacks.BackupAndRestore: "run(checkpoint_dir=...), which resumes",
    keras.callbacks.TensorBoard: "run(logdir=...)",
    keras.callbacks.LearningRateScheduler: "a keras.optimizers.schedules.LearningRateSchedule "
    "as the optimizer's learning_rate",
    keras.callbacks.ReduceLROnPlateau: "a keras.optimizers.schedules.LearningRateSchedule "
    "as the optimizer's learning_rate",
    keras.callbacks.SwapEMAWeights: "initialize(ema_decay=...), whose averages sample(), "
    "export() and evaluate use",
}


def checked_callbacks(callbacks):
    """`run()`'s `callbacks` as a list of `keras.callbacks.Callback`, none of
    those that need a Keras `Model` (`INSTEAD`).
    """
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)) or not all(
        isinstance(c, keras.callbacks.Callback) for c in callbacks
    ):
        validate.fail(
            TypeError, "callbacks", "a list of keras.callbacks.Callback or None", callbacks
        )
    for callback in callbacks:
        for kind, instead in INSTEAD.items():
            if isinstance(callback, kind):
                raise ValueError(
                    f"callbacks: keras.callbacks.{kind.__name__} drives a Keras Model's own "
                    f"machinery, which an inference does not have; use {instead}."
                )
    return list(callbacks)


def batch_logs(info):
    return {"loss": info["loss"], "loss_d": info["loss_d"], "t": info["t"]}


class Recorder:
    """`loop` as the schedule calls it, keeping every iteration's losses in
    the history (one host transfer of `[n, 2]` losses per call, made anyway).
    """

    def __init__(self, loop, t, plan, history):
        self.loop, self.t, self.plan, self.history = loop, t, plan, history
        self.last, self.failed = None, 0

    def __call__(self, n, *fed):
        t_start = int(self.t.numpy())
        t_end, losses, failed = self.loop(n, *fed)
        values = losses.numpy()
        upi = self.plan.updates_per_iteration
        k = self.plan.iterations_done(int(t_end) - t_start)
        first = self.plan.iterations_done(t_start) + 1
        self.history.record(
            list(range(first, first + k)), [t_start + j * upi for j in range(1, k + 1)], values[:k]
        )
        self.last = (first + k, int(t_end), values[k] if k < len(values) else None)
        self.failed = int(failed)
        return t_end, losses, failed

    def failed_row(self):
        """The losses of the iteration the guard stopped (after a `NonFiniteError`)."""
        if self.last is None or self.last[2] is None:
            return None
        iteration, t, (loss, loss_d) = self.last
        return {"iteration": iteration, "t": t + 1, "loss": float(loss), "loss_d": float(loss_d)}


def evaluation(inference, evaluate):
    """Runs `evaluate(inference)` with the averaged weights (when kept),
    putting back every state variable it touches; writes and returns its
    `{name: float}`.
    """
    with state.kept(inference.state_variables):
        for v, average in inference.averaging.pairs(inference.variables["Gen"]):
            v.assign(average)
        results = evaluate(inference)
    return inference.reporting.write_evaluation(int(inference.t.numpy()), results)
