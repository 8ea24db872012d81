"""Every bad input gets a clear error, raised before any state changes.

Each test names one kind of bad input and asserts the exception type, a
message naming the argument, and, where the error is raised on a live
inference, that the same inference still trains afterwards.
"""

import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer
from adinfer import data as data_lib
from adinfer import scopes

tfd = tfp.distributions
N, BATCH = 32, 8


def observations(seed=0):
    return np.random.default_rng(seed).normal(4.0, 0.5, size=(N, 2)).astype(np.float32)


class Nets:
    """A linear generator and critic, small enough to trace in a moment."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        self.gen = keras.Sequential([keras.layers.Dense(2)])
        self.disc = keras.Sequential([keras.layers.Dense(1)])
        self.enc = keras.Sequential([keras.layers.Dense(2)])

    def fake(self, n):
        return self.gen(tf.random.normal([n, 2]))

    def prior(self, n):
        return tf.random.normal([n, 2])

    def joint(self, x, z):
        return self.disc(tf.concat([x, z], -1))[:, 0]

    def weights(self):
        return [w.numpy().copy() for w in self.gen.weights + self.disc.weights]


def sgd():
    return dict(optimizer=keras.optimizers.SGD(0.01), optimizer_d=keras.optimizers.SGD(0.01))


class ErrorTestCase(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        adinfer.clear_losses()

    def assertTrains(self, inference, nets=None, steps=3, **update_kwargs):
        """`steps` updates continue `t` from where it was, with finite losses,
        and move the networks' weights.
        """
        t0 = int(inference.t)
        before = nets.weights() if nets is not None else None
        for i in range(steps):
            info = inference.update(**update_kwargs)
            self.assertEqual(info["t"], t0 + i + 1)
            self.assertTrue(np.isfinite(info["loss"]) and np.isfinite(info["loss_d"]), info)
        if nets is not None:
            after = nets.weights()
            self.assertTrue(any(not np.array_equal(a, b) for a, b in zip(before, after)))

    def assertUnchanged(self, inference, nets, t, weights, compiled=None):
        self.assertEqual(int(inference.t), t)
        for a, b in zip(weights, nets.weights()):
            self.assertAllEqual(a, b)
        if compiled is not None:
            self.assertEqual(inference.compiled_functions(), compiled)


class ProgramBindingTest(ErrorTestCase):
    """Part 1: the model side of `data` / `latent_vars`, checked at construction."""

    def test_keras_model_as_gan_program(self):
        nets = Nets()
        for cls in (adinfer.GANInference, adinfer.WGANInference):
            with self.assertRaisesRegex(
                TypeError,
                r"data: the key is a Keras Sequential.*batch size.*"
                r"lambda n: generator\(noise\(n\)\)",
            ):
                cls({nets.gen: observations()}, nets.disc)
        # The one-line wrapper the message shows trains.
        noise = lambda n: tf.random.normal([n, 2])
        inference = adinfer.GANInference(
            {lambda n: nets.gen(noise(n)): observations()}, nets.disc, batch_size=BATCH
        )
        inference.initialize(n_print=0, **sgd())
        self.assertTrains(inference, nets)

    def test_reversed_bigan_keras_encoder_as_key(self):
        nets = Nets()
        with self.assertRaisesRegex(
            TypeError,
            r"latent_vars looks reversed: the key is a Keras Sequential, an encoder in the "
            r"prior's place.*latent_vars=\{prior: encoder\}.*Got key Sequential, value method",
        ):
            adinfer.BiGANInference({nets.enc: nets.prior}, {nets.gen: observations()}, nets.joint)

    def test_reversed_bigan_distribution_as_value(self):
        nets = Nets()
        prior = tfd.Independent(tfd.Normal(tf.zeros(2), 1.0), 1)
        with self.assertRaisesRegex(
            TypeError,
            r"latent_vars looks reversed: the value is a TFP Independent, a prior in the "
            r"encoder's place.*\{prior: encoder\}",
        ):
            adinfer.BiGANInference(
                {lambda x: nets.enc(x): prior}, {nets.gen: observations()}, nets.joint
            )
        # The right binding, a network as encoder and decoder, trains.
        inference = adinfer.BiGANInference(
            {prior: nets.enc}, {nets.gen: observations()}, nets.joint, batch_size=BATCH
        )
        inference.initialize(n_print=0, **sgd())
        self.assertTrains(inference, nets)

    def test_bigan_keras_network_as_joint_discriminator(self):
        nets = Nets()
        with self.assertRaisesRegex(TypeError, r"discriminator: a Keras Sequential.*D\(x, z\)"):
            adinfer.BiGANInference({nets.prior: nets.enc}, {nets.gen: observations()}, nets.disc)

    def test_binding_dicts(self):
        nets, x = Nets(), observations()
        with self.assertRaisesRegex(TypeError, "data must have type dict.*got list"):
            adinfer.GANInference([nets.fake, x], nets.disc)
        with self.assertRaisesRegex(TypeError, "data must have type dict.*got NoneType"):
            adinfer.GANInference(None, nets.disc)
        with self.assertRaisesRegex(ValueError, "data must hold exactly one pair.*got 2 pairs"):
            adinfer.GANInference({nets.fake: x, nets.prior: x}, nets.disc)
        with self.assertRaisesRegex(ValueError, "data must hold exactly one pair.*got 0 pairs"):
            adinfer.WGANInference({}, nets.disc)
        with self.assertRaisesRegex(TypeError, "latent_vars must have type dict.*got tuple"):
            adinfer.BiGANInference((nets.prior, nets.enc), {nets.gen: x}, nets.joint)
        with self.assertRaisesRegex(ValueError, "latent_vars must hold exactly one pair.*got 2"):
            adinfer.BiGANInference(
                {nets.prior: nets.enc, nets.fake: nets.enc}, {nets.gen: x}, nets.joint
            )
        with self.assertRaisesRegex(TypeError, "latent_vars must have type dict"):
            adinfer.ImplicitKLqp([1], discriminator=lambda x, z, b: x)
        with self.assertRaisesRegex(ValueError, "data must hold exactly one pair.*got 2 pairs"):
            adinfer.ImplicitKLqp(
                {}, data={nets.fake: x, nets.prior: x}, discriminator=lambda x, z, b: x
            )

    def test_non_callable_programs_and_discriminators(self):
        nets, x = Nets(), observations()
        with self.assertRaisesRegex(TypeError, "data keys must be programs.*got str"):
            adinfer.GANInference({"fake": x}, nets.disc)
        with self.assertRaisesRegex(TypeError, r"discriminator must be a callable.*got str"):
            adinfer.GANInference({nets.fake: x}, "D")
        with self.assertRaisesRegex(TypeError, r"discriminator must be a callable.*got NoneType"):
            adinfer.WGANInference({nets.fake: x}, None)
        with self.assertRaisesRegex(TypeError, r"discriminator must be a callable.*D\(x, z\)"):
            adinfer.BiGANInference({nets.prior: nets.enc}, {nets.gen: x}, 3)
        with self.assertRaisesRegex(TypeError, "latent_vars: the value must be the encoder"):
            adinfer.BiGANInference({nets.prior: "enc"}, {nets.gen: x}, nets.joint)
        with self.assertRaisesRegex(TypeError, "latent_vars: the key must be the prior"):
            adinfer.BiGANInference({3.0: nets.enc}, {nets.gen: x}, nets.joint)
        with self.assertRaisesRegex(TypeError, "data: the key must be the decoder.*got Normal"):
            adinfer.BiGANInference({nets.prior: nets.enc}, {tfd.Normal(0.0, 1.0): x}, nets.joint)
        with self.assertRaisesRegex(TypeError, r"discriminator must be a callable.*r\(x, z, beta"):
            adinfer.ImplicitKLqp({tfd.Normal(0.0, 1.0): tfd.Normal(0.0, 1.0)})
        with self.assertRaisesRegex(TypeError, "data: the key is a Keras Sequential"):
            adinfer.ImplicitKLqp({}, data={nets.gen: x}, discriminator=lambda x, z, b: x)


class ObservedDataTest(ErrorTestCase):
    """Part 1: the observed side, checked at construction."""

    def test_nan_and_inf_in_arrays_and_tensors(self):
        nets, x = Nets(), observations()
        x[3, 1], x[7, 0] = np.nan, np.inf
        for value in (x, tf.constant(x), tf.Variable(x)):
            with self.assertRaisesRegex(
                ValueError, r"data value holds 2 non-finite entries \(NaN or Inf\).*\(3, 1\)"
            ):
                adinfer.GANInference({nets.fake: value}, nets.disc, batch_size=BATCH)
        with self.assertRaisesRegex(ValueError, "data value holds 1 non-finite"):
            adinfer.BiGANInference(
                {nets.prior: nets.enc}, {nets.gen: np.array([[1.0, np.inf]])}, nets.joint
            )

    def test_batch_size(self):
        nets, x = Nets(), observations()
        for bad, error in ((0, ValueError), (-4, ValueError), (2.5, TypeError), ("8", TypeError)):
            with self.assertRaisesRegex(error, "batch_size must be"):
                adinfer.GANInference({nets.fake: x}, nets.disc, batch_size=bad)
        with self.assertRaisesRegex(TypeError, "batch_size must be an int or None, got bool"):
            adinfer.BiGANInference(
                {nets.prior: nets.enc}, {nets.gen: x}, nets.joint, batch_size=True
            )
        with self.assertRaisesRegex(
            ValueError, r"batch_size=33 exceeds the 32 examples in data value \(shape \(32, 2\)\)"
        ):
            adinfer.GANInference({nets.fake: x}, nets.disc, batch_size=N + 1)
        dataset = tf.data.Dataset.from_tensor_slices(x)
        with self.assertRaisesRegex(ValueError, "batch_size=40 exceeds the 32 examples"):
            adinfer.GANInference({nets.fake: dataset}, nets.disc, batch_size=40)
        with self.assertRaisesRegex(TypeError, "seed must be an int or None, got str"):
            adinfer.GANInference({nets.fake: x}, nets.disc, batch_size=BATCH, seed="0")
        # NumPy integers are integers.
        inference = adinfer.GANInference({nets.fake: x}, nets.disc, batch_size=np.int64(BATCH))
        self.assertEqual(inference.batch_size, BATCH)

    def test_data_values(self):
        nets = Nets()
        with self.assertRaisesRegex(TypeError, "data value must be a NumPy array.*got str"):
            adinfer.GANInference({nets.fake: "x"}, nets.disc)
        with self.assertRaisesRegex(TypeError, "data value must hold numbers"):
            adinfer.GANInference({nets.fake: np.array([["a", "b"]])}, nets.disc)
        with self.assertRaisesRegex(ValueError, "data value holds no examples"):
            adinfer.GANInference({nets.fake: np.zeros((0, 2), np.float32)}, nets.disc)
        with self.assertRaisesRegex(ValueError, "data value must have a first axis"):
            adinfer.GANInference({nets.fake: np.float32(1.0)}, nets.disc)
        # Pairs are structured data now (a conditional GAN); nesting deeper is refused.
        pairs = tf.data.Dataset.from_tensor_slices((np.ones((4, 2)), (np.ones(4), np.ones(4))))
        with self.assertRaisesRegex(TypeError, "data value: a dataset must yield single tensors"):
            adinfer.GANInference({nets.fake: pairs}, nets.disc)
        empty = tf.data.Dataset.from_tensor_slices(np.ones((0, 2), np.float32))
        with self.assertRaisesRegex(ValueError, "data value is an empty tf.data.Dataset"):
            adinfer.GANInference({nets.fake: empty}, nets.disc, batch_size=2)
        scalars = tf.data.Dataset.from_tensor_slices(np.ones(4, np.float32))
        with self.assertRaisesRegex(ValueError, "without batch_size, a dataset is used as batched"):
            adinfer.GANInference({nets.fake: scalars}, nets.disc)

    def test_nan_in_dataset_is_checked_in_debug_mode(self):
        """Datasets are checked in the graph, and only when asked (a per-step cost)."""
        x = observations()
        x[5, 0] = np.nan
        stream = data_lib.Stream(
            tf.data.Dataset.from_tensor_slices(x), batch_size=N, seed=0, name="data value"
        )
        step = lambda checked: tf.function(
            lambda: stream.next((), check_finite=checked), autograph=False
        )
        self.assertTrue(np.isnan(step(False)().numpy()).any())  # not checked: passes through
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "data value.* NaN or Inf"):
            step(True)()
        # Through an inference in debug mode, the update fails loudly.
        nets = Nets()
        inference = adinfer.GANInference(
            {nets.fake: tf.data.Dataset.from_tensor_slices(x)}, nets.disc, batch_size=N
        )
        inference.initialize(debug=True, n_print=0, **sgd())
        with self.assertRaises((tf.errors.InvalidArgumentError, FloatingPointError)):
            inference.update()

    def test_implicit_klqp_fixed_variational_parameters(self):
        """Edward's `tf.get_variable(...) + 1.0`, ported as a fixed tensor, never moves."""
        p = tfd.Normal(5.0, 1.0)
        ratio = lambda x, z, beta: p.log_prob(beta) + tfd.Normal(0.0, 1.0).log_prob(beta) * w
        w = tf.Variable(0.0)
        fixed = (
            tfd.Normal(tf.Variable(0.0) + 1.0, 1.0),
            tfd.Normal(keras.Variable(0.0), 1.0),
            tfd.Normal(tf.Variable(0.0, trainable=False), 1.0),
        )
        for q in fixed:
            with self.assertRaisesRegex(
                TypeError,
                r"global_vars: the variational factor .* has no trainable variables.*"
                r"tfp.util.DeferredTensor\(tf.Variable\(x\), lambda v: v \+ 1.0\).*"
                "TransformedVariable",
            ):
                adinfer.ImplicitKLqp({}, discriminator=ratio, global_vars={p: q})
        with self.assertRaisesRegex(TypeError, "latent_vars: the variational factor"):
            adinfer.ImplicitKLqp({p: fixed[0]}, discriminator=ratio)
        # The form the message shows trains: the mean moves.
        loc = tf.Variable(0.0)
        q = tfd.Normal(tfp.util.DeferredTensor(loc, lambda v: v + 1.0), 1.0)
        inference = adinfer.ImplicitKLqp({}, discriminator=ratio, global_vars={p: q})
        inference.initialize(n_print=0, **sgd())
        for _ in range(3):
            inference.update()
        self.assertGreater(float(loc), 0.0)


class BuildErrorTest(ErrorTestCase):
    """Part 1: errors found when `initialize` runs the networks once."""

    def test_discriminator_output(self):
        nets, x = Nets(), observations()
        bad = (
            # Patch logits [batch, ...] are accepted (issue 28); other batch sizes are not.
            (lambda x: nets.disc(x)[:4], ValueError, r"got shape \(4, 1\)"),
            (lambda x: tf.reduce_mean(nets.disc(x)), ValueError, r"got shape \(\)"),
            (lambda x: tf.cast(nets.disc(x) > 0, tf.int32), TypeError, "got dtype int32"),
        )
        for disc, error, detail in bad:
            inference = adinfer.GANInference({nets.fake: x}, disc, batch_size=BATCH)
            with self.assertRaisesRegex(error, f"discriminator must return .*{detail}"):
                inference.initialize()
        nets = Nets()
        inference = adinfer.BiGANInference(
            {nets.prior: nets.enc},
            {nets.gen: x},
            lambda x, z: nets.disc(tf.concat([x, z], -1))[None],
            batch_size=BATCH,
        )
        with self.assertRaisesRegex(
            ValueError,
            r"discriminator must return logits of shape \[batch, \.\.\.\].*\[8, \.\.\.\]",
        ):
            inference.initialize()
        inference = adinfer.ImplicitKLqp(
            {},
            data={lambda x, z, b: x + b: x},
            discriminator=lambda x, z, b: tf.reduce_sum(x) * b,
            global_vars={tfd.Normal(0.0, 1.0): tfd.Normal(tf.Variable(0.0), 1.0)},
            batch_size=BATCH,
        )
        with self.assertRaisesRegex(ValueError, r"discriminator \(the ratio estimator"):
            inference.initialize()

    def test_network_without_trainable_variables(self):
        nets = Nets()
        inference = adinfer.GANInference(
            {nets.fake: observations()}, lambda x: tf.reduce_sum(x, -1), batch_size=BATCH
        )
        with self.assertRaisesRegex(ValueError, '"Disc" group has no trainable variables'):
            inference.initialize()
        frozen = Nets()
        frozen.gen.trainable = False
        inference = adinfer.GANInference({frozen.fake: observations()}, nets.disc)
        with self.assertRaisesRegex(ValueError, '"Gen" group has no trainable variables'):
            inference.initialize()

    def test_variable_in_both_groups(self):
        shared = keras.layers.Dense(2)
        keras.utils.set_random_seed(0)
        gen = keras.Sequential([keras.layers.Dense(2), shared])
        disc = keras.Sequential([shared, keras.layers.Dense(1)])
        fake = lambda n: gen(tf.random.normal([n, 2]))
        inference = adinfer.GANInference({fake: observations()}, disc, batch_size=BATCH)
        with self.assertRaisesRegex(ValueError, "read by both.*var_list and var_list_d"):
            inference.initialize()
        self.assertEqual(int(inference.t), 0)
        inference.initialize(
            var_list=gen.layers[0].trainable_variables,
            var_list_d=disc.trainable_variables,
            n_print=0,
            **sgd(),
        )
        self.assertTrains(inference)


class LiveInferenceTest(ErrorTestCase):
    """Errors raised on an inference that has trained: nothing moves, and it
    trains on afterwards.
    """

    def setUp(self):
        super().setUp()
        self.nets = Nets()
        self.inference = adinfer.GANInference(
            {self.nets.fake: observations()}, self.nets.disc, batch_size=BATCH
        )

    def state(self):
        return int(self.inference.t), self.nets.weights(), self.inference.compiled_functions()

    def test_update_before_initialize(self):
        with self.assertRaisesRegex(RuntimeError, r"initialize\(\)"):
            self.inference.update()
        self.inference.initialize(n_print=0, **sgd())
        self.assertTrains(self.inference, self.nets)

    def test_initialize_arguments(self):
        self.inference.initialize(n_print=0, **sgd())
        self.inference.update()
        state = self.state()
        with tempfile.TemporaryDirectory() as tmp:
            a_file = os.path.join(tmp, "file")
            with open(a_file, "w") as f:
                f.write("not a directory")
            opt = keras.optimizers.Adam()
            bad = [
                (dict(n_iter=-1), ValueError, "n_iter must be a non-negative int, got -1"),
                (dict(n_iter=2.5), TypeError, "n_iter must be an int, got float"),
                (dict(n_iter="100"), TypeError, "n_iter must be an int, got str"),
                (dict(n_iter=True), TypeError, "n_iter must be an int, got bool"),
                (dict(n_iter=None), TypeError, "n_iter must be an int, got NoneType"),
                (dict(n_print=-2), ValueError, "n_print must be a non-negative int"),
                (dict(n_print=0.5), TypeError, "n_print must be an int or None"),
                (dict(steps_per_execution=0), ValueError, "steps_per_execution must be a positive"),
                (dict(optimizer="adamw"), ValueError, "optimizer: unknown optimizer 'adamw'"),
                (dict(optimizer_d="Dsic"), ValueError, "optimizer_d: unknown optimizer"),
                (dict(optimizer=0.1), TypeError, "optimizer must be a keras.optimizers.Optimizer"),
                (
                    dict(optimizer_d=keras.optimizers.Adam),
                    TypeError,
                    "optimizer_d must be a keras.optimizers.Optimizer instance, got the class",
                ),
                (dict(optimizer=opt, optimizer_d=opt), ValueError, "optimizer and optimizer_d"),
                (
                    dict(logdir=os.path.join(a_file, "logs")),
                    ValueError,
                    "logdir=.*cannot be created",
                ),
                (dict(logdir=3), TypeError, "logdir must be a path"),
            ]
            for kwargs, error, message in bad:
                with self.assertRaisesRegex(error, message):
                    self.inference.initialize(**kwargs)
                self.assertUnchanged(self.inference, self.nets, *state)
            self.assertTrains(self.inference, self.nets)
            # Valid corner cases: NumPy ints, n_print=0 (no progress), n_iter=0
            # (run builds and initializes, trains nothing).
            self.inference.initialize(n_iter=np.int32(5), n_print=np.int64(0), **sgd())
            self.assertEqual(self.inference.n_iter, 5)
            self.inference.run(n_iter=0, **sgd())
            self.assertEqual(int(self.inference.t), 0)
            self.inference.initialize(logdir=os.path.join(tmp, "logs"), n_print=1, **sgd())
            self.assertTrains(self.inference, self.nets)
            self.inference.finalize()

    def test_update_variables(self):
        self.inference.initialize(n_print=0, **sgd())
        self.inference.update()
        state = self.state()
        with self.assertRaisesRegex(
            ValueError, r'variables must be None.*"Gen".*"Disc", got \'Dsic\''
        ):
            self.inference.update(variables="Dsic")
        with self.assertRaisesRegex(TypeError, "variables must be None.*got list"):
            self.inference.update(variables=["Gen"])
        self.assertUnchanged(self.inference, self.nets, *state)
        self.assertTrains(self.inference, self.nets, variables="Disc")

    def test_feed_dict_for_bound_data(self):
        self.inference.initialize(n_print=0, **sgd())
        with self.assertRaisesRegex(ValueError, "feed_dict: the data value is not a placeholder"):
            self.inference.update(feed_dict={adinfer.placeholder([None, 2]): observations()})
        with self.assertRaisesRegex(TypeError, "feed_dict must be a dict, got list"):
            self.inference.update(feed_dict=[observations()])
        self.assertTrains(self.inference, self.nets)


class FeedDictTest(ErrorTestCase):
    def test_bad_feeds(self):
        nets = Nets()
        x_ph = adinfer.placeholder([None, 2])
        inference = adinfer.GANInference({nets.fake: x_ph}, nets.disc)
        inference.initialize(n_print=0, **sgd())
        x = observations()
        inference.update(feed_dict={x_ph: x})
        state = int(inference.t), nets.weights()
        nan, inf = x.copy(), x.copy()
        nan[2, 1] = np.nan
        inf[0, 0] = -np.inf
        bad = [
            (None, ValueError, "feed_dict must feed the placeholder"),
            ({}, ValueError, "feed_dict must feed the placeholder"),
            ({adinfer.placeholder([None, 2]): x}, ValueError, "feed_dict: unknown key"),
            ({"x_ph": x}, ValueError, "feed_dict: unknown key 'x_ph'"),
            ({x_ph: np.ones((4, 3))}, ValueError, r"feed_dict: .* expects shape \(None, 2\)"),
            ({x_ph: np.ones(4)}, ValueError, "feed_dict: .* expects shape"),
            ({x_ph: np.full((4, 2), "a")}, TypeError, "feed_dict: .* expects dtype float32"),
            ({x_ph: np.ones((0, 2))}, ValueError, "feed_dict: the batch fed .* is empty"),
            ({x_ph: nan}, ValueError, r"feed_dict: the batch fed .* 1 non-finite .*\(2, 1\)"),
            ({x_ph: inf}, ValueError, r"feed_dict: the batch fed .* 1 non-finite .*\(0, 0\)"),
        ]
        for feed, error, message in bad:
            with self.assertRaisesRegex(error, message):
                inference.update(feed_dict=feed)
            self.assertUnchanged(inference, nets, *state)
            with self.assertRaisesRegex(error, message):  # run checks before initialize
                inference.run(feed_dict=feed, n_iter=1, n_print=0, **sgd())
            self.assertUnchanged(inference, nets, *state)
        self.assertTrains(inference, nets, feed_dict={x_ph: x})


class WGANSwitchesTest(ErrorTestCase):
    """Part 3: WGANInference takes GANInference's switches."""

    @pytest.mark.slow
    def test_switches_and_penalty_rule(self):
        nets = Nets()
        inference = adinfer.WGANInference(
            {nets.fake: observations()},
            nets.disc,
            loss="hinge",
            r1_penalty_weight=1.0,
            gradient_penalty_weight=2.0,
            gradient_penalty_one_sided=True,
            pack=2,
            batch_size=BATCH,
        )
        inference.initialize(n_print=0, **sgd())
        self.assertEqual(inference.gradient_penalty_weight, 2.0)  # the constructor's default
        self.assertEqual(inference.r1_penalty_weight, 1.0)
        self.assertTrue(inference.gradient_penalty_one_sided)
        inference.update()
        state = int(inference.t), nets.weights(), inference.compiled_functions()
        with self.assertRaisesRegex(ValueError, "penalty=3.0 contradicts gradient_penalty_weight"):
            inference.initialize(penalty=3.0)
        with self.assertRaisesRegex(ValueError, "penalty=None contradicts"):
            inference.run(penalty=None, n_iter=1)
        self.assertUnchanged(inference, nets, *state)
        self.assertEqual(inference.gradient_penalty_weight, 2.0)
        self.assertTrains(inference, nets)
        inference.initialize(penalty=2.0, n_print=0, **sgd())  # the same value: fine
        self.assertTrains(inference, nets)
        # Without a constructor weight, initialize's penalty is free (10 by default).
        nets = Nets()
        inference = adinfer.WGANInference({nets.fake: observations()}, nets.disc)
        self.assertEqual(inference.gradient_penalty_weight, 10.0)
        inference.initialize(penalty=0.5, n_print=0, **sgd())
        self.assertEqual(inference.gradient_penalty_weight, 0.5)
        inference.initialize(n_print=0, **sgd())
        self.assertEqual(inference.gradient_penalty_weight, 10.0)
        with self.assertRaisesRegex(
            TypeError, "gradient_penalty_weight must be a finite non-negative number or None"
        ):
            adinfer.WGANInference(
                {nets.fake: observations()}, nets.disc, gradient_penalty_weight="1"
            )
        with self.assertRaisesRegex(ValueError, "loss must be .*got 'nope'"):
            adinfer.WGANInference({nets.fake: observations()}, nets.disc, loss="nope")


class ScopeTest(ErrorTestCase):
    def test_add_loss(self):
        with self.assertRaisesRegex(ValueError, "scope='disc' would add the term to \"Gen\""):
            adinfer.add_loss(lambda: tf.constant(1.0), scope="disc")
        with self.assertRaisesRegex(TypeError, "scope must be a str"):
            adinfer.add_loss(lambda: tf.constant(1.0), scope=None)
        with self.assertRaisesRegex(TypeError, "loss must be a zero-argument callable"):
            adinfer.add_loss("l2")
        with self.assertRaisesRegex(ValueError, "loss must be a scalar"):
            adinfer.add_loss([1.0, 2.0])
        with self.assertRaisesRegex(TypeError, "scope name must be a non-empty str"):
            adinfer.scope("")
        self.assertEqual(scopes.added_losses("Disc"), [])


if __name__ == "__main__":
    tf.test.main()
