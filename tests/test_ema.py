"""Generator EMA: `initialize(ema_decay=d)` averages the "Gen" variables."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_checkpoints import make_gan


def gen_values(inference):
    return [v.numpy().copy() for v in inference.variables["Gen"]]


class EMATest(tf.test.TestCase):
    def recurrence(self, start, recorded, decay):
        """w̄_0 = the weights at `initialize`; w̄_k = d·w̄_{k-1} + (1 − d)·w_k."""
        averages = [w.astype(np.float64) for w in start]
        for weights in recorded:
            averages = [decay * a + (1 - decay) * w for a, w in zip(averages, weights)]
        return averages

    def test_update_matches_the_recurrence(self):
        """Simultaneous updates and "Gen"-only updates move the averages; "Disc"
        updates do not."""
        decay = 0.9
        inference, _, optimizers = make_gan()
        inference.initialize(ema_decay=decay, **optimizers)
        start, recorded = gen_values(inference), []
        for k in range(12):
            inference.update(variables=("Disc" if k % 3 == 2 else None))
            if k % 3 != 2:
                recorded.append(gen_values(inference))
        for got, want in zip(inference.averages, self.recurrence(start, recorded, decay)):
            self.assertAllClose(got, want, atol=1e-6, rtol=0)

    @pytest.mark.slow
    def test_fused_run_matches_the_recurrence(self):
        """Inside `run(n_critic=2)`: the weights after every "Gen" update, from an
        unfused twin with the same seeds, give the averages the fused run kept."""
        decay = 0.8
        inference, _, optimizers = make_gan()
        inference.initialize(ema_decay=decay, **optimizers)
        start, recorded = gen_values(inference), []
        for _ in range(10):
            for _ in range(2):
                inference.update(variables="Disc")
            inference.update(variables="Gen")
            recorded.append(gen_values(inference))
        fused, _, optimizers = make_gan()
        fused.run(n_iter=10, n_critic=2, n_print=0, ema_decay=decay, **optimizers)
        for got, want in zip(fused.averages, self.recurrence(start, recorded, decay)):
            self.assertAllClose(got, want, atol=1e-6, rtol=0)
        for got, want in zip(gen_values(fused), recorded[-1]):
            self.assertAllClose(got, want, atol=1e-6, rtol=0)

    @pytest.mark.slow
    def test_warmup_matches_the_recurrence(self):
        """`ema_warmup=True`: d_t = min(d, (1 + t) / (10 + t)) at "Gen" update t
        (tf.train.ExponentialMovingAverage's num_updates), in `update()` loops
        and inside `run(n_critic=2)`, against NumPy (1e-6)."""
        decay = 0.99

        def recurrence(start, recorded):
            averages = [w.astype(np.float64) for w in start]
            for t, weights in recorded:
                d = min(decay, (1 + t) / (10 + t))
                averages = [d * a + (1 - d) * w for a, w in zip(averages, weights)]
            return averages

        inference, _, optimizers = make_gan()
        inference.initialize(ema_decay=decay, ema_warmup=True, **optimizers)
        start, recorded = gen_values(inference), []
        for k in range(9):
            info = inference.update(variables="Disc" if k % 3 == 2 else None)
            if k % 3 != 2:
                recorded.append((info["t"], gen_values(inference)))
        want = recurrence(start, recorded)
        for got, w in zip(inference.averages, want):
            self.assertAllClose(got, w, atol=1e-6, rtol=0)
        # The warm-up matters here: the averages without it are far from these.
        plain = self.recurrence(start, [w for _, w in recorded], decay)
        self.assertGreater(max(np.abs(a - b).max() for a, b in zip(plain, want)), 1e-3)

        fused, _, optimizers = make_gan()
        fused.run(n_iter=4, n_critic=2, n_print=0, ema_decay=decay, ema_warmup=True, **optimizers)
        twin, _, optimizers = make_gan()
        twin.initialize(ema_decay=decay, ema_warmup=True, **optimizers)
        start, recorded = gen_values(twin), []
        for _ in range(4):
            twin.update(variables="Disc")
            twin.update(variables="Disc")
            recorded.append((twin.update(variables="Gen")["t"], gen_values(twin)))
        self.assertEqual([t for t, _ in recorded], [3, 6, 9, 12])
        for got, w in zip(fused.averages, recurrence(start, recorded)):
            self.assertAllClose(got, w, atol=1e-6, rtol=0)

    @pytest.mark.slow
    def test_sample_and_export_use_the_averages(self):
        inference, (decoder, _), optimizers = make_gan()
        inference.run(n_iter=20, n_print=0, ema_decay=0.5, **optimizers)
        trained = gen_values(inference)
        noise = keras.random.SeedGenerator(5)
        inference.fake = lambda n: decoder(keras.random.normal([n, 2], seed=noise))
        inference.reset_compiled()
        state = noise.state.numpy()
        averaged = inference.sample(8)
        noise.state.assign(state)
        raw = inference.sample(8, ema=False)
        noise.state.assign(state)
        z = keras.random.normal([8, 2], seed=noise)
        for v, a in zip(inference.variables["Gen"], inference.averages):
            v.assign(a)
        self.assertAllClose(averaged, decoder(z), atol=1e-6)
        for v, w in zip(inference.variables["Gen"], trained):
            v.assign(w)
        self.assertAllClose(raw, decoder(z), atol=1e-6)
        self.assertNotAllClose(averaged, raw)
        # Sampling put the trained weights back.
        for got, want in zip(gen_values(inference), trained):
            self.assertAllEqual(got, want)
        noise.state.assign(state)
        path = inference.export(os.path.join(self.get_temp_dir(), "ema"))
        noise.state.assign(state)
        served = tf.saved_model.load(path)
        self.assertAllClose(served.sample(tf.constant(8)), averaged, atol=1e-6)

    @pytest.mark.slow
    def test_evaluation_sees_the_averages(self):
        seen = []

        def evaluate(inference):
            seen.append([v.numpy().copy() for v in inference.variables["Gen"]])
            return {}

        inference, _, optimizers = make_gan()
        inference.run(
            n_iter=10, n_print=0, ema_decay=0.5, evaluate=evaluate, evaluate_every=10, **optimizers
        )
        for got, want in zip(seen[-1], inference.averages):
            self.assertAllEqual(got, want)
        self.assertNotAllClose(gen_values(inference)[0], inference.averages[0].numpy())

    @pytest.mark.slow
    def test_averages_survive_a_checkpoint(self):
        directory = self.get_temp_dir()
        inference, _, optimizers = make_gan()
        inference.run(n_iter=15, n_print=0, ema_decay=0.9, checkpoint_dir=directory, **optimizers)
        saved = [a.numpy() for a in inference.averages]
        restored, _, optimizers = make_gan()
        restored.initialize(ema_decay=0.9, checkpoint_dir=directory, **optimizers)
        self.assertEqual(int(restored.t), 15)
        for got, want in zip(restored.averages, saved):
            self.assertAllEqual(got, want)

    def test_bad_decay(self):
        inference, _, _ = make_gan()
        with self.assertRaisesRegex(ValueError, "ema_decay must be a number in"):
            inference.initialize(ema_decay=1.0)
        with self.assertRaisesRegex(TypeError, r"ema_decay must be a number in \(0, 1\) or None"):
            inference.initialize(ema_decay="0.9")
        with self.assertRaisesRegex(TypeError, "ema_warmup must be a bool, got"):
            inference.initialize(ema_decay=0.9, ema_warmup=1)
