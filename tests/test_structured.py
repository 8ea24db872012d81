"""Structured observations, conditional GANs and Edward's fed BiGAN prior.

Batches of tuples and dicts stay aligned for every kind of value, `feed_dict`
takes one key per placeholder, the conditional objective and the fed-prior
BiGAN objective match NumPy re-implementations, and conditioning works on
scikit-learn's digits.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer
from adinfer import data as data_lib

tfd = tfp.distributions
N, BATCH, K = 40, 8, 7


def np_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def examples(n=N, seed=0):
    """x and a label that is a function of the example, to check alignment."""
    x = np.random.default_rng(seed).uniform(size=(n, 3)).astype(np.float32)
    return x, label_of(x)


def label_of(x):
    return (np.round(np.asarray(x)[:, 0] * 1000) % K).astype(np.int64)


def bound(kind, x, y):
    """`(value, batch_size, feed)` binding (x, y) as `kind`."""
    if kind == "arrays":
        return (x, y), BATCH, None
    if kind == "tensors":
        return (tf.constant(x), tf.constant(y)), BATCH, None
    if kind == "array_tensor":
        return (x, tf.constant(y)), BATCH, None
    if kind == "dict":
        return {"x": x, "y": tf.constant(y)}, BATCH, None
    if kind == "whole":
        return (x, y), None, None
    if kind == "dataset":
        return tf.data.Dataset.from_tensor_slices((x, y)), BATCH, None
    if kind == "dict_dataset":
        return tf.data.Dataset.from_tensor_slices({"x": x, "y": y}), BATCH, None
    if kind == "batched_dataset":
        return (
            tf.data.Dataset.from_tensor_slices((x, y)).shuffle(N, seed=1).batch(BATCH),
            None,
            None,
        )
    if kind == "placeholders":
        phs = (adinfer.placeholder([None, 3]), adinfer.placeholder([None], tf.int64))
        return phs, None, phs
    if kind == "dict_placeholders":
        phs = {"x": keras.Input((3,)), "y": adinfer.placeholder([None], tf.int64)}
        return phs, None, phs
    raise ValueError(kind)


KINDS = (
    "arrays",
    "tensors",
    "array_tensor",
    "dict",
    "whole",
    "dataset",
    "dict_dataset",
    "batched_dataset",
    "placeholders",
    "dict_placeholders",
)


def conditional_nets(seed=0, dx=3, linear=False, onehot=True):
    """A deterministic conditional generator and discriminator and their NumPy mirrors."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(BATCH, 2)).astype(np.float32)
    gen = keras.layers.Dense(dx, activation="tanh")
    disc = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)])
    if linear:
        disc = keras.layers.Dense(1)
    code = (lambda y: tf.cast(y, tf.float32)) if onehot else (lambda y: tf.one_hot(y, K))

    def fake(n, y):
        return gen(tf.concat([tf.constant(z)[:n], code(y)], -1))

    def discriminator(x, y):
        return disc(tf.concat([x, code(y)], -1))

    def np_fake(y):
        w, b = gen.get_weights()
        return np.tanh(np.concatenate([z[: len(y)], y], -1) @ w + b)

    def np_disc(x, y):
        h = np.concatenate([x, y], -1)
        if linear:
            w, b = disc.get_weights()
            return (h @ w + b)[:, 0]
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in disc.layers]
        return (np.tanh(h @ w1 + b1) @ w2 + b2)[:, 0]

    return fake, discriminator, np_fake, np_disc, disc


def frozen(inference, **kwargs):
    inference.initialize(
        n_print=0,
        optimizer=keras.optimizers.SGD(0.0),
        optimizer_d=keras.optimizers.SGD(0.0),
        **kwargs,
    )
    return inference


class StructuredBindingTest(tf.test.TestCase):
    def test_every_kind_yields_aligned_batches(self):
        x, y = examples()
        for kind in KINDS:
            with self.subTest(kind=kind):
                value, batch_size, phs = bound(kind, x, y)
                stream = data_lib.Stream(value, batch_size, seed=0, name="data value")
                step = tf.function(
                    lambda *fed, stream=stream: stream.next(fed, check_finite=True),
                    input_signature=stream.input_signature,
                    autograph=False,
                )
                rng = np.random.default_rng(1)
                for _ in range(N // BATCH + 2):  # past an epoch
                    if phs is None:
                        batch = step()
                    else:
                        i = rng.integers(0, N, BATCH)
                        feed = (
                            {phs["x"]: x[i], phs["y"]: y[i]}
                            if isinstance(phs, dict)
                            else {phs[0]: x[i], phs[1]: y[i]}
                        )
                        batch = step(*stream.feed_args(feed))
                    bx, by = (batch["x"], batch["y"]) if isinstance(batch, dict) else batch
                    n = N if kind == "whole" else BATCH
                    self.assertEqual(bx.shape, (n, 3))
                    self.assertEqual(by.shape, (n,))
                    self.assertEqual(by.dtype, tf.int64)
                    self.assertAllEqual(by, label_of(bx))
                example = stream.example_batch(batch_size)
                self.assertEqual(type(example), type(batch))
                self.assertEqual(tf.nest.flatten(example)[0].shape[1:], (3,))

    def test_shuffled_together_and_checkpointed(self):
        x, y = examples()
        stream = data_lib.Stream((x, y), BATCH, seed=0, name="data value")
        first = next(stream.iterator)
        self.assertNotAllEqual(first[0], x[:BATCH])  # shuffled, yet aligned
        checkpoint = tf.train.Checkpoint(data=stream.iterator)
        path = checkpoint.save(os.path.join(self.get_temp_dir(), "ckpt"))
        expected = [next(stream.iterator) for _ in range(3)]
        checkpoint.restore(path)
        for want in expected:
            got = next(stream.iterator)
            self.assertAllEqual(got[0], want[0])
            self.assertAllEqual(got[1], want[1])

    def test_component_errors_name_the_component(self):
        x, y = examples()
        cases = [
            ((x, y[:5]), ValueError, r"data value\[1\] holds 5 examples but data value\[0\]"),
            ({"x": x, "y": np.array(["a"] * N)}, TypeError, r"data value\['y'\] must hold numbers"),
            ((x, np.float32(1.0)), ValueError, r"data value\[1\] must have a first axis"),
            ((x, np.full((N, 1), np.nan, np.float32)), ValueError, r"data value\[1\] holds 40 non"),
            ((x, (y, y)), TypeError, r"data value\[1\]: a structured value is one level deep"),
            ((x, adinfer.placeholder([None])), TypeError, "all arrays or tensors, or all"),
            ({1: x}, TypeError, "must have str keys"),
            ((x, y), ValueError, r"batch_size=41 exceeds the 40 examples in data value"),
        ]
        for value, error, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(error, message):
                data_lib.Stream(value, 41 if "41" in message else BATCH, name="data value")
        nested = tf.data.Dataset.from_tensor_slices((x, (y, y)))
        with self.assertRaisesRegex(TypeError, "data value: a dataset must yield single tensors"):
            data_lib.Stream(nested, BATCH, name="data value")
        unknown_rank = tf.data.Dataset.from_generator(
            lambda: iter([(x[0], y[0])]),
            output_signature=(tf.TensorSpec([3]), tf.TensorSpec(None, tf.int64)),
        )
        with self.assertRaisesRegex(ValueError, r"data value\[1\]: a dataset's elements"):
            data_lib.Stream(unknown_rank, BATCH, name="data value")
        # A tuple of numbers or lists is still one array.
        stream = data_lib.Stream(([1.0, 2.0], [3.0, 4.0]), None, name="data value")
        self.assertIsNone(stream.structure)
        self.assertAllEqual(next(stream.iterator), [[1.0, 2.0], [3.0, 4.0]])

    def test_feed_dict_with_several_placeholders(self):
        x, y = examples()
        fake, discriminator, *_ = conditional_nets(onehot=False)
        x_ph, y_ph = adinfer.placeholder([None, 3]), adinfer.placeholder([None], tf.int64)
        inference = adinfer.GANInference({fake: (x_ph, y_ph)}, discriminator)
        inference.initialize(n_print=0, optimizer="sgd", optimizer_d="sgd")
        weights = [w.numpy() for w in inference.variables["Disc"]]
        bad = [
            ({x_ph: x[:BATCH]}, ValueError, r"must feed the placeholder .*\(data value\[1\]\)"),
            ({x_ph: x, y_ph: y, "z": y}, ValueError, "feed_dict: unknown key 'z'"),
            ({x_ph: x, y_ph: y, adinfer.placeholder([None]): y}, ValueError, "unknown key"),
            ({x_ph: x[:BATCH], y_ph: y}, ValueError, "must have one size, got 8 for data value"),
            ({x_ph: x, y_ph: y[:, None]}, ValueError, r"expects shape \(None,\)"),
            ({x_ph: x, y_ph: np.full(N, "a")}, TypeError, "expects dtype int64"),
            (None, ValueError, "must feed the placeholder"),
        ]
        for feed, error, message in bad:
            with self.subTest(message=message):
                with self.assertRaisesRegex(error, message):
                    inference.update(feed_dict=feed)
                with self.assertRaisesRegex(error, message):
                    inference.run(feed_dict=feed, n_iter=1, n_print=0)
                self.assertEqual(int(inference.t), 0)
        for w, before in zip(inference.variables["Disc"], weights):
            self.assertAllEqual(w, before)
        info = inference.update(feed_dict={x_ph: x[:BATCH], y_ph: y[:BATCH]})
        self.assertEqual(info["t"], 1)
        self.assertNotAllClose(inference.variables["Disc"][0], weights[0])


class ConditionalObjectiveTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()
        x, y = examples(BATCH, seed=3)
        self.x, self.y = x, np.eye(K, dtype=np.float32)[y]
        self.y_drawn = np.eye(K, dtype=np.float32)[(y + 3) % K]

    def values(self, nets, feed=True, **kwargs):
        fake, discriminator = nets[:2]
        phs = (adinfer.placeholder([None, 3]), adinfer.placeholder([None, K]))
        inference = frozen(adinfer.GANInference({fake: phs}, discriminator, **kwargs))
        info = inference.update(feed_dict={phs[0]: self.x, phs[1]: self.y})
        return info["loss"], info["loss_d"]

    def test_labels_of_the_real_batch(self):
        nets = conditional_nets()
        _, _, np_fake, np_disc, _ = nets
        loss, loss_d = self.values(nets)
        d_true, d_fake = np_disc(self.x, self.y), np_disc(np_fake(self.y), self.y)
        self.assertAllClose(loss, np.mean(np_ce(1, d_fake)), atol=1e-5)
        self.assertAllClose(loss_d, np.mean(np_ce(1, d_true) + np_ce(0, d_fake)), atol=1e-5)

    def test_labels_drawn_from_condition(self):
        nets = conditional_nets()
        _, _, np_fake, np_disc, _ = nets
        drawn = tf.constant(self.y_drawn)
        loss, loss_d = self.values(nets, condition=lambda n: drawn[:n])
        d_true, d_fake = np_disc(self.x, self.y), np_disc(np_fake(self.y_drawn), self.y_drawn)
        self.assertAllClose(loss, np.mean(np_ce(1, d_fake)), atol=1e-5)
        self.assertAllClose(loss_d, np.mean(np_ce(1, d_true) + np_ce(0, d_fake)), atol=1e-5)

    def test_wasserstein_with_penalties_on_x_only(self):
        """A critic linear in x has the slope ‖w_x‖ at every interpolate, so the
        gradient penalty is exact; interpolating the labels would add ‖w_y‖.
        """
        nets = conditional_nets(linear=True)
        _, _, np_fake, np_disc, disc = nets
        loss, loss_d = self.values(
            nets, loss="wasserstein", gradient_penalty_weight=10.0, r1_penalty_weight=0.5
        )
        w = disc.get_weights()[0][:3, 0]
        d_true, d_fake = np_disc(self.x, self.y), np_disc(np_fake(self.y), self.y)
        gp = (np.sqrt(np.sum(w**2) + 1e-10) - 1.0) ** 2
        r1 = np.sum(w**2)
        self.assertAllClose(loss, -np.mean(d_fake), atol=1e-5)
        self.assertAllClose(
            loss_d, np.mean(d_fake) - np.mean(d_true) + 10.0 * gp + 0.5 * r1, atol=1e-5
        )

    def test_pack_packs_x_and_y_alike(self):
        nets = conditional_nets()
        _, _, np_fake, np_disc, _ = nets
        loss, loss_d = self.values(nets, pack=2)
        p = lambda a: a.reshape(len(a) // 2, -1)
        # The discriminator sees [x_i, x_j] with [y_i, y_j]; mirror its input layout.
        disc = nets[4]
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in disc.layers]
        d = lambda x, y: (np.tanh(np.concatenate([p(x), p(y)], -1) @ w1 + b1) @ w2 + b2)[:, 0]
        d_true, d_fake = d(self.x, self.y), d(np_fake(self.y), self.y)
        del np_disc
        self.assertAllClose(loss, np.mean(np_ce(1, d_fake)), atol=1e-5)
        self.assertAllClose(loss_d, np.mean(np_ce(1, d_true) + np_ce(0, d_fake)), atol=1e-5)

    @pytest.mark.slow
    def test_sample_and_export(self):
        x, y = examples()
        fake, discriminator, *_ = conditional_nets(onehot=False)
        inference = adinfer.GANInference(
            {fake: (x, y)},
            discriminator,
            batch_size=BATCH,
            condition=tfd.Categorical(logits=tf.zeros(K)),
        )
        inference.run(n_iter=2, n_print=0)
        xs, ys = inference.sample(11)
        self.assertEqual(xs.shape, (11, 3))
        self.assertEqual(ys.dtype, np.int64)
        self.assertTrue(np.all((ys >= 0) & (ys < K)))
        xs, ys = inference.sample(5, y=3)
        self.assertAllEqual(ys, [3] * 5)
        given = np.arange(5) % K
        xs_given, _ = inference.sample(5, y=given)
        path = inference.export(os.path.join(self.get_temp_dir(), "cgan"))
        module = tf.saved_model.load(path)
        self.assertAllClose(module.sample_given(tf.constant(given)), xs_given)
        self.assertEqual(module.sample(tf.constant(4))[0].shape, (4, 3))
        with self.assertRaisesRegex(ValueError, "got 2 labels for n=5"):
            inference.sample(5, y=[1, 2])
        plain = adinfer.GANInference({fake: (x, y)}, discriminator, batch_size=BATCH)
        with self.assertRaisesRegex(ValueError, "no condition= to draw labels from"):
            plain.sample(3)

    def test_conditional_errors(self):
        x, y = examples()
        fake, discriminator, *_ = conditional_nets(onehot=False)
        with self.assertRaisesRegex(ValueError, "binds pairs of observations and labels"):
            adinfer.GANInference({fake: x}, discriminator, batch_size=BATCH)
        with self.assertRaisesRegex(TypeError, "condition must be a TFP distribution"):
            adinfer.GANInference({fake: (x, y)}, discriminator, condition=3)
        bad = adinfer.GANInference(
            {fake: (x, y)}, discriminator, batch_size=BATCH, condition=tfd.Normal(0.0, [1.0, 1.0])
        )
        with self.assertRaisesRegex(
            TypeError, r"condition: its draws .* labels \(data value\[1\]\)"
        ):
            bad.initialize()


class FedPriorBiGANTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_edward_form_trains_and_matches_the_formula(self):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(BATCH, 3)).astype(np.float32)
        z = rng.normal(size=(BATCH, 2)).astype(np.float32)
        encoder, decoder = keras.layers.Dense(2), keras.layers.Dense(3)
        disc = keras.layers.Dense(1)
        z_ph, x_ph = adinfer.placeholder([None, 2]), adinfer.placeholder([None, 3])
        inference = adinfer.BiGANInference(
            latent_vars={z_ph: encoder},
            data={decoder: x_ph},
            discriminator=lambda x, z: disc(tf.concat([x, z], -1)),
        )
        frozen(inference)
        info = inference.update(feed_dict={z_ph: z, x_ph: x})
        (we, be), (wd, bd), (w, b) = (layer.get_weights() for layer in (encoder, decoder, disc))
        d = lambda x, z: (np.concatenate([x, z], -1) @ w + b)[:, 0]
        d_true, d_fake = d(z @ wd + bd, z), d(x, x @ we + be)
        self.assertAllClose(info["loss_d"], np.mean(np_ce(1, d_true) + np_ce(0, d_fake)), atol=1e-5)
        self.assertAllClose(info["loss"], np.mean(np_ce(0, d_true) + np_ce(1, d_fake)), atol=1e-5)
        # It trains, with z and x fed at every update.
        inference.initialize(n_print=0, optimizer="adam", optimizer_d="adam")
        before = disc.get_weights()[0].copy()
        for _ in range(3):
            info = inference.update(feed_dict={z_ph: rng.normal(size=(BATCH, 2)), x_ph: x})
        self.assertEqual(info["t"], 3)
        self.assertNotAllClose(disc.get_weights()[0], before)
        self.assertEqual(inference.encode(x).shape, (BATCH, 2))
        with self.assertRaisesRegex(ValueError, "must feed the placeholder"):
            inference.update(feed_dict={x_ph: x})
        with self.assertRaisesRegex(ValueError, "there is nothing to draw z from"):
            inference.sample(2)
        with self.assertRaisesRegex(TypeError, "the data must be fed too"):
            adinfer.BiGANInference({z_ph: encoder}, {decoder: x}, lambda x, z: disc(x))
        # The reversed dict is still caught.
        with self.assertRaisesRegex(TypeError, "latent_vars looks reversed"):
            adinfer.BiGANInference({encoder: z_ph}, {decoder: x_ph}, lambda x, z: disc(x))


def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data / 8.0 - 1.0).astype(np.float32), data.target.astype(np.int64)


class ConditioningWorksTest(tf.test.TestCase):
    @pytest.mark.slow  # 8 s of CPU, among the costliest of the fast selection
    def test_classifier_agrees_with_requested_label(self):
        """After 1500 fixed-seed updates (about 10 s on 2 cores), a logistic
        regression trained on real digits gives the requested label to 99.2%
        of 500 generated digits (chance: 10%); asserted above 60%.
        """
        from sklearn.linear_model import LogisticRegression

        x, y = digits()
        classifier = LogisticRegression(max_iter=500).fit(x, y)
        keras.utils.set_random_seed(0)
        gen = keras.Sequential([keras.layers.Dense(128, "relu"), keras.layers.Dense(64, "tanh")])
        disc = keras.Sequential(
            [keras.layers.Dense(128), keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)]
        )
        fake = lambda n, y: gen(tf.concat([tf.random.normal([n, 16]), tf.one_hot(y, 10)], -1))
        discriminator = lambda x, y: disc(tf.concat([x, tf.one_hot(y, 10)], -1))
        inference = adinfer.GANInference({fake: (x, y)}, discriminator, batch_size=64, seed=0)
        inference.run(
            n_iter=1500,
            n_print=0,
            optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
            optimizer_d=keras.optimizers.Adam(1e-3, beta_1=0.5),
        )
        labels = np.repeat(np.arange(10), 50)
        generated, _ = inference.sample(len(labels), y=labels)
        agreement = np.mean(classifier.predict(generated) == labels)
        self.assertGreater(agreement, 0.6)


if __name__ == "__main__":
    tf.test.main()
