"""Checkpoints, exact resume, warm start, sampling and export, evaluation during
training, and the stop at the first non-finite update.
"""

import contextlib
import glob
import io
import logging
import os
import random
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_logging import read_events

import adinfer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "checkpoint_worker.py")
ENV = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}


def make_gan(batch_size=16, learning_rate=1e-2, bigan=False, linear=False):
    """A small seeded GAN (or BiGAN) whose noise comes from a SeedGenerator;
    `linear` networks make a large learning rate diverge within a few steps."""
    keras.utils.set_random_seed(0)
    noise = keras.random.SeedGenerator(1)
    x = np.random.default_rng(0).normal(4.0, 0.5, size=(128, 2)).astype(np.float32)
    relu, tanh = (None, None) if linear else ("relu", "tanh")
    decoder = keras.Sequential([keras.layers.Dense(8, relu), keras.layers.Dense(2)])
    critic = keras.Sequential([keras.layers.Dense(8, tanh), keras.layers.Dense(1)])
    if bigan:
        encoder = keras.Sequential([keras.layers.Dense(8, "relu"), keras.layers.Dense(2)])
        inference = adinfer.BiGANInference(
            {lambda n: keras.random.normal([n, 2], seed=noise): encoder},
            {decoder: x},
            lambda x, z: critic(tf.concat([x, z], 1)),
            batch_size=batch_size,
            seed=0,
        )
        networks = [decoder, encoder, critic]
    else:
        fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise))
        inference = adinfer.GANInference({fake: x}, critic, batch_size=batch_size, seed=0)
        networks = [decoder, critic]
    optimizers = {
        "optimizer": keras.optimizers.SGD(learning_rate),
        "optimizer_d": keras.optimizers.SGD(learning_rate),
    }
    return inference, networks, optimizers


def poisoned_gan():
    """A small seeded GAN whose objectives are NaN from update `poison` on (a
    variable the test sets): a divergence at a chosen update."""
    keras.utils.set_random_seed(0)
    noise = keras.random.SeedGenerator(1)
    x = np.random.default_rng(0).normal(4.0, 0.5, size=(128, 2)).astype(np.float32)
    decoder = keras.Sequential([keras.layers.Dense(8, "relu"), keras.layers.Dense(2)])
    critic = keras.Sequential([keras.layers.Dense(8, "tanh"), keras.layers.Dense(1)])
    poison = tf.Variable(10**6, dtype=tf.int64, trainable=False)
    count = []  # the inference's `t`, which counts the update being made

    def discriminator(x):
        return critic(x) + tf.where(count[0] >= poison, float("nan"), 0.0)

    fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise))
    inference = adinfer.GANInference({fake: x}, discriminator, batch_size=16, seed=0)
    count.append(inference.t)
    optimizers = {
        "optimizer": keras.optimizers.Adam(0.01),
        "optimizer_d": keras.optimizers.Adam(0.01),
    }
    return inference, [decoder, critic], optimizers, poison


def values(networks):
    return [v.numpy() for net in networks for v in net.weights]


class CheckpointTest(tf.test.TestCase):
    def test_checkpoint_holds_the_training_state(self):
        inference, _, optimizers = make_gan()
        directory = self.get_temp_dir()
        inference.run(
            n_iter=12, n_print=0, checkpoint_dir=directory, checkpoint_every=5, **optimizers
        )
        state = tf.train.get_checkpoint_state(directory)
        self.assertEqual(
            [os.path.basename(p) for p in state.all_model_checkpoint_paths],
            ["ckpt-5", "ckpt-10", "ckpt-12"],
        )
        keys = [name for name, _ in tf.train.list_variables(state.model_checkpoint_path)]
        for expected in ("t/", "optimizer/", "optimizer_d/", "data/", "state/"):
            self.assertTrue(any(k.startswith(expected) for k in keys), (expected, keys))
        # The networks are reachable by group and position (what warm starts read).
        _, (decoder, critic), _ = make_gan()
        tf.train.Checkpoint(networks={"Gen": [decoder], "Disc": [critic]}).read(
            state.model_checkpoint_path
        ).assert_existing_objects_matched()
        # The noise stream's state is held: it is a variable the objective reads.
        seed_states = [v for v in inference.state_variables if "seed_generator" in v.name]
        self.assertLen(seed_states, 1)

    @pytest.mark.slow
    def test_resume_continues_to_the_total_and_ctrl_c_saves(self):
        """A run of n_iter=300 interrupted at 200 (a KeyboardInterrupt from inside
        `evaluate`) leaves a checkpoint at 200; the same call then ends at t=300."""
        directory = self.get_temp_dir()

        def interrupt_at_200(inference):
            if int(inference.t) == 200:
                raise KeyboardInterrupt
            return {}

        inference, networks, optimizers = make_gan()
        with self.assertRaises(KeyboardInterrupt):
            inference.run(
                n_iter=300,
                n_print=0,
                checkpoint_dir=directory,
                evaluate=interrupt_at_200,
                evaluate_every=100,
                **optimizers,
            )
        self.assertEqual(os.path.basename(tf.train.latest_checkpoint(directory)), "ckpt-200")
        self.assertEqual(int(inference.t), 200)

        inference, networks, optimizers = make_gan()
        with self.assertLogs("adinfer", logging.INFO) as logs:
            inference.run(n_iter=300, n_print=0, checkpoint_dir=directory, **optimizers)
        self.assertIn("resumed from", logs.output[0])
        self.assertIn("at t=200", logs.output[0])
        self.assertEqual(int(inference.t), 300)
        self.assertEqual(os.path.basename(tf.train.latest_checkpoint(directory)), "ckpt-300")
        # A third identical call has nothing left to do.
        inference.run(n_iter=300, n_print=0, checkpoint_dir=directory, **optimizers)
        self.assertEqual(int(inference.t), 300)

    @pytest.mark.slow
    def test_resume_in_process_equals_uninterrupted(self):
        """Same process, new objects: 20 + 20 updates equal 40 (data order, noise
        stream and optimizer slots all restored)."""
        directory = self.get_temp_dir()
        inference, _, optimizers = make_gan()
        inference.run(n_iter=20, n_print=0, checkpoint_dir=directory, **optimizers)
        inference, resumed, optimizers = make_gan()
        inference.run(n_iter=40, n_print=0, checkpoint_dir=directory, **optimizers)
        inference, straight, optimizers = make_gan()
        inference.run(n_iter=40, n_print=0, **optimizers)
        for a, b in zip(values(resumed), values(straight)):
            self.assertAllClose(a, b, atol=1e-6, rtol=0)

    def test_update_loop_saves_every_k_and_at_finalize(self):
        directory = self.get_temp_dir()
        inference, _, optimizers = make_gan()
        inference.initialize(n_iter=7, checkpoint_dir=directory, checkpoint_every=3, **optimizers)
        for _ in range(7):
            inference.update()
        self.assertEqual(os.path.basename(tf.train.latest_checkpoint(directory)), "ckpt-6")
        inference.finalize()
        self.assertEqual(os.path.basename(tf.train.latest_checkpoint(directory)), "ckpt-7")

    def test_warm_start_copies_networks_and_resets_optimizers(self):
        source = self.get_temp_dir()
        trained, trained_networks, optimizers = make_gan()
        trained.run(n_iter=30, n_print=0, checkpoint_dir=source, **optimizers)
        inference, networks, optimizers = make_gan()
        inference.initialize(n_iter=5, warm_start_from=source, **optimizers)
        for a, b in zip(values(networks), values(trained_networks)):
            self.assertAllEqual(a, b)
        self.assertEqual(int(inference.t), 0)
        self.assertEqual(int(inference.optimizers["Gen"].iterations), 0)
        self.assertEqual(int(inference.optimizers["Disc"].iterations), 0)
        # A checkpoint path works as well as its directory.
        inference.initialize(n_iter=5, warm_start_from=tf.train.latest_checkpoint(source))

    @pytest.mark.slow
    def test_warm_start_names_what_the_checkpoint_lacks(self):
        source = self.get_temp_dir()
        trained, _, optimizers = make_gan()
        trained.run(n_iter=3, n_print=0, checkpoint_dir=source, **optimizers)
        keras.utils.set_random_seed(1)
        wider = keras.Sequential([keras.layers.Dense(8, "relu"), keras.layers.Dense(2)])
        critic = keras.Sequential(
            [keras.layers.Dense(8, "tanh"), keras.layers.Dense(8), keras.layers.Dense(1)]
        )
        x = np.zeros([32, 2], np.float32)
        inference = adinfer.GANInference(
            {lambda n: wider(tf.random.normal([n, 2])): x}, critic, batch_size=16
        )
        before = values([wider, critic])
        with self.assertRaisesRegex(ValueError, r"warm_start_from: .*lacks.*shapes.*dense"):
            inference.initialize(n_iter=5, warm_start_from=source)
        for a, b in zip(values([wider, critic]), before):
            self.assertAllEqual(a, b)
        with self.assertRaisesRegex(ValueError, "warm_start_from: no checkpoint"):
            inference.initialize(warm_start_from=os.path.join(source, "missing"))
        inference.initialize(n_iter=5)  # still usable
        self.assertEqual(inference.update()["t"], 1)

    def test_checkpoint_arguments(self):
        inference, _, _ = make_gan()
        with self.assertRaisesRegex(ValueError, "checkpoint_every needs checkpoint_dir"):
            inference.initialize(checkpoint_every=10)
        with self.assertRaisesRegex(ValueError, "checkpoint_every must be"):
            inference.initialize(checkpoint_dir=self.get_temp_dir(), checkpoint_every=0)
        with self.assertRaisesRegex(TypeError, "checkpoint_dir must be"):
            inference.initialize(checkpoint_dir=3)
        with self.assertRaisesRegex(ValueError, "save\\(\\) needs"):
            inference.initialize()
            inference.save()


class SampleAndExportTest(tf.test.TestCase):
    def test_sample_any_n(self):
        inference, _, _ = make_gan(batch_size=16)
        for n in (0, 1, 16, 37):
            x = inference.sample(n)
            self.assertEqual(x.shape, (n, 2))
            self.assertEqual(x.dtype, np.float32)

    def test_bigan_encode_reconstruct(self):
        inference, (decoder, encoder, _), _ = make_gan(bigan=True)
        x = np.random.default_rng(1).normal(size=(37, 2)).astype(np.float32)
        self.assertAllClose(inference.encode(x), encoder(x), atol=1e-6)
        self.assertAllClose(inference.reconstruct(x), decoder(encoder(x)), atol=1e-6)
        with self.assertRaisesRegex(ValueError, "x must have shape"):
            inference.encode(np.zeros([3, 5], np.float32))

    def test_implicit_klqp_has_no_generator(self):
        import tensorflow_probability as tfp

        tfd = tfp.distributions
        q = tfd.Normal(tf.Variable(0.0), 1.0)
        inference = adinfer.ImplicitKLqp(
            {tfd.Normal(0.0, 1.0): q},
            discriminator=lambda x, z, beta: tf.reshape(z, [-1]) * tf.Variable(1.0),
        )
        with self.assertRaisesRegex(NotImplementedError, "no generator"):
            inference.sample(3)

    @pytest.mark.slow
    def test_export_served_without_adinfer(self):
        """The SavedModel serves `sample`, `encode` and `reconstruct` in a process
        where `import adinfer` fails; the served samples equal `inference.sample`
        drawn from the same seed-stream state."""
        for bigan in (False, True):
            inference, _, optimizers = make_gan(bigan=bigan)
            inference.run(n_iter=5, n_print=0, **optimizers)
            path = os.path.join(self.get_temp_dir(), f"export_{bigan}")
            inference.export(path)
            expected = inference.sample(40)  # the stream's state as exported
            x = np.random.default_rng(2).normal(size=(9, 2)).astype(np.float32)
            np.save(os.path.join(path, "x.npy"), x)
            script = (
                "import sys, numpy as np\n"
                "sys.modules['adinfer'] = None\n"  # adinfer cannot be imported here
                "import tensorflow as tf\n"
                f"m = tf.saved_model.load({path!r})\n"
                "x = np.load(sys.argv[1] + '/x.npy')\n"
                "out = {'sample': m.sample(tf.constant(40)).numpy()}\n"
                "if hasattr(m, 'encode'):\n"
                "    out['encode'] = m.encode(x).numpy()\n"
                "    out['reconstruct'] = m.reconstruct(x).numpy()\n"
                "np.savez(sys.argv[1] + '/served.npz', **out)\n"
            )
            result = subprocess.run(
                [sys.executable, "-c", script, path],
                capture_output=True,
                text=True,
                timeout=240,
                env=ENV,
            )
            self.assertEqual(result.returncode, 0, result.stderr[-3000:])
            served = np.load(os.path.join(path, "served.npz"))
            self.assertEqual(served["sample"].shape, (40, 2))
            self.assertEqual(served["sample"].dtype, np.float32)
            self.assertAllClose(served["sample"], expected, atol=1e-6)
            if bigan:
                self.assertAllClose(served["encode"], inference.encode(x), atol=1e-6)
                self.assertAllClose(served["reconstruct"], inference.reconstruct(x), atol=1e-6)


class EvaluationTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_eval_scalars_and_unchanged_trajectory(self):
        """`evaluate` draws samples (advancing the noise stream) every 10
        iterations; the run still ends with the weights of a run without it."""
        calls = []

        def evaluate(inference):
            calls.append(int(inference.t))
            return {"mean": inference.sample(64).mean(), "n": 64}

        logdir = self.get_temp_dir()
        inference, evaluated, optimizers = make_gan()
        inference.run(
            n_iter=30,
            n_print=0,
            logdir=logdir,
            log_timestamp=False,
            evaluate=evaluate,
            evaluate_every=10,
            **optimizers,
        )
        self.assertEqual(calls, [10, 20, 30])
        tags = read_events(logdir)
        self.assertEqual(sorted(tags["eval/mean"]), [10, 20, 30])
        self.assertEqual(sorted(tags["eval/n"]), [10, 20, 30])
        inference, plain, optimizers = make_gan()
        inference.run(n_iter=30, n_print=0, **optimizers)
        for a, b in zip(values(evaluated), values(plain)):
            self.assertAllEqual(a, b)

    @pytest.mark.slow
    def test_eval_on_progress_bar_and_bad_results(self):
        inference, _, optimizers = make_gan()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            inference.run(n_iter=4, n_print=2, evaluate=lambda i: {"score": 0.5}, **optimizers)
        self.assertIn("eval/score: 0.5000", out.getvalue())
        with self.assertRaisesRegex(TypeError, "evaluate must return a dict"):
            inference.run(n_iter=2, n_print=0, evaluate=lambda i: 0.5)
        with self.assertRaisesRegex(TypeError, "evaluate: 'v' must be a scalar"):
            inference.run(n_iter=2, n_print=0, evaluate=lambda i: {"v": [1.0, 2.0]})
        with self.assertRaisesRegex(TypeError, "evaluate must be a callable"):
            inference.run(n_iter=2, evaluate=3)
        with self.assertRaisesRegex(ValueError, "evaluate_every must be"):
            inference.run(n_iter=2, evaluate=lambda i: {}, evaluate_every=0)


class NonFiniteTest(tf.test.TestCase):
    def test_run_stops_at_the_first_non_finite_update(self):
        """An exploding learning rate: the error names the step and the group; the
        weights are finite and equal those of the newest checkpoint, saved at the
        update before."""
        directory = self.get_temp_dir()
        inference, networks, optimizers = make_gan(learning_rate=1e12, linear=True)
        with self.assertRaisesRegex(adinfer.NonFiniteError, r"update t=(\d+) \((Gen|Disc)") as cm:
            inference.run(
                n_iter=200, n_print=0, checkpoint_dir=directory, checkpoint_every=1, **optimizers
            )
        failed_at = int(str(cm.exception).split("t=")[1].split(" ")[0])
        self.assertGreater(failed_at, 1)
        self.assertEqual(int(inference.t), failed_at - 1)
        after = values(networks)
        self.assertTrue(all(np.isfinite(v).all() for v in after))
        newest = tf.train.latest_checkpoint(directory)
        self.assertEqual(os.path.basename(newest), f"ckpt-{failed_at - 1}")
        reader = tf.train.load_checkpoint(newest)
        floats = [k for k, d in reader.get_variable_to_dtype_map().items() if d.is_floating]
        self.assertNotEmpty(floats)
        for name in floats:
            self.assertTrue(np.isfinite(reader.get_tensor(name)).all(), name)
        restored, restored_networks, optimizers = make_gan(learning_rate=1e12, linear=True)
        restored.initialize(checkpoint_dir=directory, **optimizers)
        for a, b in zip(after, values(restored_networks)):
            self.assertAllEqual(a, b)

    def test_update_raises_and_changes_nothing(self):
        inference, networks, optimizers = make_gan(learning_rate=1e12, linear=True)
        inference.initialize(**optimizers)
        with self.assertRaises(adinfer.NonFiniteError):
            for _ in range(200):
                before, t = values(networks), int(inference.t)
                inference.update(variables="Disc")
        self.assertEqual(int(inference.t), t)
        for a, b in zip(before, values(networks)):
            self.assertAllEqual(a, b)

    @pytest.mark.slow  # 7 s of CPU, among the costliest of the fast selection
    def test_divergence_inside_a_long_call_stops_where_update_stops(self):
        """`run` trains each compiled call ungated and replays it gated when an
        update failed (`OptimisticLoop`): with the objectives made NaN at update
        k, deep inside one long call, `run` stops at exactly the update a loop
        of `update()` stops at, with the same weights. With simultaneous
        updates, the optimizer state, noise stream and data position agree too:
        the next updates are the same. (With n_critic, `run` reads the
        batches and noise of the whole iteration the failure is in, as the
        gated loop always did.)"""
        for n_critic, k in ((None, 150), (5, 100)):  # k=100: the 4th "Disc" step of an iteration
            ends = []
            for fused in (True, False):
                inference, networks, optimizers, poison = poisoned_gan()
                poison.assign(k)
                kwargs = dict(n_print=0, steps_per_execution=300, **optimizers)
                with self.assertRaisesRegex(adinfer.NonFiniteError, rf"update t={k} \((.+)\)"):
                    if fused:
                        inference.run(n_iter=300, n_critic=n_critic, **kwargs)
                    else:
                        inference.initialize(n_iter=300, **kwargs)
                        for _ in range(300):
                            for _ in range(n_critic or 0):
                                inference.update(variables="Disc")
                            inference.update(variables="Gen" if n_critic else None)
                self.assertEqual(int(inference.t), k - 1)
                if fused:  # the call was replayed, once
                    replay = inference.run_function(n_critic=n_critic).replay
                    self.assertEqual(replay.experimental_get_tracing_count(), 1)
                ends.append(values(networks))
                if n_critic is None:
                    poison.assign(10**6)
                    for _ in range(3):
                        inference.update()
                    ends[-1] += values(networks)
            for a, b in zip(*ends):
                self.assertAllClose(a, b, rtol=0, atol=1e-6)

    @pytest.mark.slow
    def test_n_critic_run_stops_inside_an_iteration(self):
        inference, _, optimizers = make_gan(learning_rate=1e12, linear=True)
        with self.assertRaises(adinfer.NonFiniteError):
            inference.run(n_iter=100, n_critic=5, n_print=0, **optimizers)
        t = int(inference.t)
        self.assertTrue(all(np.isfinite(v.numpy()).all() for v in inference.variables["Disc"]))
        self.assertGreater(t, 0)


def _worker(kind, n_iter, directory, out, *extra):
    return subprocess.Popen(
        [sys.executable, WORKER, kind, str(n_iter), directory, out, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _finish(test, proc, timeout=300):
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    test.assertEqual(proc.returncode, 0, stderr[-3000:])
    return stdout


@pytest.mark.slow
class ResumeInNewProcessTest(tf.test.TestCase):
    def test_exact_resume(self):
        """With op determinism and fixed seeds, N updates, a restart in a new
        process, and N more equal 2N uninterrupted updates (to 1e-6): a GAN fed
        by an array (data order included), a BiGAN, and `run(n_critic=5)`.
        Each of the three processes (interrupted, uninterrupted, resumed)
        trains the three kinds in turn."""
        n, kinds = 15, ("gan", "bigan", "critic5")
        tmp = self.get_temp_dir()
        path = lambda *parts: os.path.join(tmp, "{kind}", *parts)  # noqa: E731
        first = _worker(",".join(kinds), n, path("a"), path("first.npz"))
        whole = _worker(",".join(kinds), 2 * n, path("b"), path("whole.npz"))
        _finish(self, first)
        stdout = _finish(self, _worker(",".join(kinds), 2 * n, path("a"), path("resumed.npz")))
        _finish(self, whole)
        for kind in kinds:
            updates = n * (6 if kind == "critic5" else 1)
            newest = os.path.join(tmp, kind, "a", f"ckpt-{updates}")
            self.assertIn(f"resumed from {newest} at t={updates}", stdout)
            self.assertIn(f"done {kind} {2 * updates}", stdout)
            resumed = np.load(os.path.join(tmp, kind, "resumed.npz"))
            reference = np.load(os.path.join(tmp, kind, "whole.npz"))
            self.assertEqual(int(resumed["t"]), 2 * updates)
            worst = max(np.abs(resumed[k] - reference[k]).max() for k in reference.files)
            print(f"{kind}: largest difference after resume {worst:.3g}")
            self.assertLessEqual(worst, 1e-6, kind)

    def test_sigkill_leaves_a_restorable_checkpoint(self):
        """Training processes with a large state (saved after every update, so
        most of their time is spent writing checkpoints) are killed with SIGKILL
        at random moments; each directory's newest checkpoint then restores, and
        training continues from it (in one new process for all). At least 6
        trials, two processes at a time, and more until one kill has
        interrupted a save (at most 24), so that the test always covers a kill
        inside a save."""
        rng = random.Random(0)
        directories, newest, during_save = [], {}, 0
        for trial in range(0, 24, 2):  # two processes at a time
            if trial >= 6 and during_save:
                break
            pair = [os.path.join(self.get_temp_dir(), f"kill{trial + i}") for i in range(2)]
            procs = {
                d: _worker("gan", 100000, d, os.devnull, "--every", "1", "--width", "1024")
                for d in pair
            }
            try:
                for proc in procs.values():
                    self.assertEqual(proc.stdout.readline().strip(), "training")
                # Each is killed a random time after its first checkpoint.
                delay = {d: rng.uniform(0.0, 1.5) for d in pair}
                kill_at, deadline = {}, time.time() + 60
                while len(kill_at) < len(pair) or time.time() < max(kill_at.values()):
                    for d, proc in procs.items():
                        if d not in kill_at and tf.train.latest_checkpoint(d) is not None:
                            kill_at[d] = time.time() + delay[d]
                        if d in kill_at and time.time() >= kill_at[d]:
                            proc.send_signal(signal.SIGKILL)
                    if time.time() > deadline:
                        break
                    time.sleep(0.02)
            finally:
                for proc in procs.values():
                    proc.kill()
                    proc.wait(timeout=30)
            for directory in pair:
                newest[directory] = tf.train.latest_checkpoint(directory)
                self.assertIsNotNone(newest[directory], f"{directory}: no checkpoint")
                saved = int(newest[directory].rsplit("-", 1)[1])
                # Files of a save that the kill interrupted: temporaries, or a
                # newer checkpoint the state file does not point to yet.
                leftovers = [
                    p
                    for p in glob.glob(os.path.join(directory, "*"))
                    if "_temp" in p or any(f"ckpt-{k}." in p for k in (saved + 1, saved + 2))
                ]
                during_save += bool(leftovers)
                directories.append(directory)
        verifier = subprocess.run(
            [sys.executable, WORKER, "verify", "1024", *directories],
            capture_output=True,
            text=True,
            timeout=600,
            env=ENV,
        )
        self.assertEqual(verifier.returncode, 0, verifier.stderr[-3000:])
        for directory in directories:
            saved = int(newest[directory].rsplit("-", 1)[1])
            self.assertIn(f"resumed from {newest[directory]} at t={saved}", verifier.stdout)
            self.assertIn(f"done {directory} {saved + 2} finite", verifier.stdout)
        print(f"SIGKILL trials: {len(directories)}, interrupted a save: {during_save}")
        self.assertGreater(during_save, 0)
