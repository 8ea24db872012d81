"""What training reports: TensorBoard summaries and the progress bar.

Summaries are written inside the compiled step, at the updates where the engine
writes its own (t = 1 and every `n_print`): `loss`, `loss/discriminative`, the
histogram `discriminator_outputs` and `gradient_norm/<group>` (Edward's tags),
plus whatever an objective `record`s and `eval/<name>` for evaluations. The
progress bar is Keras's `Progbar` with Edward's `Gen Loss` / `Disc Loss`.

adinfer's messages go through Python's `logging`, logger "adinfer": INFO for
resume, interrupt, stop and export, WARNING for what the user should act on.
While the application configures no logging (the root logger has no handler)
they are shown on stderr, as TensorFlow's logger does; once it does, they go
to its handlers only. `logging.getLogger("adinfer").setLevel(logging.WARNING)`
silences the INFO messages; `n_print=0` the progress bar.
"""

import contextlib
import datetime
import logging
import os
import shutil
import sys

import keras
import numpy as np
import tensorflow as tf

logger = logging.getLogger("adinfer")


class UnconfiguredHandler(logging.StreamHandler):
    """Writes to stderr only while the root logger has no handler."""

    def emit(self, record):
        if not logging.getLogger().handlers:
            self.stream = sys.stderr  # the current one (a test may replace it)
            super().emit(record)


if not logger.handlers:
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    handler = UnconfiguredHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)


class Reporting:
    """The summary writer and progress bar of one training (`open` .. `close`)."""

    def __init__(self, replicas):
        self.replicas = replicas
        self.writer = None
        self.logdir = None
        self.progbar = None
        self.n_iter, self.n_print = 0, 0

    def open(self, n_iter, n_print, logdir, log_timestamp):
        """Starts a training's reporting; `logdir` was validated (and created)."""
        self.close()
        self.n_iter, self.n_print = n_iter, n_print
        if logdir is not None:
            if not self.replicas.is_chief:  # deleted at `close`
                logdir, log_timestamp = self.replicas.private_dir(), False
            if log_timestamp:
                logdir = os.path.join(logdir, datetime.datetime.now().strftime("%Y%m%d_%H%M%S"))
            self.logdir = logdir
            self.writer = tf.summary.create_file_writer(logdir)
        self.progbar = keras.utils.Progbar(
            max(n_iter, 1), stateful_metrics=["Gen Loss", "Disc Loss"]
        )

    def close(self):
        """Flushes and closes the writer (a non-chief worker's logdir is deleted);
        True when there was one.
        """
        if self.writer is None:
            return False
        self.writer.flush()
        self.writer.close()
        self.writer = None
        if not self.replicas.is_chief:
            shutil.rmtree(self.logdir, ignore_errors=True)
        return True

    def is_print_point(self, iteration):
        n_print = self.n_print
        return bool(n_print) and (
            iteration == 1 or iteration % n_print == 0 or iteration == self.n_iter
        )

    def print_progress(self, info):
        """See `Inference.print_progress`."""
        if not self.n_print:
            return
        step = info.get("iteration", info["t"])
        values = [(f"eval/{k}", v) for k, v in info.get("eval", {}).items()]
        if self.is_print_point(step) or values:
            self.progbar.stateful_metrics.update(name for name, _ in values)
            self.progbar.update(
                min(step, self.progbar.target),
                [("Gen Loss", info["loss"]), ("Disc Loss", info["loss_d"])] + values,
                finalize=step >= self.progbar.target,
            )

    @contextlib.contextmanager
    def summaries(self, t, condition=True):
        """See `Inference.summaries`; `t` is the update counter."""
        t = t.read_value()
        record = tf.logical_and(condition, tf.logical_or(t == 1, t % max(self.n_print, 1) == 0))
        # The root name scope keeps tags free of the fused loop's "while/".
        with (
            tf.compat.v1.name_scope(None),
            self.writer.as_default(step=t),
            tf.summary.record_if(record),
        ):
            yield

    def write_step(self, t, groups, loss, loss_d, d_outputs, gradient_norms, failed):
        """The engine's own summaries of one update (inside the compiled step)."""
        if self.writer is None:
            return
        with self.summaries(t, tf.equal(failed, 0)):
            if "Gen" in groups:
                tf.summary.scalar("loss", loss)
            if "Disc" in groups:
                tf.summary.scalar("loss/discriminative", loss_d)
            if d_outputs is not None:
                tf.summary.histogram("discriminator_outputs", d_outputs)
            for g, norm in gradient_norms.items():
                tf.summary.scalar(f"gradient_norm/{g}", norm)

    def record(self, t, scalars):
        """Writes `{tag: scalar tensor}` from inside a compiled step (see
        `Inference.record`).
        """
        if self.writer is None or not tf.inside_function():
            return
        with self.summaries(t):
            for tag, value in scalars.items():
                tf.summary.scalar(tag, value)

    def write_evaluation(self, t, results):
        """Checks what `evaluate(inference)` returned; writes `eval/<name>`;
        returns `{name: float}`.
        """
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
        if self.writer is not None:
            with self.writer.as_default(step=t):
                for name, value in values.items():
                    tf.summary.scalar(f"eval/{name}", value)
        return values
