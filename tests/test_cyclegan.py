"""CycleGANInference: objectives against NumPy (TF-GAN's cyclegan_loss), the
history pool's statistics, exact resume with a pool, serving both directions.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from examples_loader import load_example, run_main

import adinfer
from adinfer.inferences import cyclegan

BATCH, DIM = 6, 3


def np_mlp(layers, x):
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in layers)
    return np.tanh(x @ w1 + b1) @ w2 + b2


def np_dense(layer, x):
    w, b = layer.get_weights()
    return x @ w + b


class Nets:
    """Linear generators X <-> Y and tanh discriminators, seeded; D_Y returns
    patch logits [batch, 2, 1]."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        self.G, self.F = keras.layers.Dense(DIM), keras.layers.Dense(DIM)
        self.DX = [keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)]
        self.DY = [keras.layers.Dense(4, "tanh"), keras.layers.Dense(2)]

    def programs(self):
        return {
            "generator_x2y": self.G,
            "generator_y2x": self.F,
            "discriminator_x": lambda x: self.DX[1](self.DX[0](x)),
            "discriminator_y": lambda y: self.DY[1](self.DY[0](y))[:, :, None],
        }


def frozen(inference):
    inference.initialize(
        n_print=0, optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0)
    )
    return inference


def ls_g(d_fake):
    return 0.5 * np.mean((d_fake - 1) ** 2)


def ls_d(d_real, d_fake):
    return 0.5 * np.mean((d_real - 1) ** 2) + 0.5 * np.mean(d_fake**2)


def np_objectives(nets, x, y, seen_y, seen_x, cycle_weight, identity_weight):
    """TF-GAN's cyclegan_loss (least squares, summed over both directions),
    plus the identity term; D_Y and D_X see `seen_y`, `seen_x` as generated."""
    G, F = (lambda a: np_dense(nets.G, a)), (lambda a: np_dense(nets.F, a))
    l1 = lambda a, b: np.mean(np.abs(a - b))
    cycle = (l1(x, F(G(x))) + l1(y, G(F(y)))) / 2
    identity = (l1(y, G(y)) + l1(x, F(x))) / 2
    loss = (
        ls_g(np_mlp(nets.DY, G(x)))
        + ls_g(np_mlp(nets.DX, F(y)))
        + cycle_weight * cycle
        + identity_weight * identity
    )
    loss_d = ls_d(np_mlp(nets.DY, y), np_mlp(nets.DY, seen_y)) + ls_d(
        np_mlp(nets.DX, x), np_mlp(nets.DX, seen_x)
    )
    return loss, loss_d


class CycleGANObjectivesTest(tf.test.TestCase):
    def setUp(self):
        rng = np.random.default_rng(1)
        self.x = [rng.normal(size=(BATCH, DIM)).astype(np.float32) for _ in range(3)]
        self.y = [rng.normal(1.0, 2.0, size=(BATCH, DIM)).astype(np.float32) for _ in range(3)]

    def test_tf_gan_cycle_consistency_values(self):
        """TF-GAN's own test of cycle_consistency_loss (losses_impl_test.py): 5.25."""
        loss = cyclegan.cycle_consistency_loss(
            tf.constant([[1.0, 2, 3], [4, 5, 6]]),
            tf.constant([[7.0, 8, 9], [10, 11, 12]]),
            tf.constant([1.0, 9]),
            tf.constant([-2.0, 3]),
        )
        self.assertNear(float(loss), 5.25, 1e-5)

    def test_objectives_match_numpy(self):
        """Cycle weight 3 and identity weight 0.7 (the defaults, 10 and none, in
        the pool's test below)."""
        nets = Nets()
        phs = (adinfer.placeholder([None, DIM]), adinfer.placeholder([None, DIM]))
        inference = frozen(
            adinfer.CycleGANInference(
                phs, **nets.programs(), cycle_consistency_loss_weight=3.0, identity_loss_weight=0.7
            )
        )
        x, y = self.x[0], self.y[0]
        info = inference.update(feed_dict={phs[0]: x, phs[1]: y})
        loss, loss_d = np_objectives(nets, x, y, np_dense(nets.G, x), np_dense(nets.F, y), 3.0, 0.7)
        self.assertAllClose(info["loss"], loss, atol=1e-5, rtol=0)
        self.assertAllClose(info["loss_d"], loss_d, atol=1e-5, rtol=0)

    @pytest.mark.slow
    def test_pooled_batches_reach_the_discriminators_only(self):
        """pool_size=1, pooling_probability=1: the second update's discriminators
        see the first batch's translations; the generators their own."""
        nets = Nets()
        phs = (adinfer.placeholder([BATCH, DIM]), adinfer.placeholder([BATCH, DIM]))
        inference = frozen(
            adinfer.CycleGANInference(
                phs, **nets.programs(), pool_size=1, pooling_probability=1.0, seed=3
            )
        )
        first = inference.update(feed_dict={phs[0]: self.x[0], phs[1]: self.y[0]})
        second = inference.update(feed_dict={phs[0]: self.x[1], phs[1]: self.y[1]})
        # Updating "Gen" alone leaves the pool as it was: the third batch's
        # discriminators still see the first batch's translations.
        inference.update(feed_dict={phs[0]: self.x[2], phs[1]: self.y[2]}, variables="Gen")
        third = inference.update(feed_dict={phs[0]: self.x[2], phs[1]: self.y[2]})
        for info, now, seen in ((first, 0, 0), (second, 1, 0), (third, 2, 1)):
            x, y = self.x[now], self.y[now]
            loss, loss_d = np_objectives(
                nets,
                x,
                y,
                np_dense(nets.G, self.x[seen]),
                np_dense(nets.F, self.y[seen]),
                10.0,
                0.0,
            )
            self.assertAllClose(info["loss"], loss, atol=1e-5, rtol=0)
            self.assertAllClose(info["loss_d"], loss_d, atol=1e-5, rtol=0)


class TensorPoolTest(tf.test.TestCase):
    """TF-GAN's tests of `tensor_pool` (random_tensor_pool_test.py), ported,
    and the age of what the pool returns."""

    def history(self, pool_size, probability, total, seed=0):
        pool = cyclegan.TensorPool(pool_size, probability, seed=seed)
        pool.query(tf.zeros([1]), dry_run=True)  # makes its variables

        @tf.function(autograph=False)
        def step(i):
            seen, write = pool.query(tf.fill([1], tf.cast(i, tf.float32)))
            pool.write(*write)
            return seen[0]

        return np.array([int(step(tf.constant(i))) for i in range(total)])

    def test_values_are_past_ones_returned_at_most_twice(self):
        outs = self.history(10, 0.5, 50)
        self.assertTrue(np.all(outs <= np.arange(50)))
        self.assertAllEqual(outs[:10], np.arange(10))  # filling: the input itself
        _, counts = np.unique(outs, return_counts=True)
        self.assertTrue(np.all(counts <= 2))

    def test_never_pool(self):
        self.assertAllEqual(self.history(10, 0.0, 50), np.arange(50))

    def test_pooling_probability_and_ages(self):
        """Past batches are returned with the stated probability (TF-GAN's
        tolerance, 0.03: 2.7 standard deviations at 2000 draws); their age is
        geometric with mean pool_size, as uniform replacement makes it (a
        first-in-first-out pool would return ages of exactly 10)."""
        size = 10
        for probability, total in ((0.2, 1000), (0.5, 2000)):  # TF-GAN's test, then ours
            outs = self.history(size, probability, total, seed=1)
            not_pooled = np.sum(outs == np.arange(total))
            fraction = (not_pooled - size) / (total - size)
            self.assertAllClose(fraction, 1 - probability, atol=0.03)
        ages = (np.arange(total) - outs)[outs != np.arange(total)]
        self.assertAllClose(np.mean(ages), size, atol=1.5)
        # P(age > 2 size) = 0.9^20 = 0.12 for a geometric age.
        self.assertAllClose(np.mean(ages > 2 * size), 0.9**20, atol=0.05)


def make_cyclegan(pool_size=4, learning_rate=0.05, **programs):
    nets = Nets()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, DIM)).astype(np.float32)
    y = rng.normal(2.0, 1.0, size=(30, DIM)).astype(np.float32)
    inference = adinfer.CycleGANInference(
        (x, y), **{**nets.programs(), **programs}, pool_size=pool_size, batch_size=8, seed=0
    )
    optimizers = {
        "optimizer": keras.optimizers.SGD(learning_rate),
        "optimizer_d": keras.optimizers.SGD(learning_rate),
    }
    return inference, nets, optimizers


def weights(inference, nets):
    layers = [nets.G, nets.F, *nets.DX, *nets.DY]
    pools = [p.values for p in inference.pools.values()] + [
        p.count for p in inference.pools.values()
    ]
    return [w for layer in layers for w in layer.get_weights()] + [v.numpy() for v in pools]


class CycleGANTrainingTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_exact_resume_with_a_pool(self):
        """10 + 10 iterations from a checkpoint equal 20 straight: the pools'
        batches, counts and random streams are restored with the networks."""
        directory = self.get_temp_dir()
        inference, _, optimizers = make_cyclegan()
        inference.run(n_iter=10, n_print=0, checkpoint_dir=directory, **optimizers)
        self.assertEqual(int(inference.pools["y"].count), 4)
        inference, nets, optimizers = make_cyclegan()
        inference.run(n_iter=20, n_print=0, checkpoint_dir=directory, **optimizers)
        resumed = weights(inference, nets)
        inference, nets, optimizers = make_cyclegan()
        inference.run(n_iter=20, n_print=0, **optimizers)
        straight = weights(inference, nets)
        for a, b in zip(resumed, straight):
            self.assertAllClose(a, b, atol=1e-6, rtol=0)
        self.assertNotAllClose(straight[-4], np.zeros_like(straight[-4]))

    @pytest.mark.slow
    def test_translations_served_and_exported(self):
        """Both directions, any number of examples; F takes Keras's `training`
        keyword: True while training, the caller's value when serving."""
        keep = {}

        def F(y, training=True):
            keep["F"] = keep.get("F") or keras.layers.Dense(DIM)
            return keep["F"](y) + (0.0 if training else 1.0)

        inference, nets, optimizers = make_cyclegan(pool_size=0, generator_y2x=F)
        inference.run(n_iter=3, n_print=0, **optimizers)
        nets.F = keep["F"]
        x = np.random.default_rng(5).normal(size=(11, DIM)).astype(np.float32)
        self.assertAllClose(inference.translate_x_to_y(x), np_dense(nets.G, x), atol=1e-5)
        self.assertAllClose(
            inference.translate_y_to_x(x, training=False), np_dense(nets.F, x) + 1.0, atol=1e-5
        )
        self.assertAllClose(inference.translate_y_to_x(x), np_dense(nets.F, x), atol=1e-5)
        path = os.path.join(self.get_temp_dir(), "cyclegan")
        inference.export(path)
        served = tf.saved_model.load(path)
        self.assertAllClose(served.translate_x_to_y(x), np_dense(nets.G, x), atol=1e-5)
        self.assertAllClose(served.translate_y_to_x(x), np_dense(nets.F, x), atol=1e-5)
        with self.assertRaisesRegex(ValueError, "translate_x_to_y"):
            inference.sample(3)
        with self.assertRaisesRegex(
            ValueError, r"y must have shape \[n\] \+ \(3,\), got \(11, 2\)"
        ):
            inference.translate_y_to_x(x[:, :2])

    def test_bad_arguments(self):
        nets = Nets()
        x = np.zeros((8, DIM), np.float32)
        with self.assertRaisesRegex(TypeError, r"data must be a pair \(x, y\)"):
            adinfer.CycleGANInference({nets.G: x}, **nets.programs())
        with self.assertRaisesRegex(TypeError, "discriminator_y must be a callable"):
            adinfer.CycleGANInference((x, x), **{**nets.programs(), "discriminator_y": 1})
        with self.assertRaisesRegex(ValueError, "pooling_probability must be a number in"):
            adinfer.CycleGANInference((x, x), **nets.programs(), pooling_probability=2.0)
        with self.assertRaisesRegex(ValueError, "pool_size must be 0 unless every batch"):
            phs = (adinfer.placeholder([None, DIM]), adinfer.placeholder([None, DIM]))
            adinfer.CycleGANInference(phs, **nets.programs(), pool_size=5)
        with self.assertRaisesRegex(ValueError, "identity_loss_weight must be None or 0 for"):
            adinfer.CycleGANInference((x, x[:, :2]), **nets.programs(), identity_loss_weight=0.5)
        with self.assertRaisesRegex(ValueError, "cycle_consistency_loss_weight must be"):
            adinfer.CycleGANInference((x, x), **nets.programs(), cycle_consistency_loss_weight=-1)


@pytest.mark.slow  # about 10 s: 60 iterations of examples/cyclegan.py and two classifiers
def test_example_translates_digits_keeping_their_label(tmp_path, capsys):
    """examples/cyclegan.py, 60 iterations (seed 0): held-out digits translated
    to inverted digits keep their label for a classifier of inverted digits far
    above chance (10%) and above the untranslated digits; the same backwards.
    The figure is written."""
    out = tmp_path / "cyclegan.png"
    scores = run_main(load_example("cyclegan"), "--n-iter", "60", "--out", str(out))
    assert f"wrote {out}" in capsys.readouterr().out and out.stat().st_size > 1000
    assert scores["G(x), by the inverted-digit classifier"] > 0.6
    assert scores["F(y), by the plain-digit classifier"] > 0.6
    assert scores["x untranslated, by the same"] < 0.1
    assert scores["y untranslated, by the same"] < 0.1
