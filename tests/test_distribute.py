"""Training under `tf.distribute`: MirroredStrategy over 2 logical CPU devices
and MultiWorkerMirroredStrategy over 2 processes on 127.0.0.1.

Logical devices must be configured before TensorFlow starts, and a
MultiWorkerMirroredStrategy needs a process per worker, so every run here is a
subprocess (`tests/distribute_worker.py`), started with a timeout and always
killed at the end.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import adinfer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "distribute_worker.py")
ENV = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
TOLERANCE = 1e-5  # floating-point order: 50 updates reach at most 7e-7


def _start(*args, env=None):
    return subprocess.Popen(
        [sys.executable, WORKER, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or ENV,
    )


def _finish(test, procs, timeout=300):
    """Waits for every process (killing all at the end) and asserts success."""
    outputs, errors = [], []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=timeout)
            outputs.append(stdout)
            errors.append(stderr)
        # Every process's stderr: a worker that crashed shows in the other's
        # error only as "unhealthy".
        for i, proc in enumerate(procs):
            others = "".join(f"\n--- process {j}:\n{e[-2000:]}" for j, e in enumerate(errors))
            test.assertEqual(proc.returncode, 0, f"process {i} failed;{others}")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=30)
    return outputs


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _workers(kind, n_iter, directory, outs):
    """2 processes of a MultiWorkerMirroredStrategy on 127.0.0.1."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    procs = []
    for index, out in enumerate(outs):
        config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        env = {**ENV, "TF_CONFIG": json.dumps(config)}
        procs.append(_start("worker", kind, n_iter, directory, out, env=env))
    return procs


def _weights(path):
    arrays = np.load(path)
    return int(arrays["t"]), [arrays[k] for k in sorted(arrays.files) if k != "t"]


def _largest_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


@pytest.mark.slow
class MirroredStrategyTest(tf.test.TestCase):
    """Two processes run each model on one device and on 2 replicas."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.directory = tempfile.mkdtemp(prefix="adinfer_mirrored_")
        # The worker's two halves in two processes, one per core.
        parts = {}
        for part in ("runs", "rest"):
            os.makedirs(os.path.join(cls.directory, part))
            out = os.path.join(cls.directory, part, "mirrored.json")
            parts[out] = _start("mirrored", out, part)
        cls.results = {}
        try:
            for out, proc in parts.items():
                _, stderr = proc.communicate(timeout=600)
                assert proc.returncode == 0, stderr[-3000:]
                with open(out) as f:
                    cls.results.update(json.load(f))
        finally:
            for proc in parts.values():
                proc.kill()
                proc.wait(timeout=30)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)
        super().tearDownClass()

    def test_two_replicas(self):
        self.assertEqual(self.results["replicas"], 2)

    def test_run_follows_the_single_device_trajectory(self):
        """50 iterations of `run()` (WGAN-GP: 50 × (5 critic + 1 generator)
        updates; a spectrally normalized critic): the weights and every
        iteration's losses agree."""
        for kind in ("gan", "bigan", "pack2", "wgan_gp", "spectral"):
            result = self.results[f"run/{kind}"]
            print(kind, result["weights"], result["losses"])
            self.assertEqual(result["t"][0], result["t"][1])
            self.assertGreater(result["moved"], 0.1, kind)  # training did move them
            self.assertLess(result["weights"], TOLERANCE, kind)
            self.assertLess(result["losses"], TOLERANCE, kind)

    def test_xla_per_replica(self):
        """`jit_compile=True`: 20 iterations agree with one device's XLA run."""
        self.assertLess(self.results["run/gan_xla"]["weights"], TOLERANCE)

    def test_regularization_and_penalties_count_once(self):
        """L2 weight and activity regularizers on every layer, gradient penalty
        and R1: the objectives of the first update equal the single device's,
        and so do the weights after 10 updates."""
        for kind in ("gan", "bigan"):
            result = self.results[f"regularized/{kind}"]
            self.assertAllClose(*result["loss"], rtol=1e-6, atol=0)
            self.assertAllClose(*result["loss_d"], rtol=1e-6, atol=0)
            self.assertLess(result["weights"], TOLERANCE, kind)

    def test_update_loop_fed_by_placeholder(self):
        self.assertLess(self.results["update_fed"]["weights"], TOLERANCE)

    def test_checkpoint_resumes_on_one_device(self):
        """A mirrored run saved at t=20, resumed without a strategy to t=50,
        equals a mirrored run of 50 (weights and generator averages)."""
        result = self.results["resume_on_one_device"]
        self.assertEqual(result["t"], 50)
        self.assertLess(result["weights"], TOLERANCE)
        self.assertLess(result["averages"], TOLERANCE)

    def test_summaries_hold_the_global_loss(self):
        """TensorBoard's `loss` under 2 replicas is the single device's loss."""
        logged = {int(k): v for k, v in self.results["logs"]["mirrored"].items()}
        self.assertEqual(sorted(logged), list(range(1, 21)))
        single = [loss for loss, _ in self.results["run/gan"]["single_losses"]]
        for step, value in logged.items():
            self.assertAllClose(value, single[step - 1], atol=TOLERANCE, rtol=0)


@pytest.mark.slow
class MultiWorkerTest(tf.test.TestCase):
    def test_two_workers_train_save_and_resume(self):
        """2 workers train 30 iterations (checkpoint every 10): they end with
        the same weights, which equal a single process's for the same global
        batch; the chief's checkpoint resumes in a single process, and a single
        process's checkpoint resumes on 2 workers."""
        tmp = self.get_temp_dir()
        ckpt = os.path.join(tmp, "two")
        outs = [os.path.join(tmp, f"worker{i}.npz") for i in range(2)]
        single_out = os.path.join(tmp, "single.npz")
        procs = _workers("gan", 30, ckpt, outs)
        procs.append(_start("single", "gan", 30, os.path.join(tmp, "one"), single_out))
        _finish(self, procs)
        (t0, w0), (t1, w1) = _weights(outs[0]), _weights(outs[1])
        self.assertEqual((t0, t1), (30, 30))
        self.assertEqual(_largest_difference(w0, w1), 0.0)
        t_single, w_single = _weights(single_out)
        difference = _largest_difference(w0, w_single)
        print("2 workers vs 1 process, after 30 updates:", difference)
        self.assertLess(difference, TOLERANCE)
        # Only the chief wrote: one directory, checkpoints at 10, 20, 30.
        self.assertEqual(tf.train.latest_checkpoint(ckpt), os.path.join(ckpt, "ckpt-30"))
        self.assertEqual(
            sorted(f for f in os.listdir(ckpt) if f.endswith(".index")),
            ["ckpt-10.index", "ckpt-20.index", "ckpt-30.index"],
        )

        # Only the chief's summaries reach its logdir; the other worker's go to
        # a temporary directory.
        self.assertLen(os.listdir(outs[0] + ".logs"), 1)
        self.assertEmpty(os.listdir(outs[1] + ".logs") if os.path.exists(outs[1] + ".logs") else [])
        # 2 workers -> 1 process: resumes at t=30, trains to 40.
        (stdout,) = _finish(
            self, [_start("single", "gan", 40, ckpt, os.path.join(tmp, "resumed1.npz"))]
        )
        self.assertIn("at t=30", stdout)
        self.assertEqual(_weights(os.path.join(tmp, "resumed1.npz"))[0], 40)

        # 1 process -> 2 workers: resume the single process's checkpoint (t=30).
        resumed = [os.path.join(tmp, f"resumed2_{i}.npz") for i in range(2)]
        outputs = _finish(self, _workers("gan", 40, os.path.join(tmp, "one"), resumed))
        for stdout in outputs:
            self.assertIn("at t=30", stdout)
        (t0, w0), (t1, w1) = _weights(resumed[0]), _weights(resumed[1])
        self.assertEqual((t0, t1), (40, 40))
        self.assertEqual(_largest_difference(w0, w1), 0.0)


class ReplicaPartTest(tf.test.TestCase):
    def test_outside_a_strategy_it_is_the_draw(self):
        draw = lambda m: tf.range(m)  # noqa: E731
        self.assertAllEqual(adinfer.replica_part(draw, 4), [0, 1, 2, 3])

    def test_batch_size_must_split_over_replicas(self):
        replicas = adinfer.distribute.Replicas(tf.distribute.get_strategy())
        self.assertEqual((replicas.count, replicas.workers, replicas.local), (1, 1, 1))
        self.assertTrue(replicas.is_chief)
        replicas.count = 2  # as under a strategy of 2 replicas
        with self.assertRaisesRegex(ValueError, "batch_size=5 must be a multiple of the 2"):
            replicas.check_batch(5)
        replicas.check_batch(6)

    def test_worker_shards_make_up_the_global_batch(self):
        """With 2 workers, each reads its own shard of the shuffled stream, and
        the two worker batches of a step are the single process's batch."""
        x = np.arange(40, dtype=np.float32).reshape(20, 2)

        def batches(workers, index):
            replicas = adinfer.distribute.Replicas(tf.distribute.get_strategy())
            replicas.workers, replicas.worker_index = workers, index
            stream = adinfer.data.Stream(x, batch_size=4, seed=3, replicas=replicas)
            return [stream.next(()).numpy() for _ in range(12)]  # a few epochs

        single = batches(1, 0)
        halves = [batches(2, 0), batches(2, 1)]
        for step in range(12):
            self.assertEqual(halves[0][step].shape, (2, 2))
            joined = np.concatenate([halves[0][step], halves[1][step]])
            self.assertAllEqual(np.sort(joined[:, 0]), np.sort(single[step][:, 0]))
            self.assertEmpty(set(halves[0][step][:, 0]) & set(halves[1][step][:, 0]))

    def test_call_lengths_of_workers_do_not_depend_on_time(self):
        """Workers must run the same compiled calls: lengths by a fixed rule."""
        from adinfer.engine.schedule import ChunkSizer

        sizes = []
        chunks = ChunkSizer(by_clock=False)
        for _ in range(5):
            with chunks.timed(10_000) as n:
                sizes.append(n)
        self.assertEqual(sizes, [1, 8, 40, 100, 100])
