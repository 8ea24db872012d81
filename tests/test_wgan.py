"""WGANInference: objectives against NumPy, clipping, convergence, argument errors."""

import keras
import mirrors
import numpy as np
import pytest
import tensorflow as tf

import adinfer

BATCH = 6
W = np.array([[0.6], [1.3]], np.float32)  # linear critic D(x) = w.x + b, |w| = 1.432
B = np.array([0.2], np.float32)
C = float(np.float32(0.05))  # the clip value as float32 holds it


def zero_sgd():
    return dict(optimizer=keras.optimizers.SGD(0.0), optimizer_d=keras.optimizers.SGD(0.0))


class Networks:
    """A linear generator on fixed noise, and a linear or tanh critic, mirrored in NumPy."""

    def __init__(self, linear_critic=True, seed=0):
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        self.z = rng.normal(size=(BATCH, 3)).astype(np.float32)
        self.x = rng.normal(size=(BATCH, 2)).astype(np.float32)
        self.gen = keras.Sequential([keras.layers.Dense(2)])
        self.gen(self.z)
        if linear_critic:
            self.critic = keras.Sequential([keras.layers.Dense(1)])
            self.critic(self.x)
            self.critic.layers[0].set_weights([W, B])
        else:
            self.critic = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)])

    def fake(self, n):
        return self.gen(tf.constant(self.z)[:n])

    def np_gen(self):
        w, b = self.gen.layers[0].get_weights()
        return self.z @ w + b

    def np_critic(self, x):
        return mirrors.dense_net(self.critic.layers, x)

    def np_grad_norm(self, x):
        """‖∇x D(x)‖₂ per sample, for the one-hidden-layer tanh critic (or linear)."""
        return np.linalg.norm(mirrors.input_gradient(self.critic.layers, x), axis=1)


def values(nets, x_true, **initialize_kwargs):
    x_ph = adinfer.placeholder([None, 2])
    inference = adinfer.WGANInference({nets.fake: x_ph}, nets.critic)
    inference.initialize(**initialize_kwargs, **zero_sgd())
    info = inference.update(feed_dict={x_ph: x_true})
    return inference, x_ph, info["loss"], info["loss_d"]


class WGANObjectiveTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_linear_critic_penalty_is_exact(self):
        """D(x) = w.x + b: ∇D = w everywhere, so the penalty is λ(‖w‖ − 1)² for any ε."""
        nets = Networks()
        x_fake = nets.np_gen()
        d_true, d_fake = nets.np_critic(nets.x), nets.np_critic(x_fake)
        for penalty in (10.0, 0.5, 0.0, None):
            _, _, loss, loss_d = values(nets, nets.x, penalty=penalty)
            gp = (penalty or 0.0) * (np.linalg.norm(W) - 1.0) ** 2
            self.assertAllClose(loss_d, d_fake.mean() - d_true.mean() + gp, atol=1e-5)
            self.assertAllClose(loss, -d_fake.mean(), atol=1e-5)
        self.assertGreater(10.0 * (np.linalg.norm(W) - 1.0) ** 2, 1.0)

    def test_unit_norm_linear_critic_has_no_penalty(self):
        nets = Networks()
        unit = W / np.linalg.norm(W)
        nets.critic.layers[0].set_weights([unit, B])
        _, _, _, loss_d = values(nets, nets.x, penalty=10.0)
        d_true, d_fake = nets.np_critic(nets.x), nets.np_critic(nets.np_gen())
        self.assertAllClose(loss_d, d_fake.mean() - d_true.mean(), atol=1e-5)

    def test_nonlinear_critic_penalty(self):
        """A tanh critic. With x_true = x_fake the interpolate x̂ is x whatever ε is, so the
        penalty is exact; with distinct batches it lies between the per-sample minima and
        maxima over ε ∈ [0, 1] (a fine grid in NumPy)."""
        nets = Networks(linear_critic=False, seed=1)
        x_fake = nets.np_gen().astype(np.float32)
        nets.critic(x_fake)
        nets.critic.layers[0].set_weights([w * 3.0 for w in nets.critic.layers[0].get_weights()])
        d_fake = nets.np_critic(x_fake)

        _, _, loss, loss_d = values(nets, x_fake, penalty=10.0)
        gp = 10.0 * np.mean((nets.np_grad_norm(x_fake) - 1.0) ** 2)
        self.assertGreater(gp, 0.1)
        self.assertAllClose(loss_d, gp, atol=1e-4)  # mean(D(x_fake)) − mean(D(x_true)) = 0
        self.assertAllClose(loss, -d_fake.mean(), atol=1e-5)

        eps = np.linspace(0.0, 1.0, 2001)[:, None, None]
        x_hat = eps * nets.x + (1 - eps) * x_fake  # [grid, batch, 2]
        per_sample = np.stack([(nets.np_grad_norm(xh) - 1.0) ** 2 for xh in x_hat])
        low, high = 10.0 * per_sample.min(0).mean(), 10.0 * per_sample.max(0).mean()
        self.assertGreater(high - low, 0.1)  # ε matters here
        w_dist = d_fake.mean() - nets.np_critic(nets.x).mean()
        inference, x_ph, _, _ = values(nets, nets.x, penalty=10.0)
        for _ in range(5):  # a fresh ε at every step
            loss_d = inference.update(feed_dict={x_ph: nets.x})["loss_d"]
            self.assertBetween(loss_d - w_dist, low - 1e-4, high + 1e-4)

    def test_penalty_change_retraces(self):
        """A new `initialize(penalty=...)` on the same inference changes the objective."""
        nets = Networks()
        inference, x_ph, _, loss_d_10 = values(nets, nets.x, penalty=10.0)
        inference.initialize(penalty=0.0, **zero_sgd())
        loss_d_0 = inference.update(feed_dict={x_ph: nets.x})["loss_d"]
        inference.initialize(penalty=2.0, **zero_sgd())
        loss_d_2 = inference.update(feed_dict={x_ph: nets.x})["loss_d"]
        gp_unit = (np.linalg.norm(W) - 1.0) ** 2
        self.assertAllClose(loss_d_10 - loss_d_0, 10.0 * gp_unit, atol=1e-5)
        self.assertAllClose(loss_d_2 - loss_d_0, 2.0 * gp_unit, atol=1e-5)


class Tracker:
    """A critic that records the largest |value| of its own variables at every call, i.e.
    the state the previous update left, inside the compiled steps too."""

    def __init__(self, clip):
        init = keras.initializers.RandomUniform(-clip, clip, seed=0)
        self.net = keras.Sequential(
            [
                keras.layers.Dense(8, "tanh", kernel_initializer=init, bias_initializer=init),
                keras.layers.Dense(1, kernel_initializer=init, bias_initializer=init),
            ]
        )
        self.largest = tf.Variable(0.0, trainable=False)

    def __call__(self, x):
        out = self.net(x)
        self.largest.assign(
            tf.reduce_max([tf.reduce_max(tf.abs(w)) for w in self.net.weights] + [self.largest])
        )
        return out

    def max_abs(self):
        return max(float(np.abs(w).max()) for w in self.net.get_weights())


class WGANClipTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def make(self, clip):
        keras.utils.set_random_seed(0)
        x_train = np.random.default_rng(0).normal(4.0, 0.5, size=(256, 1)).astype(np.float32)
        gen = keras.Sequential(
            [
                keras.layers.Dense(4, "relu", kernel_initializer="ones"),
                keras.layers.Dense(1, kernel_initializer="ones"),
            ]
        )
        critic = Tracker(0.05)
        fake = lambda n: gen(tf.random.normal([n, 1]))
        inference = adinfer.WGANInference({fake: x_train}, critic, batch_size=32, seed=0)
        kwargs = dict(
            penalty=None,
            clip=clip,
            optimizer=keras.optimizers.SGD(0.5),
            optimizer_d=keras.optimizers.SGD(0.5),
        )
        return inference, gen, critic, kwargs

    @pytest.mark.slow
    def test_every_disc_update_is_clipped(self):
        inference, gen, critic, kwargs = self.make(clip=0.05)
        inference.initialize(**kwargs)
        for _ in range(3):
            for _ in range(5):
                info = inference.update(variables="Disc")
                self.assertLessEqual(critic.max_abs(), C)
            gen_before = gen.get_weights()
            disc_before = critic.net.get_weights()
            info = inference.update(variables="Gen")
            # Gen variables move freely (well outside [-0.05, 0.05]) and are not clipped.
            self.assertGreater(max(np.abs(w).max() for w in gen.get_weights()), 0.5)
            self.assertNotAllClose(gen.get_weights()[0], gen_before[0])
            for a, b in zip(critic.net.get_weights(), disc_before):
                self.assertAllEqual(a, b)
            info = inference.update()  # simultaneous: Disc clipped too
            self.assertLessEqual(critic.max_abs(), C)
        self.assertEqual(info["t"], 21)

    def test_run_n_critic_clips_inside_the_compiled_loop(self):
        inference, gen, critic, kwargs = self.make(clip=0.05)
        inference.run(n_iter=20, n_print=0, n_critic=5, **kwargs)
        self.assertEqual(int(inference.t), 120)
        # The critic saw every state an update left, and none left [-c, c].
        self.assertLessEqual(float(critic.largest), C)
        self.assertLessEqual(critic.max_abs(), C)
        self.assertGreater(max(np.abs(w).max() for w in gen.get_weights()), 0.5)

    def test_without_clip_the_critic_leaves_the_box(self):
        """The control: the same training without `clip` takes the critic past 0.05."""
        inference, _, critic, kwargs = self.make(clip=None)
        inference.run(n_iter=20, n_print=0, n_critic=5, **kwargs)
        self.assertGreater(float(critic.largest), 0.05)


class WGANArgumentTest(tf.test.TestCase):
    def setUp(self):
        adinfer.clear_losses()

    def test_bad_arguments_raise_before_state_changes(self):
        nets = Networks()
        inference = adinfer.WGANInference({nets.fake: nets.x}, nets.critic)
        inference.initialize(penalty=3.0, clip=0.5, **zero_sgd())
        inference.update()
        compiled = inference.compiled_functions()
        bad = [
            (dict(penalty=-1.0), ValueError, "penalty"),
            (dict(penalty=float("nan")), ValueError, "penalty"),
            (dict(penalty="10"), TypeError, "penalty"),
            (dict(penalty=True), TypeError, "penalty"),
            (dict(clip=0), ValueError, "clip"),
            (dict(clip=-0.01), ValueError, "clip"),
            (dict(clip=float("inf")), ValueError, "clip"),
            (dict(clip="0.01"), TypeError, "clip"),
            (dict(clip=[0.01]), TypeError, "clip"),
            (dict(optimizer="no-such-optimizer", penalty=1.0, clip=0.1), ValueError, "optimizer"),
        ]
        for kwargs, error, name in bad:
            with self.assertRaisesRegex(error, name):
                inference.initialize(**kwargs)
            self.assertEqual(int(inference.t), 1)
            self.assertEqual(inference.gradient_penalty_weight, 3.0)
            self.assertEqual(inference.clip, 0.5)
            self.assertEqual(inference.compiled_functions(), compiled)
        self.assertEqual(inference.update()["t"], 2)
        inference.run(n_iter=3, n_critic=2, penalty=10.0, clip=0.1)
        self.assertEqual(int(inference.t), 9)
        self.assertLessEqual(max(np.abs(w).max() for w in nets.critic.get_weights()), 0.1)

    def test_construction(self):
        nets = Networks()
        with self.assertRaisesRegex(TypeError, "discriminator must be a callable"):
            adinfer.WGANInference({nets.fake: nets.x}, "critic")
        inference = adinfer.WGANInference({nets.fake: nets.x}, nets.critic)
        self.assertIsInstance(inference, adinfer.GANInference)


if __name__ == "__main__":
    tf.test.main()
