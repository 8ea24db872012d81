"""The checkpoint directory defends itself: checked up front, locked against a
second run, resumed all or nothing, damaged checkpoints skipped and never
overwritten, no save from non-finite weights, no save failure raised after an
update was applied.
"""

import contextlib
import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_checkpoints import ENV, WORKER, make_gan, values

import adinfer
from adinfer.engine import checkpointing


def files(directory):
    """`{name: bytes}` of every file under `directory` but the lock."""
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if name != checkpointing.LOCK_FILE:
                with open(path, "rb") as f:
                    found[os.path.relpath(path, directory)] = f.read()
    return found


@contextlib.contextmanager
def messages():
    """adinfer's log messages in the block, as one string (`out.getvalue()`)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("adinfer")
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def initialize(directory, **kwargs):
    """A fresh small GAN initialized on `directory`: (inference, networks, messages)."""
    inference, networks, optimizers = make_gan()
    with messages() as out:
        inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers, **kwargs)
    return inference, networks, out.getvalue()


class DamagedDirectoryTest(tf.test.TestCase):
    """One run's directory (ckpt-2, ckpt-4, ckpt-6), copied and damaged per case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.source = os.path.join(cls.root, "source")
        inference, networks, optimizers = make_gan()
        inference.run(
            n_iter=6, n_print=0, checkpoint_dir=cls.source, checkpoint_every=2, **optimizers
        )

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def copy(self, name):
        directory = os.path.join(self.root, name)
        shutil.copytree(self.source, directory)
        return directory

    def test_intact_directory_resumes_from_the_newest(self):
        inference, _, out = initialize(self.copy("intact"))
        self.assertEqual(int(inference.t), 6)
        self.assertIn("resumed from", out)
        self.assertNotIn("skipped", out)
        inference.finalize()

    @pytest.mark.slow
    def test_damaged_newest_falls_back_and_is_kept(self):
        """A truncated or zeroed data file, or a deleted index: the newest is
        skipped (saying why), moved to damaged/ byte for byte, and the run
        resumes from ckpt-4 with its exact weights; training on saves over no
        checkpoint that existed.
        """
        data = "ckpt-6.data-00000-of-00001"
        damages = {
            "truncated": lambda d: _truncate(os.path.join(d, data)),
            "zeroed": lambda d: _zero(os.path.join(d, data)),
            "no index": lambda d: os.remove(os.path.join(d, "ckpt-6.index")),
        }
        for name, damage in damages.items():
            directory = self.copy(name.replace(" ", "_"))
            damage(directory)
            before = files(directory)
            inference, networks, out = initialize(directory, checkpoint_every=1)
            self.assertEqual(int(inference.t), 4, name)
            self.assertRegex(out, r"skipped the checkpoint .*ckpt-6: .*moved to .*damaged", name)
            self.assertIn(f"resumed from {os.path.join(directory, 'ckpt-4')} at t=4", out)
            reference = tf.train.load_checkpoint(os.path.join(self.source, "ckpt-4"))
            written = inference.checkpoint.write(os.path.join(self.root, f"{name}_state"))
            restored = tf.train.load_checkpoint(written)
            for key in reference.get_variable_to_shape_map():
                if key.startswith(("networks", "variables", "optimizer")):
                    self.assertAllEqual(reference.get_tensor(key), restored.get_tensor(key))
            for _ in range(3):  # saves ckpt-5, 6, 7: the damaged ckpt-6 is not overwritten
                inference.update()
            inference.finalize()
            after = files(directory)
            for file, content in before.items():
                if file.startswith("ckpt-6"):
                    self.assertEqual(after[os.path.join("damaged", file)], content, name)
                elif file != "checkpoint":
                    self.assertEqual(after[file], content, f"{name}: {file} changed")
            self.assertEqual(
                tf.train.latest_checkpoint(directory), os.path.join(directory, "ckpt-7")
            )

    def test_unreadable_state_file_is_an_error_that_changes_nothing(self):
        for name, content in {"garbage": "garbage !! {", "empty": ""}.items():
            directory = self.copy(f"state_{name}")
            with open(os.path.join(directory, "checkpoint"), "w") as f:
                f.write(content)
            before = files(directory)
            inference, networks, optimizers = make_gan()
            weights = values(networks)
            with self.assertRaisesRegex(
                ValueError,
                r"checkpoint_dir: its state file '.*checkpoint' cannot be read.*"
                r"\['ckpt-6', 'ckpt-4', 'ckpt-2'\].*Delete the state file",
            ):
                inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
            self.assertEqual(files(directory), before, name)
            self.assertEqual(int(inference.t), 0)
            for a, b in zip(weights, values(networks)):
                self.assertAllEqual(a, b)
            self.assertFalse(os.path.exists(os.path.join(directory, checkpointing.LOCK_FILE)))
            # The override the message names: without the state file, the newest found.
            os.remove(os.path.join(directory, "checkpoint"))
            inference, _, out = initialize(directory)
            self.assertEqual(int(inference.t), 6, name)
            inference.finalize()

    def test_every_checkpoint_damaged_is_an_error(self):
        directory = self.copy("all_damaged")
        for t in (2, 4, 6):
            _truncate(os.path.join(directory, f"ckpt-{t}.data-00000-of-00001"))
        before = files(directory)
        inference, _, optimizers = make_gan()
        with self.assertRaisesRegex(
            ValueError, r"checkpoint_dir: no checkpoint of .* reads back whole: ckpt-6: .*ckpt-2"
        ):
            inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
        self.assertEqual(files(directory), before)

    def test_orphaned_temporary_files_are_removed(self):
        directory = self.copy("temp")
        os.makedirs(os.path.join(directory, "ckpt-7_temp"))
        with open(os.path.join(directory, "ckpt-7_temp", "part-00000-of-00001.index"), "w") as f:
            f.write("half a save")
        inference, _, _ = initialize(directory)
        self.assertEqual(int(inference.t), 6)
        self.assertFalse(os.path.exists(os.path.join(directory, "ckpt-7_temp")))
        inference.finalize()

    def test_another_models_checkpoint_changes_nothing(self):
        """Another model's checkpoint (wider networks; other optimizer slots) is
        refused naming the first mismatch, before `t`, the optimizers, the
        averages or any weight changed; the inference trains on afterwards.
        """
        directory = self.copy("other_model")
        keras.utils.set_random_seed(1)
        noise = keras.random.SeedGenerator(1)
        wide = keras.Sequential([keras.layers.Dense(16, "relu"), keras.layers.Dense(2)])
        critic = keras.Sequential([keras.layers.Dense(8, "tanh"), keras.layers.Dense(1)])
        x = np.random.default_rng(0).normal(4.0, 0.5, size=(128, 2)).astype(np.float32)
        fake = lambda n: wide(keras.random.normal([n, 2], seed=noise))
        inference = adinfer.GANInference({fake: x}, critic, batch_size=16, seed=0)
        sgd = dict(optimizer=keras.optimizers.SGD(0.01), optimizer_d=keras.optimizers.SGD(0.01))
        inference.initialize(n_print=0, ema_decay=0.9, **sgd)
        for _ in range(3):
            inference.update()
        t, weights, optimizers = int(inference.t), values([wide, critic]), inference.optimizers
        averages = [a.numpy() for a in inference.averages]
        slots = [v.numpy() for g in optimizers for v in optimizers[g].variables]
        before = files(directory)
        with self.assertRaisesRegex(
            ValueError,
            r"checkpoint_dir: the checkpoint '.*ckpt-6' does not fit this inference: our "
            r"variable '.*' has shape \(2, 16\), the checkpoint's \(2, 8\)\. Nothing was "
            r"restored or changed",
        ):
            inference.initialize(
                n_print=0,
                checkpoint_dir=directory,
                optimizer=keras.optimizers.Adam(),
                optimizer_d=keras.optimizers.Adam(),
            )
        self.assertEqual(int(inference.t), t)
        self.assertIs(inference.optimizers, optimizers)
        for a, b in zip(weights, values([wide, critic])):
            self.assertAllEqual(a, b)
        for a, b in zip(averages, inference.averages):
            self.assertAllEqual(a, b)
        self.assertAllEqual(slots, [v.numpy() for g in optimizers for v in optimizers[g].variables])
        self.assertEqual(files(directory), before)
        info = inference.update()
        self.assertEqual(info["t"], t + 1)


class DirectoryArgumentTest(tf.test.TestCase):
    def test_checked_at_initialize(self):
        root = self.get_temp_dir()
        a_file = os.path.join(root, "a_file")
        with open(a_file, "w") as f:
            f.write("x")
        inference, networks, optimizers = make_gan()
        cases = [
            ("", ValueError, r"checkpoint_dir must be a non-empty path, got ''\."),
            (a_file, ValueError, r"checkpoint_dir must be a directory, got '.*a_file', a file"),
            (
                os.path.join(a_file, "under"),
                ValueError,
                r"checkpoint_dir must be a directory you can write, got checkpoint_dir='.*under',"
                " which cannot be created",
            ),
            (b"bytes", TypeError, r"checkpoint_dir must be a path"),
        ]
        for value, error, message in cases:
            with self.assertRaisesRegex(error, message):
                inference.initialize(n_print=0, checkpoint_dir=value, **optimizers)
        self.assertEqual(os.listdir(os.getcwd()).count("checkpoint"), 0)
        if os.geteuid() != 0:  # root writes anywhere
            read_only = os.path.join(root, "read_only")
            os.makedirs(read_only)
            os.chmod(read_only, 0o500)
            with self.assertRaisesRegex(ValueError, r"checkpoint_dir must be a directory you can"):
                inference.initialize(n_print=0, checkpoint_dir=read_only, **optimizers)
        inference.initialize(n_print=0, **optimizers)  # still usable
        self.assertEqual(inference.update()["t"], 1)

    def test_nan_and_negative_learning_rates_are_refused(self):
        inference, networks, _ = make_gan()
        for rate in (float("nan"), float("inf"), -0.1):
            for argument in ("optimizer", "optimizer_d"):
                optimizers = dict(
                    optimizer=keras.optimizers.SGD(0.01), optimizer_d=keras.optimizers.SGD(0.01)
                )
                optimizers[argument] = keras.optimizers.SGD(rate)
                with self.assertRaisesRegex(
                    ValueError,
                    rf"{argument}'s learning rate must be a finite non-negative number, "
                    rf"got {rate:.6g} \(SGD\)\.",
                ):
                    inference.initialize(n_print=0, **optimizers)
        with self.assertRaisesRegex(ValueError, r"optimizer_d's learning rate must be"):
            inference.initialize(
                n_print=0, optimizer="sgd", optimizer_d=keras.optimizers.Adam(-1.0)
            )
        self.assertEqual(int(inference.t), 0)


class SaveTest(tf.test.TestCase):
    def test_a_failing_save_in_update_warns_and_the_update_stays(self):
        directory = os.path.join(self.get_temp_dir(), "vanishing")
        inference, networks, _ = initialize(directory, checkpoint_every=2)
        shutil.rmtree(directory)
        with open(directory, "w") as f:  # the directory became a file: no save can succeed
            f.write("x")
        inference.update()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            info = inference.update()  # t=2: the save is due and fails
        self.assertEqual(info["t"], 2)
        self.assertEqual(int(inference.t), 2)
        self.assertTrue(
            any(f"the save at t=2 to {directory!r} failed" in str(w.message) for w in caught),
            [str(w.message) for w in caught],
        )
        with self.assertRaisesRegex(OSError, r"checkpoint_dir: the save at t=2 .* failed"):
            inference.save()
        os.remove(directory)
        inference.finalize()  # the directory is back: the last save succeeds
        self.assertEqual(tf.train.latest_checkpoint(directory), os.path.join(directory, "ckpt-2"))

    def test_no_checkpoint_from_non_finite_weights(self):
        directory = os.path.join(self.get_temp_dir(), "nan")
        inference, networks, _ = initialize(directory)
        inference.update()
        saved = inference.save()
        inference.update()
        kernel = networks[0].layers[0].kernel
        kernel.assign(tf.fill(kernel.shape, np.nan))
        with self.assertRaisesRegex(
            adinfer.NonFiniteError, r"t=2: .*kernel.* hold NaN or Inf, so no checkpoint was"
        ):
            inference.save()
        with self.assertLogs("adinfer", "WARNING") as logs:  # finalize warns and closes
            inference.finalize()
        self.assertIn("so no checkpoint was written", logs.output[0])
        self.assertEqual(tf.train.latest_checkpoint(directory), saved)
        self.assertFalse(os.path.exists(os.path.join(directory, checkpointing.LOCK_FILE)))


class LockTest(tf.test.TestCase):
    def write_lock(self, directory, pid, host=None):
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, checkpointing.LOCK_FILE), "w") as f:
            json.dump({"pid": pid, "host": host or socket.gethostname(), "token": "x"}, f)

    def test_a_live_process_holds_the_directory(self):
        directory = os.path.join(self.get_temp_dir(), "live")
        holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            self.write_lock(directory, holder.pid)
            inference, networks, optimizers = make_gan()
            with self.assertRaisesRegex(
                ValueError,
                rf"checkpoint_dir must be a directory no other run writes, got '.*live', "
                rf"locked by process {holder.pid} on host .*If that run is gone .*delete "
                rf"'.*adinfer.lock'",
            ):
                inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
            self.assertEqual(int(inference.t), 0)
        finally:
            holder.kill()
            holder.wait()
        # Its process gone, the lock is stale: taken over, saying so.
        inference, _, out = initialize(directory)
        self.assertIn(
            f"took over the stale lock {directory}/adinfer.lock (process {holder.pid}", out
        )
        inference.update()
        inference.finalize()
        self.assertFalse(os.path.exists(os.path.join(directory, checkpointing.LOCK_FILE)))

    def test_another_hosts_lock_is_reported_with_the_override(self):
        directory = os.path.join(self.get_temp_dir(), "remote")
        self.write_lock(directory, 1, host="elsewhere")
        inference, _, optimizers = make_gan()
        with self.assertRaisesRegex(
            ValueError, r"locked by process 1 on host 'elsewhere'.*delete '.*adinfer.lock'"
        ):
            inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
        os.remove(os.path.join(directory, checkpointing.LOCK_FILE))  # the override
        inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
        inference.finalize()

    def test_two_inferences_of_one_process(self):
        """A later inference of the same process (a notebook cell run again)
        takes the directory over; the earlier one can no longer save there.
        """
        directory = os.path.join(self.get_temp_dir(), "two")
        first, _, _ = initialize(directory)
        first.update()
        first.save()
        second, _, out = initialize(directory)
        self.assertIn("held by an earlier inference of this process", out)
        self.assertEqual(int(second.t), 1)
        first.update()
        with self.assertRaisesRegex(
            ValueError, r"locked by a later inference of this process, which took it over"
        ):
            first.save()
        with self.assertRaisesRegex(ValueError, r"locked by a later inference"):
            first.finalize()
        second.update()
        second.finalize()
        self.assertEqual(tf.train.latest_checkpoint(directory), os.path.join(directory, "ckpt-2"))
        self.assertFalse(os.path.exists(os.path.join(directory, checkpointing.LOCK_FILE)))


def _truncate(path):
    with open(path, "rb") as f:
        content = f.read()
    with open(path, "wb") as f:
        f.write(content[: len(content) // 2])


def _zero(path):
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(b"\0" * size)


@pytest.mark.slow
class TwoProcessesTest(tf.test.TestCase):
    def test_the_second_process_fails_fast(self):
        """A training process holds its directory: a second inference on it
        (here, in this process) fails at once naming the first's pid; once the
        first is killed, its lock is stale and the directory resumes.
        """
        directory = os.path.join(self.get_temp_dir(), "shared")
        first = subprocess.Popen(
            [sys.executable, WORKER, "gan", "100000", directory, os.devnull, "--every", "50"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=ENV,
        )
        try:
            self.assertEqual(first.stdout.readline().strip(), "training")
            lock = os.path.join(directory, checkpointing.LOCK_FILE)
            deadline = time.time() + 120
            while tf.train.latest_checkpoint(directory) is None and time.time() < deadline:
                time.sleep(0.1)
            self.assertTrue(os.path.exists(lock))
            inference, _, optimizers = make_gan()
            started = time.time()
            with self.assertRaisesRegex(
                ValueError,
                rf"checkpoint_dir must be a directory no other run writes.*process {first.pid}",
            ):
                inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
            print(f"refused in {time.time() - started:.2f} s")
            self.assertEqual(int(inference.t), 0)
            with open(lock) as f:  # still the first run's
                self.assertEqual(json.load(f)["pid"], first.pid)
        finally:
            first.kill()
            first.wait(timeout=30)
        # Its process gone, the lock is stale and taken over; the worker's wider
        # networks do not fit ours, so the lock is let go again, nothing restored.
        inference, _, optimizers = make_gan()
        with messages() as out:
            with self.assertRaisesRegex(ValueError, r"does not fit this inference"):
                inference.initialize(n_print=0, checkpoint_dir=directory, **optimizers)
        self.assertIn(f"process {first.pid} is no longer running", out.getvalue())
        self.assertFalse(os.path.exists(lock))


class OverflowTest(tf.test.TestCase):
    """Issue 27, item 3: finite gradients that overflow the weights (SGD at a
    learning rate near float32's maximum) are taken back like a non-finite
    gradient's update, so no weight and no checkpoint is ever non-finite."""

    def make_wgan(self, steps=0):
        """The learning rate jumps to 3e38 after `steps` updates of each optimizer."""
        keras.utils.set_random_seed(0)
        # Observations near 100 make the critic's gradients about 100, finite,
        # while 3e38 times them is not.
        x_train = (100.0 + np.random.RandomState(0).randn(64, 2)).astype("float32")
        generator, critic = keras.layers.Dense(2), keras.layers.Dense(1)

        def fake(n):
            return generator(tf.random.normal([n, 2]))

        inference = adinfer.WGANInference(
            data={fake: x_train}, discriminator=critic, batch_size=32, seed=0
        )
        rate = keras.optimizers.schedules.PiecewiseConstantDecay([steps - 1], [1e-3, 3e38])
        sgd = lambda: keras.optimizers.SGD(learning_rate=rate)  # noqa: E731
        return inference, [generator, critic], {"optimizer": sgd(), "optimizer_d": sgd()}

    def test_update_takes_an_overflowing_step_back(self):
        inference, networks, optimizers = self.make_wgan()
        inference.initialize(**optimizers)
        inference.update(variables="Gen")  # the generator's gradient is small: taken
        before = values(networks)
        slots = [v.numpy() for v in inference.optimizers["Disc"].variables]
        with self.assertRaisesRegex(
            adinfer.NonFiniteError, r"update t=2 \(Disc\).*updated weights"
        ):
            inference.update(variables="Disc")
        self.assertEqual(int(inference.t), 1)
        for a, b in zip(before, values(networks)):
            self.assertAllEqual(a, b)
        for a, v in zip(slots, inference.optimizers["Disc"].variables):
            self.assertAllEqual(a, v.numpy())  # the step count too

    def test_run_stops_with_finite_weights_and_checkpoints(self):
        directory = self.get_temp_dir()
        inference, networks, optimizers = self.make_wgan(steps=3)
        with self.assertRaisesRegex(adinfer.NonFiniteError, r"update t=(\d+)") as cm:
            inference.run(
                n_iter=20,
                n_critic=1,
                n_print=0,
                checkpoint_dir=directory,
                checkpoint_every=1,
                **optimizers,
            )
        failed_at = int(str(cm.exception).split("t=")[1].split(" ")[0])
        self.assertEqual(failed_at, 7)  # the fourth "Disc" update: the first at 3e38
        self.assertEqual(int(inference.t), failed_at - 1)
        self.assertTrue(all(np.isfinite(v).all() for v in values(networks)))
        newest = tf.train.latest_checkpoint(directory)
        self.assertEqual(os.path.basename(newest), f"ckpt-{failed_at - 1}")
        for path in tf.io.gfile.glob(os.path.join(directory, "ckpt-*.index")):
            reader = tf.train.load_checkpoint(path[: -len(".index")])
            for name, dtype in reader.get_variable_to_dtype_map().items():
                if dtype.is_floating:
                    self.assertTrue(np.isfinite(reader.get_tensor(name)).all(), name)
