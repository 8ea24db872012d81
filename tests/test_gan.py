"""GANInference: objectives against NumPy, variable groups, compilation, errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer

BATCH = 6


def np_ce(labels, logits):
    """sigmoid cross-entropy, the stable form, independently of TF."""
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def dense(units, activation=None, **kwargs):
    return keras.layers.Dense(units, activation=activation, **kwargs)


class Networks:
    """A small generator and discriminator with fixed weights, mirrored in NumPy."""

    def __init__(self, reg_g=None, reg_d=None, seed=0):
        keras.utils.set_random_seed(seed)
        self.gen = keras.Sequential([dense(3, "tanh", kernel_regularizer=reg_g), dense(2)])
        self.disc = keras.Sequential([dense(4, "tanh", kernel_regularizer=reg_d), dense(1)])
        self.z = np.random.default_rng(seed).normal(size=(BATCH, 3)).astype(np.float32)
        self.x = np.random.default_rng(seed + 1).normal(size=(BATCH, 2)).astype(np.float32)
        self.calls = 0

    def fake(self, n):
        self.calls += 1
        return self.gen(tf.constant(self.z)[:n])

    def np_gen(self):
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in self.gen.layers]
        return np.tanh(self.z @ w1 + b1) @ w2 + b2

    def np_disc(self, x):
        (w1, b1), (w2, b2) = [layer.get_weights() for layer in self.disc.layers]
        return (np.tanh(x @ w1 + b1) @ w2 + b2)[:, 0]


class GANObjectiveTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def objective_values(self, nets, **kwargs):
        x_ph = adinfer.placeholder([None, 2])
        inference = adinfer.GANInference({nets.fake: x_ph}, nets.disc, **kwargs)
        inference.initialize(
            optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0)
        )
        info = inference.update(feed_dict={x_ph: nets.x})
        return info["loss"], info["loss_d"]

    def test_objectives_match_numpy(self):
        nets = Networks()
        loss, loss_d = self.objective_values(nets)
        d_true, d_fake = nets.np_disc(nets.x), nets.np_disc(nets.np_gen())
        self.assertAllClose(loss_d, np.mean(np_ce(1, d_true) + np_ce(0, d_fake)), atol=1e-5)
        self.assertAllClose(loss, np.mean(np_ce(1, d_fake)), atol=1e-5)

    def test_regularizers_go_to_their_group(self):
        plain = self.objective_values(Networks())
        nets = Networks(reg_d=keras.regularizers.L2(0.3))
        loss, loss_d = self.objective_values(nets)
        w_d = nets.disc.layers[0].kernel.numpy()
        self.assertAllClose(loss, plain[0], atol=1e-6)
        self.assertAllClose(loss_d, plain[1] + 0.3 * np.sum(w_d**2), atol=1e-5)
        self.assertGreater(loss_d - plain[1], 1e-3)

        nets = Networks(reg_g=keras.regularizers.L2(0.3))
        loss, loss_d = self.objective_values(nets)
        w_g = nets.gen.layers[0].kernel.numpy()
        self.assertAllClose(loss, plain[0] + 0.3 * np.sum(w_g**2), atol=1e-5)
        self.assertAllClose(loss_d, plain[1], atol=1e-6)

    def test_both_regularizers_counted_once(self):
        plain = self.objective_values(Networks())
        nets = Networks(reg_g=keras.regularizers.L2(0.1), reg_d=keras.regularizers.L1(0.2))
        loss, loss_d = self.objective_values(nets)
        w_g, w_d = nets.gen.layers[0].kernel.numpy(), nets.disc.layers[0].kernel.numpy()
        self.assertAllClose(loss, plain[0] + 0.1 * np.sum(w_g**2), atol=1e-5)
        self.assertAllClose(loss_d, plain[1] + 0.2 * np.sum(np.abs(w_d)), atol=1e-5)

    def test_activity_regularizer_and_add_loss(self):
        plain = self.objective_values(Networks())
        nets = Networks()
        nets.disc.layers[0].activity_regularizer = keras.regularizers.L2(0.5)
        extra = tf.Variable(2.0)
        adinfer.add_loss(lambda: extra**2, scope="Gen")
        loss, loss_d = self.objective_values(nets)
        w1, b1 = nets.disc.layers[0].get_weights()
        # The activity regularizer applies to both discriminator calls (real and fake);
        # Keras divides it by the batch size.
        act = sum(0.5 * np.sum(np.tanh(x @ w1 + b1) ** 2) / BATCH for x in (nets.x, nets.np_gen()))
        self.assertAllClose(loss_d, plain[1] + act, atol=1e-5)
        self.assertAllClose(loss, plain[0] + 4.0, atol=1e-5)

    def test_named_loss(self):
        nets = Networks()
        loss, loss_d = self.objective_values(nets, loss="wasserstein")
        d_true, d_fake = nets.np_disc(nets.x), nets.np_disc(nets.np_gen())
        self.assertAllClose(loss_d, d_fake.mean() - d_true.mean(), atol=1e-5)
        self.assertAllClose(loss, -d_fake.mean(), atol=1e-5)


class GANGroupsTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()
        self.nets = Networks()
        self.inference = adinfer.GANInference({self.nets.fake: self.nets.x}, self.nets.disc)
        self.inference.initialize(
            optimizer=keras.optimizers.SGD(0.1), optimizer_d=keras.optimizers.SGD(0.1)
        )

    def snapshot(self):
        return {v.path: v.numpy().copy() for v in self.nets.gen.weights + self.nets.disc.weights}

    def changed(self, before):
        after = self.snapshot()
        return {k for k in before if not np.array_equal(before[k], after[k])}

    def test_names_carry_group(self):
        gen_paths = {v.path for v in self.inference.variables["Gen"]}
        disc_paths = {v.path for v in self.inference.variables["Disc"]}
        self.assertEqual(gen_paths, {v.path for v in self.nets.gen.weights})
        self.assertEqual(disc_paths, {v.path for v in self.nets.disc.weights})
        self.assertTrue(all(p.startswith("Gen/") for p in gen_paths), gen_paths)
        self.assertTrue(all(p.startswith("Disc/") for p in disc_paths), disc_paths)
        self.assertTrue(all(v.value.name.startswith("Disc/") for v in self.nets.disc.weights))

    def test_disc_update_changes_disc_only(self):
        before = self.snapshot()
        info = self.inference.update(variables="Disc")
        self.assertEqual(self.changed(before), {v.path for v in self.nets.disc.weights})
        self.assertEqual(info["loss"], 0.0)
        self.assertGreater(info["loss_d"], 0.0)

    def test_gen_update_changes_gen_only(self):
        before = self.snapshot()
        info = self.inference.update(variables="Gen")
        self.assertEqual(self.changed(before), {v.path for v in self.nets.gen.weights})
        self.assertEqual(info["loss_d"], 0.0)
        self.assertGreater(info["loss"], 0.0)

    def test_simultaneous_update_uses_one_forward_pass(self):
        gen_vars, disc_vars = self.nets.gen.trainable_variables, self.nets.disc.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            x_fake = self.nets.gen(self.nets.z)
            d_true, d_fake = self.nets.disc(self.nets.x), self.nets.disc(x_fake)
            ce = tf.nn.sigmoid_cross_entropy_with_logits
            loss_d = tf.reduce_mean(
                ce(tf.ones_like(d_true), d_true) + ce(tf.zeros_like(d_fake), d_fake)
            )
            loss = tf.reduce_mean(ce(tf.ones_like(d_fake), d_fake))
        expected = [v - 0.1 * g for v, g in zip(gen_vars, tape.gradient(loss, gen_vars))]
        expected += [v - 0.1 * g for v, g in zip(disc_vars, tape.gradient(loss_d, disc_vars))]
        info = self.inference.update()
        self.assertAllClose(info["loss"], loss, atol=1e-6)
        self.assertAllClose(info["loss_d"], loss_d, atol=1e-6)
        for v, e in zip(gen_vars + disc_vars, expected):
            self.assertAllClose(v, e, atol=1e-6)

    def test_invalid_variables_raise_before_t_moves(self):
        self.inference.update()
        before = self.snapshot()
        with self.assertRaisesRegex(ValueError, "variables must be None"):
            self.inference.update(variables="Discriminator")
        with self.assertRaisesRegex(TypeError, "variables must be None"):
            self.inference.update(variables=["Gen"])
        self.assertEqual(int(self.inference.t), 1)
        self.assertEqual(self.changed(before), set())
        self.assertEqual(self.inference.update(variables="Gen")["t"], 2)

    def test_each_step_traced_once(self):
        calls_after_build = self.nets.calls
        for variables in (None, "Gen", "Disc"):
            for _ in range(50):
                info = self.inference.update(variables=variables)
        self.assertEqual(info["t"], 150)
        # The generator program ran once per trace (one per `variables` value),
        # not once per update.
        self.assertEqual(self.nets.calls - calls_after_build, 3)

    def test_frozen_layer_is_not_trained(self):
        nets = Networks(seed=3)
        nets.gen.layers[0].trainable = False
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        self.assertEqual(
            {v.path for v in inference.variables["Gen"]},
            {v.path for v in nets.gen.layers[1].weights},
        )

    def test_var_list_overrides(self):
        nets = Networks(seed=4)
        nets.fake(2)
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
        inference.initialize(var_list=[nets.gen.layers[1].kernel])
        kernel0 = nets.gen.layers[0].kernel.numpy().copy()
        kernel1 = nets.gen.layers[1].kernel.numpy().copy()
        inference.update(variables="Gen")
        self.assertAllEqual(nets.gen.layers[0].kernel, kernel0)
        self.assertNotAllClose(nets.gen.layers[1].kernel, kernel1)

    def test_shared_variable_is_an_error(self):
        shared = dense(2)
        gen = keras.Sequential([dense(2), shared])
        disc = keras.Sequential([shared, dense(1)])
        fake = lambda n: gen(tf.random.normal([n, 2]))
        inference = adinfer.GANInference({fake: np.zeros([4, 2], np.float32)}, disc)
        with self.assertRaisesRegex(ValueError, "both the generative side and the discriminator"):
            inference.initialize()
        inference.initialize(
            var_list=gen.layers[0].trainable_variables, var_list_d=disc.trainable_variables
        )
        self.assertEqual(inference.update()["t"], 1)

    def test_plain_tf_variables(self):
        """Networks written as tf.Module / raw variables work too."""
        scale, shift = tf.Variable(1.0), tf.Variable(0.0)
        w = tf.Variable(tf.ones([2, 1]))
        fake = lambda n: scale * tf.random.normal([n, 2]) + shift
        disc = lambda x: tf.matmul(x, w)
        inference = adinfer.GANInference({fake: np.ones([8, 2], np.float32)}, disc)
        inference.initialize(optimizer="sgd", optimizer_d="sgd")
        self.assertEqual(len(inference.variables["Gen"]), 2)
        self.assertIs(inference.variables["Disc"][0], w)
        inference.update()
        self.assertNotAllClose(w, tf.ones([2, 1]))


class GANDataTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def make(self, data_value, **kwargs):
        keras.utils.set_random_seed(0)
        gen = keras.Sequential([dense(2)])
        disc = keras.Sequential([dense(1)])
        self.fake_sizes = []

        def fake(n):
            self.fake_sizes.append(n)
            return gen(tf.random.normal([n, 2]))

        return adinfer.GANInference({fake: data_value}, disc, **kwargs)

    def test_array_is_batched(self):
        inference = self.make(np.random.normal(size=(100, 2)).astype(np.float32), batch_size=10)
        inference.initialize()
        inference.update()
        self.assertEqual(self.fake_sizes[-1], 10)

    def test_user_batched_dataset(self):
        ds = tf.data.Dataset.from_tensor_slices(np.ones((40, 2), np.float32)).batch(8)
        inference = self.make(ds)
        inference.initialize()
        for _ in range(7):  # past one epoch: repeated
            info = inference.update()
        self.assertEqual(info["t"], 7)

    def test_unbatched_dataset_with_batch_size(self):
        ds = tf.data.Dataset.from_tensor_slices(np.ones((40, 2), np.float32))
        inference = self.make(ds, batch_size=16)
        inference.initialize()
        inference.update()
        self.assertEqual(self.fake_sizes[-1], 16)

    def test_keras_input_as_placeholder(self):
        x_in = keras.Input(shape=(2,))
        inference = self.make(x_in)
        inference.initialize()
        self.assertEqual(inference.update(feed_dict={x_in: np.ones((5, 2))})["t"], 1)

    def test_feed_dict_errors_leave_state(self):
        x_ph = adinfer.placeholder([None, 2])
        inference = self.make(x_ph)
        inference.initialize()
        with self.assertRaisesRegex(ValueError, "expects shape"):
            inference.update(feed_dict={x_ph: np.ones((5, 3), np.float32)})
        with self.assertRaisesRegex(ValueError, "unknown key"):
            inference.update(feed_dict={adinfer.placeholder([None, 2]): np.ones((5, 2))})
        with self.assertRaisesRegex(ValueError, "must feed"):
            inference.update()
        with self.assertRaisesRegex(TypeError, "expects dtype"):
            inference.update(feed_dict={x_ph: np.full((5, 2), "a")})
        self.assertEqual(int(inference.t), 0)
        self.assertEqual(inference.update(feed_dict={x_ph: np.ones((5, 2))})["t"], 1)

    def test_construction_errors(self):
        x = np.ones((4, 2), np.float32)
        fake = lambda n: tf.zeros([n, 2])
        with self.assertRaisesRegex(TypeError, "data must have type dict"):
            adinfer.GANInference([fake, x], lambda x: x)
        with self.assertRaisesRegex(TypeError, "discriminator must be a callable"):
            adinfer.GANInference({fake: x}, "D")
        with self.assertRaisesRegex(TypeError, "data keys must be programs"):
            adinfer.GANInference({"fake": x}, lambda x: x)
        with self.assertRaisesRegex(TypeError, "data value must be"):
            adinfer.GANInference({fake: "x"}, lambda x: x)
        with self.assertRaisesRegex(ValueError, "batch_size"):
            adinfer.GANInference({fake: x}, lambda x: x, batch_size=0)

    def test_shape_mismatch_names_both_sides(self):
        gen = keras.Sequential([dense(3)])
        fake = lambda n: gen(tf.random.normal([n, 2]))
        inference = adinfer.GANInference(
            {fake: np.ones((4, 2), np.float32)}, keras.Sequential([dense(1)])
        )
        with self.assertRaisesRegex(
            TypeError, r"generated batch .* shape \(4, 3\) .* observed batch"
        ):
            inference.initialize()

    @pytest.mark.slow
    def test_optimizer_arguments(self):
        inference = self.make(np.ones((4, 2), np.float32))
        with self.assertRaisesRegex(ValueError, "unknown optimizer 'adamw'"):
            inference.initialize(optimizer="adamw")
        with self.assertRaisesRegex(TypeError, "optimizer_d must be"):
            inference.initialize(optimizer_d=0.1)
        opt = keras.optimizers.Adam()
        with self.assertRaisesRegex(ValueError, "distinct"):
            inference.initialize(optimizer=opt, optimizer_d=opt)
        for name in (
            "adam",
            "rmsprop",
            "sgd",
            "gradientdescent",
            "adagrad",
            "adadelta",
            "momentum",
            "ftrl",
        ):
            inference.initialize(optimizer=name, optimizer_d=name)
            self.assertEqual(inference.update()["t"], 1)
        inference.initialize()  # Edward's default: Adam, learning rate 0.1 decaying
        self.assertAllClose(inference.optimizers["Gen"].learning_rate, 0.1)

    def test_update_before_initialize(self):
        inference = self.make(np.ones((4, 2), np.float32))
        with self.assertRaisesRegex(RuntimeError, "initialize"):
            inference.update()


class GANRunTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_run_counts_and_fuses(self):
        nets = Networks()
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
        inference.run(n_iter=37, n_print=10)
        self.assertEqual(int(inference.t), 37)
        # One compiled loop, traced once, called 1 + 9 + 10 + 10 + 7 times.
        self.assertEqual(inference.run_function().experimental_get_tracing_count(), 1)

    @pytest.mark.slow
    def test_second_run_reuses_the_compiled_loop(self):
        nets = Networks()
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
        opt, opt_d = keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.01)
        inference.run(n_iter=20, n_print=5, optimizer=opt, optimizer_d=opt_d)
        loop = inference.run_function()
        inference.run(n_iter=30, n_print=10, optimizer=opt, optimizer_d=opt_d)
        self.assertIs(inference.run_function(), loop)
        self.assertEqual(loop.experimental_get_tracing_count(), 1)
        self.assertEqual(int(inference.t), 30)
        self.assertEqual(int(opt.iterations), 50)
        # New optimizers are new state the step was not traced with: retraced.
        inference.run(n_iter=5, optimizer=keras.optimizers.SGD(0.1), optimizer_d=opt_d)
        self.assertIsNot(inference.run_function(), loop)
        self.assertEqual(int(opt.iterations), 50)

    def test_run_matches_update_loop(self):
        """The fused loop computes exactly what the same number of updates does."""
        results = []
        for fused in (True, False):
            nets = Networks(seed=7)
            inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
            kwargs = dict(
                n_iter=12,
                n_print=5,
                optimizer=keras.optimizers.Adam(0.01),
                optimizer_d=keras.optimizers.Adam(0.01),
            )
            if fused:
                inference.run(**kwargs)
            else:
                inference.initialize(**kwargs)
                for _ in range(12):
                    inference.update()
            results.append([w.numpy() for w in nets.gen.weights + nets.disc.weights])
        for a, b in zip(*results):
            self.assertAllClose(a, b, atol=1e-6)

    @pytest.mark.slow
    def test_run_n_critic(self):
        nets = Networks()
        inference = adinfer.GANInference({nets.fake: nets.x}, nets.disc)
        inference.run(n_iter=4, n_critic=5)
        self.assertEqual(int(inference.t), 24)
        with self.assertRaisesRegex(ValueError, "n_critic"):
            inference.run(n_critic=0)

    def test_per_step_loop_with_feed_dict(self):
        """Edward's hand-written loop: 5 Disc updates, 1 Gen update, real batches fed."""
        rng = np.random.default_rng(0)
        x_train = rng.normal(4.0, 0.5, size=(600, 1)).astype(np.float32)
        gen = keras.Sequential([dense(4, "relu"), dense(1)])
        disc = keras.Sequential([dense(8, "tanh"), dense(1)])
        x_ph = adinfer.placeholder([None, 1])
        fake = lambda n: gen(tf.random.normal([n, 1]))
        inference = adinfer.GANInference({fake: x_ph}, disc)
        inference.initialize(n_iter=10, n_print=2)
        ts = []
        for _ in range(10):
            for _ in range(5):
                batch = x_train[rng.integers(0, 600, 32)]
                ts.append(inference.update(feed_dict={x_ph: batch}, variables="Disc")["t"])
            info = inference.update(
                feed_dict={x_ph: x_train[rng.integers(0, 600, 32)]}, variables="Gen"
            )
            ts.append(info["t"])
            inference.print_progress(info)
        inference.finalize()
        self.assertEqual(ts, list(range(1, 61)))
        self.assertTrue(np.isfinite(info["loss"]))


if __name__ == "__main__":
    tf.test.main()
