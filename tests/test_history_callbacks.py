"""run() returns a Keras History, takes Keras callbacks, and speaks through logging."""

import contextlib
import csv
import io
import logging
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_checkpoints import make_gan

import adinfer


def unfused_rows(n_iter, n_critic=None):
    """(t, loss, loss_d) of each iteration of an `update()` loop on a fresh twin."""
    inference, _, optimizers = make_gan()
    inference.initialize(n_iter=n_iter, n_print=0, **optimizers)
    rows = []
    for _ in range(n_iter):
        if n_critic is None:
            info = inference.update()
            rows.append((info["t"], info["loss"], info["loss_d"]))
            continue
        for _ in range(n_critic):
            loss_d = inference.update(variables="Disc")["loss_d"]
        info = inference.update(variables="Gen")
        rows.append((info["t"], info["loss"], loss_d))
    return np.array(rows)


def scripted(scores):
    """An `evaluate` returning `scores` in turn (and drawing a sample, which
    must not change the trajectory)."""
    calls = []

    def evaluate(inference):
        inference.sample(4)
        calls.append(int(inference.t))
        return {"score": scores[len(calls) - 1]}

    return evaluate, calls


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", None, logs))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch", epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end", None, logs))

    def of(self, kind):
        return [(i, logs) for k, i, logs in self.events if k == kind]


class HistoryTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_history_equals_the_unfused_loop(self):
        """Every iteration's losses, as an `update()` loop makes them (1e-6),
        with n_critic and evaluation on."""
        for n_critic in (2,):  # simultaneous updates: tests/test_gan.py's run-vs-update test
            with self.subTest(n_critic=n_critic):
                want = unfused_rows(8, n_critic)
                inference, _, optimizers = make_gan()
                evaluate, _ = scripted([1.0, 2.0, 3.0])
                history = inference.run(
                    n_iter=8,
                    n_critic=n_critic,
                    n_print=5,
                    evaluate=evaluate,
                    evaluate_every=3,
                    steps_per_execution=4,
                    **optimizers,
                )
                self.assertIsInstance(history, keras.callbacks.History)
                self.assertIs(inference.history, history)
                self.assertEqual(history.epoch, list(range(1, 9)))
                self.assertAllEqual(history.history["t"], want[:, 0])
                self.assertAllClose(history.history["loss"], want[:, 1], atol=1e-6, rtol=0)
                self.assertAllClose(history.history["loss_d"], want[:, 2], atol=1e-6, rtol=0)
                scores = np.array(history.history["eval/score"])
                self.assertAllEqual(np.flatnonzero(~np.isnan(scores)) + 1, [3, 6, 8])
                self.assertAllEqual(scores[[2, 5, 7]], [1.0, 2.0, 3.0])
                self.assertEqual(history.params["initial_epoch"], 0)

    def test_callbacks_fire_at_print_and_evaluation_points(self):
        """on_train_batch_end at every print point (inside calls too), with the
        history's values; on_epoch_end at every evaluation, with its row."""
        recorder = Recorder()
        seen = []
        lam = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs: seen.append(batch)
        )
        inference, _, optimizers = make_gan()
        evaluate, _ = scripted([0.5, 0.25, 0.125])
        history = inference.run(
            n_iter=23,
            n_print=5,
            evaluate=evaluate,
            evaluate_every=10,
            steps_per_execution=7,
            callbacks=[recorder, lam],
            **optimizers,
        )
        self.assertEqual(seen, [1, 5, 10, 15, 20, 23])
        for i, logs in recorder.of("batch"):
            self.assertEqual(sorted(logs), ["loss", "loss_d", "t"])
            for key in logs:
                self.assertEqual(logs[key], history.history[key][i - 1], (i, key))
        epochs = recorder.of("epoch")
        self.assertEqual([i for i, _ in epochs], [10, 20, 23])
        for i, logs in epochs:
            self.assertEqual(logs, {k: v[i - 1] for k, v in history.history.items()})
        self.assertEqual(recorder.events[0][0], "train_begin")
        self.assertEqual(recorder.events[-1][0], "train_end")

    def test_csv_logger_writes_the_history_rows_without_print_points(self):
        path = os.path.join(self.get_temp_dir(), "log.csv")
        inference, _, optimizers = make_gan()
        evaluate, _ = scripted([3.0, 2.0, 1.0])
        recorder = Recorder()
        history = inference.run(
            n_iter=15,
            n_print=0,
            evaluate=evaluate,
            evaluate_every=5,
            callbacks=[keras.callbacks.CSVLogger(path), recorder],
            **optimizers,
        )
        # Without print points: no batch callbacks, yet every iteration in the history.
        self.assertEqual(recorder.of("batch"), [])
        self.assertEqual(history.epoch, list(range(1, 16)))
        with open(path) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([int(r["epoch"]) for r in rows], [5, 10, 15])
        for row in rows:
            i = int(row["epoch"])
            for key in ("loss", "loss_d", "t", "eval/score"):
                self.assertEqual(float(row[key]), history.history[key][i - 1], key)

    def test_early_stopping_on_an_evaluation_then_resume(self):
        """Patience 1 on eval/score (minimised) runs out at the third evaluation
        (iteration 15); the checkpoint there resumes to the run's total."""
        directory = self.get_temp_dir()
        inference, _, optimizers = make_gan()
        evaluate, calls = scripted([3.0, 2.0, 2.5, 1.0, 0.5, 0.25, 0.1, 0.05])
        stop = keras.callbacks.EarlyStopping(monitor="eval/score", mode="min", patience=1)
        history = inference.run(
            n_iter=40,
            n_print=0,
            evaluate=evaluate,
            evaluate_every=5,
            checkpoint_dir=directory,
            callbacks=[stop],
            **optimizers,
        )
        self.assertEqual(calls, [5, 10, 15])
        self.assertEqual(stop.stopped_epoch, 15)
        self.assertEqual(history.epoch[-1], 15)
        self.assertTrue(inference.stop_training)
        self.assertEqual(int(inference.t), 15)
        self.assertEqual(tf.train.latest_checkpoint(directory), os.path.join(directory, "ckpt-15"))

        resumed, _, optimizers = make_gan()
        with self.assertLogs("adinfer", logging.INFO) as logs:
            history = resumed.run(
                n_iter=40, n_print=0, checkpoint_dir=directory, callbacks=[], **optimizers
            )
        self.assertIn("resumed from", logs.output[0])
        self.assertIn("at t=15", logs.output[0])
        self.assertEqual(history.params["initial_epoch"], 15)
        self.assertEqual(history.params["initial_t"], 15)
        self.assertEqual(history.epoch, list(range(16, 41)))
        self.assertEqual(int(resumed.t), 40)

    def test_early_stopping_restores_the_best_weights(self):
        """restore_best_weights: the run stops at the third evaluation
        (iteration 15) and ends with the weights and averages of the best, the
        second (iteration 10), while its last checkpoint holds iteration 15's."""
        directory = self.get_temp_dir()
        inference, (decoder, critic), optimizers = make_gan()
        evaluate, calls = scripted([3.0, 1.0, 2.0, 2.5])
        at_evaluation = []
        keep = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: at_evaluation.append(inference.get_weights())
        )
        stop = keras.callbacks.EarlyStopping(
            monitor="eval/score", mode="min", patience=1, restore_best_weights=True
        )
        inference.run(
            n_iter=40,
            n_print=0,
            evaluate=evaluate,
            evaluate_every=5,
            ema_decay=0.9,
            checkpoint_dir=directory,
            callbacks=[keep, stop],
            **optimizers,
        )
        self.assertEqual(calls, [5, 10, 15])
        self.assertEqual((stop.best_epoch, int(inference.t)), (10, 15))
        variables = inference.weight_variables()
        for v in [*decoder.weights, *critic.weights, *inference.averages]:
            self.assertTrue(any(v is w for w in variables), v.name)
        best, last = at_evaluation[1], at_evaluation[2]
        for v, b in zip(variables, best):
            self.assertAllEqual(v.numpy(), b)
        self.assertGreater(max(np.abs(b - x).max() for b, x in zip(best, last)), 0.0)
        self.assertEqual(tf.train.latest_checkpoint(directory), os.path.join(directory, "ckpt-15"))

    def test_callbacks_of_a_keras_model_are_refused_before_training(self):
        inference, _, optimizers = make_gan()
        cases = {
            keras.callbacks.ModelCheckpoint("m.keras"): "checkpoint_dir",
            keras.callbacks.BackupAndRestore(self.get_temp_dir()): "checkpoint_dir",
            keras.callbacks.TensorBoard(self.get_temp_dir()): "logdir",
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr): "LearningRateSchedule",
            keras.callbacks.ReduceLROnPlateau(): "LearningRateSchedule",
            keras.callbacks.SwapEMAWeights(): "ema_decay",
        }
        for callback, instead in cases.items():
            name = type(callback).__name__
            with self.assertRaisesRegex(
                ValueError, rf"callbacks: keras.callbacks.{name} .*{instead}"
            ):
                inference.run(
                    n_iter=2, callbacks=[keras.callbacks.History(), callback], **optimizers
                )
        self.assertEqual(int(inference.t), 0)
        inference.run(n_iter=2, n_print=0, **optimizers)  # still usable
        self.assertEqual(int(inference.t), 2)

    def test_set_weights_is_checked_whole_before_assigning(self):
        inference, _, optimizers = make_gan()
        inference.initialize(**optimizers)
        weights = inference.get_weights()
        with self.assertRaisesRegex(TypeError, r"weights must be a list of \d+ arrays, got dict"):
            inference.set_weights({})
        with self.assertRaisesRegex(ValueError, r"weights must be a list of \d+ arrays, got 1\."):
            inference.set_weights(weights[:1])
        bad = [w + 1.0 for w in weights]
        bad[-1] = np.zeros((3, 3))
        with self.assertRaisesRegex(
            ValueError, rf"weights\[{len(bad) - 1}\] must be an array of shape"
        ):
            inference.set_weights(bad)
        for v, w in zip(inference.weight_variables(), weights):
            self.assertAllEqual(v.numpy(), w)  # nothing was assigned
        inference.set_weights([w + 1.0 for w in weights])
        for v, w in zip(inference.weight_variables(), weights):
            self.assertAllEqual(v.numpy(), w + 1.0)

    @pytest.mark.slow
    def test_terminate_on_nan_and_the_guard_agree(self):
        """The generator's output turns NaN at update 7: the guard raises there,
        and TerminateOnNaN, handed that iteration's losses, asks to stop there."""
        inference, (decoder, _), optimizers = make_gan()
        noise = keras.random.SeedGenerator(3)
        poison = lambda: tf.where(inference.t >= 7, np.nan, 1.0)
        inference.fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise)) * poison()
        recorder = Recorder()
        with self.assertRaisesRegex(adinfer.NonFiniteError, r"update t=7 "):
            inference.run(
                n_iter=20,
                n_print=5,
                steps_per_execution=20,
                callbacks=[keras.callbacks.TerminateOnNaN(), recorder],
                **optimizers,
            )
        self.assertTrue(inference.stop_training)
        batches = recorder.of("batch")
        self.assertEqual([i for i, _ in batches], [1, 5, 7])
        self.assertTrue(np.isnan(batches[-1][1]["loss"]))
        self.assertEqual(batches[-1][1]["t"], 7)
        self.assertEqual(inference.history.epoch, list(range(1, 7)))
        self.assertTrue(np.all(np.isfinite(inference.history.history["loss"])))
        self.assertEqual(int(inference.t), 6)

    def test_bad_callbacks(self):
        inference, _, optimizers = make_gan()
        for bad in (print, [print], keras.callbacks.History()):
            with self.assertRaisesRegex(
                TypeError, "callbacks must be a list of keras.callbacks.Callback or None, got"
            ):
                inference.run(n_iter=2, callbacks=bad, **optimizers)
        self.assertEqual(int(inference.t), 0)


class LoggingTest(tf.test.TestCase):
    def test_interrupt_is_logged_with_its_checkpoint(self):
        directory = self.get_temp_dir()
        inference, _, optimizers = make_gan()

        def interrupt(batch, logs):
            if batch == 4:
                raise KeyboardInterrupt

        with self.assertLogs("adinfer", logging.INFO) as logs:
            with self.assertRaises(KeyboardInterrupt):
                inference.run(
                    n_iter=10,
                    n_print=1,
                    steps_per_execution=1,
                    checkpoint_dir=directory,
                    callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=interrupt)],
                    **optimizers,
                )
        self.assertEqual(
            logs.output, [f"INFO:adinfer:interrupted at t=4; saved {directory}/ckpt-4"]
        )

    def test_export_is_logged(self):
        inference, _, optimizers = make_gan()
        inference.initialize(n_iter=1, **optimizers)
        path = os.path.join(self.get_temp_dir(), "model")
        with self.assertLogs("adinfer", logging.INFO) as logs:
            inference.export(path)
        self.assertEqual(logs.output, [f"INFO:adinfer:exported a SavedModel to {path}"])

    def test_unconfigured_shown_then_silenced(self):
        """With no logging configured (no root handler), INFO messages show on
        stderr; with the "adinfer" logger at WARNING only the progress bar is
        printed."""
        directory = self.get_temp_dir()
        root, logger = logging.getLogger(), logging.getLogger("adinfer")
        handlers, level = root.handlers[:], logger.level
        inference, _, optimizers = make_gan()
        outputs = []
        try:
            for n_iter in (3, 6, 9):
                # pytest's handlers, and a library's `logging.warning` (which
                # configures the root logger when it has no handler).
                root.handlers.clear()
                if n_iter == 9:
                    logger.setLevel(logging.WARNING)
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    inference.run(n_iter=n_iter, n_print=1, checkpoint_dir=directory, **optimizers)
                outputs.append((out.getvalue(), err.getvalue()))
        finally:
            root.handlers[:] = handlers
            logger.setLevel(level)
        # stderr may hold TensorFlow's own warnings (its logger), not adinfer's.
        adinfer_lines = [[x for x in err.splitlines() if "adinfer" in x] for _, err in outputs]
        self.assertEqual(adinfer_lines[0], [])  # a fresh directory
        self.assertEqual(adinfer_lines[1], [f"adinfer: resumed from {directory}/ckpt-3 at t=3"])
        self.assertEqual(adinfer_lines[2], [])  # silenced
        self.assertIn("9/9", outputs[2][0])  # the progress bar stays
        self.assertNotIn("adinfer", "".join(out for out, _ in outputs))

    def test_importing_adinfer_sets_no_environment_variable(self):
        """No module of the package writes os.environ (TF_CPP_MIN_LOG_LEVEL and
        the like are the application's)."""
        package = os.path.dirname(adinfer.__file__)
        writes = re.compile(r"environ\[[^]]*\]\s*=|environ\.(setdefault|update|pop)|putenv")
        found = []
        for folder, _, files in os.walk(package):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(folder, name)) as f:
                        found += [(name, line) for line in f if writes.search(line)]
        self.assertEqual(found, [])


if __name__ == "__main__":
    tf.test.main()
