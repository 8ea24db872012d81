"""ACGANInference and InfoGANInference: objectives against NumPy, summaries, training."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer
from adinfer import losses

tfd = tfp.distributions
BATCH, K = 6, 4


def np_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def np_log_softmax(logits):
    logits = logits - logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def frozen(inference, **kwargs):
    inference.initialize(
        n_print=0,
        optimizer=keras.optimizers.SGD(0.0),
        optimizer_d=keras.optimizers.SGD(0.0),
        **kwargs,
    )
    return inference


def read_tags(logdir):
    tags = set()
    for path in glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags.update(value.tag for value in event.summary.value)
    return tags


class ACNets:
    """A conditional generator (fixed noise) and a two-headed discriminator."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.z = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.gen = keras.layers.Dense(3, "tanh")
        self.hidden, self.head, self.classes = (
            keras.layers.Dense(5, "tanh"),
            keras.layers.Dense(1),
            keras.layers.Dense(K),
        )

    def fake(self, n, y):
        return self.gen(tf.concat([tf.constant(self.z)[:n], tf.one_hot(y, K)], -1))

    def disc(self, x):
        h = self.hidden(x)
        return self.head(h), self.classes(h)

    def np_fake(self, y):
        w, b = self.gen.get_weights()
        return np.tanh(np.concatenate([self.z[: len(y)], np.eye(K)[y]], -1) @ w + b)

    def np_disc(self, x):
        (w1, b1), (w2, b2), (w3, b3) = (
            layer.get_weights() for layer in (self.hidden, self.head, self.classes)
        )
        h = np.tanh(x @ w1 + b1)
        return (h @ w2 + b2)[:, 0], h @ w3 + b3


class ACGANTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()
        rng = np.random.default_rng(1)
        self.x = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.y = rng.integers(0, K, BATCH)

    def test_objectives_match_numpy(self):
        nets = ACNets()
        phs = (adinfer.placeholder([None, 3]), adinfer.placeholder([None], tf.int64))
        inference = adinfer.ACGANInference(
            {nets.fake: phs},
            nets.disc,
            aux_cond_generator_weight=0.7,
            aux_cond_discriminator_weight=1.3,
            label_smoothing=0.1,
        )
        info = frozen(inference).update(feed_dict={phs[0]: self.x, phs[1]: self.y})
        d_true, c_true = nets.np_disc(self.x)
        d_fake, c_fake = nets.np_disc(nets.np_fake(self.y))
        onehot = np.eye(K)[self.y]
        smoothed = onehot * 0.9 + 0.1 / K
        aux_d = -np.mean(np.sum(smoothed * np_log_softmax(c_true), -1)) - np.mean(
            np.sum(onehot * np_log_softmax(c_fake), -1)
        )
        aux_g = -np.mean(np.sum(onehot * np_log_softmax(c_fake), -1))
        self.assertAllClose(
            info["loss_d"], np.mean(np_ce(1, d_true) + np_ce(0, d_fake)) + 1.3 * aux_d, atol=1e-5
        )
        self.assertAllClose(info["loss"], np.mean(np_ce(1, d_fake)) + 0.7 * aux_g, atol=1e-5)

    @pytest.mark.slow
    def test_trains_and_writes_the_auxiliary_terms(self):
        nets = ACNets()
        x = np.random.default_rng(2).normal(size=(24, 3)).astype(np.float32)
        y = np.arange(24) % K
        inference = adinfer.ACGANInference(
            {nets.fake: (x, y)},
            nets.disc,
            batch_size=BATCH,
            condition=tfd.Categorical(logits=tf.zeros(K)),
            gradient_penalty_weight=1.0,
        )
        logdir = self.get_temp_dir()
        inference.run(n_iter=4, n_print=2, logdir=logdir)
        tags = read_tags(logdir)
        self.assertIn("loss/auxiliary", tags)
        self.assertIn("loss/discriminative/auxiliary", tags)
        xs, ys = inference.sample(5, y=2)
        self.assertEqual(xs.shape, (5, 3))
        self.assertAllEqual(ys, [2] * 5)
        with self.assertRaisesRegex(ValueError, "pack must be 1"):
            adinfer.ACGANInference({nets.fake: (x, y)}, nets.disc, pack=2)
        with self.assertRaisesRegex(ValueError, "label_smoothing must be a number in"):
            adinfer.ACGANInference({nets.fake: (x, y)}, nets.disc, label_smoothing=2.0)


class InfoNets:
    """A generator of fixed noise and codes; a discriminator predicting the codes."""

    def __init__(self, seed=0, dx=3):
        keras.utils.set_random_seed(seed)
        self.z = np.random.default_rng(seed).normal(size=(BATCH, 2)).astype(np.float32)
        self.gen = keras.layers.Dense(dx, "tanh")
        self.hidden = keras.layers.Dense(5, "tanh")
        self.head, self.cat, self.loc = (
            keras.layers.Dense(1),
            keras.layers.Dense(3),
            keras.layers.Dense(1),
        )

    def fake(self, n, codes):
        c, u = codes
        inputs = [tf.constant(self.z)[:n], tf.one_hot(c, 3), u[:, None]]
        return self.gen(tf.concat(inputs, -1))

    def disc(self, x):
        h = self.hidden(x)
        q = [tfd.Categorical(logits=self.cat(h)), tfd.Normal(self.loc(h)[:, 0], 1.0)]
        return self.head(h), q

    def np_fake(self, c, u):
        w, b = self.gen.get_weights()
        return np.tanh(np.concatenate([self.z, np.eye(3)[c], u[:, None]], -1) @ w + b)

    def np_disc(self, x):
        weights = [layer.get_weights() for layer in (self.hidden, self.head, self.cat, self.loc)]
        (w1, b1), (w2, b2), (w3, b3), (w4, b4) = weights
        h = np.tanh(x @ w1 + b1)
        return (h @ w2 + b2)[:, 0], h @ w3 + b3, (h @ w4 + b4)[:, 0]


class InfoGANTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_objectives_match_numpy(self):
        """Codes of zero variance (a one-hot Categorical, a Normal of scale 0)
        make the objective computable.
        """
        nets = InfoNets()
        x = np.random.default_rng(1).normal(size=(BATCH, 3)).astype(np.float32)
        x_ph = adinfer.placeholder([None, 3])
        codes = [tfd.Categorical(probs=[0.0, 0.0, 1.0]), tfd.Normal(0.3, 0.0)]
        inference = adinfer.InfoGANInference(
            {nets.fake: x_ph}, nets.disc, codes=codes, mutual_information_penalty_weight=0.6
        )
        info = frozen(inference).update(feed_dict={x_ph: x})
        c, u = np.full(BATCH, 2), np.full(BATCH, 0.3, np.float32)
        d_true, _, _ = nets.np_disc(x)
        d_fake, cat_logits, loc = nets.np_disc(nets.np_fake(c, u))
        log_q = [
            np_log_softmax(cat_logits)[:, 2],
            -0.5 * (u - loc) ** 2 - 0.5 * np.log(2 * np.pi),
        ]
        mi = -np.mean([np.mean(term) for term in log_q])
        self.assertAllClose(
            info["loss_d"], np.mean(np_ce(1, d_true) + np_ce(0, d_fake)) + 0.6 * mi, atol=1e-5
        )
        self.assertAllClose(info["loss"], np.mean(np_ce(1, d_fake)) + 0.6 * mi, atol=1e-5)

    @pytest.mark.slow
    def test_mutual_information_term_decreases(self):
        nets = InfoNets()
        x = np.random.default_rng(0).normal(size=(256, 3)).astype(np.float32)
        codes = [tfd.Categorical(logits=tf.zeros(3)), tfd.Uniform(-1.0, 1.0)]
        noise = lambda n: tf.random.normal([n, 2])

        def fake(n, codes):
            c, u = codes
            return nets.gen(tf.concat([noise(n), tf.one_hot(c, 3), u[:, None]], -1))

        inference = adinfer.InfoGANInference(
            {fake: x}, nets.disc, codes=codes, batch_size=64, seed=0
        )

        def mi():
            tf.random.set_seed(1)
            drawn = tuple(code.sample(512, seed=s + 1) for s, code in enumerate(codes))
            _, q = nets.disc(fake(512, drawn))
            return float(losses.mutual_information_penalty(list(drawn), q))

        inference.initialize(n_print=0)
        before = mi()
        logdir = self.get_temp_dir()
        inference.run(n_iter=300, n_print=100, logdir=logdir, optimizer="adam", optimizer_d="adam")
        after = mi()
        self.assertLess(after, before - 0.2)
        self.assertIn("loss/mutual_information", read_tags(logdir))
        self.assertEqual(inference.sample(7).shape, (7, 3))
        with self.assertRaisesRegex(TypeError, "codes must be a TFP distribution"):
            adinfer.InfoGANInference({fake: x}, nets.disc, codes=[lambda n: n])


if __name__ == "__main__":
    tf.test.main()
