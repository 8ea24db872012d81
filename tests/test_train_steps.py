"""run(train_steps=adinfer.GANTrainSteps(m, k)): TF-GAN's schedules in the fused loop."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_checkpoints import make_gan, values

import adinfer


class TrainStepsTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_generator_steps_equal_the_unfused_schedule(self):
        """GANTrainSteps(3, 1): one "Disc" update, then three "Gen" updates per
        iteration; `t` counts all four; weights and losses as an `update()` loop
        (1e-6)."""
        steps = adinfer.GANTrainSteps(generator_train_steps=3, discriminator_train_steps=1)
        twin, twin_networks, optimizers = make_gan()
        twin.initialize(n_iter=5, n_print=0, **optimizers)
        rows = []
        for _ in range(5):
            loss_d = twin.update(variables="Disc")["loss_d"]
            for _ in range(3):
                info = twin.update(variables="Gen")
            rows.append((info["t"], info["loss"], loss_d))
        rows = np.array(rows)
        inference, networks, optimizers = make_gan()
        history = inference.run(
            n_iter=5, train_steps=steps, n_print=0, steps_per_execution=2, **optimizers
        )
        self.assertEqual(int(inference.t), 20)
        self.assertAllEqual(history.history["t"], [4, 8, 12, 16, 20])
        self.assertAllEqual(rows[:, 0], [4, 8, 12, 16, 20])
        self.assertAllClose(history.history["loss"], rows[:, 1], atol=1e-6, rtol=0)
        self.assertAllClose(history.history["loss_d"], rows[:, 2], atol=1e-6, rtol=0)
        for got, want in zip(values(networks), values(twin_networks)):
            self.assertAllClose(got, want, atol=1e-6, rtol=0)

    def test_n_critic_is_one_generator_step(self):
        inference, _, optimizers = make_gan()
        inference.initialize(**optimizers)
        loop = inference.run_function(n_critic=2)
        self.assertIs(inference.run_function(train_steps=adinfer.GANTrainSteps(1, 2)), loop)
        self.assertIs(inference.run_function(train_steps=(1, 2)), loop)

    @pytest.mark.slow
    def test_resume_is_exact(self):
        """Stopped after iteration 3 of 7 (a callback), then resumed from its
        checkpoint: the same weights as 7 iterations in one run (1e-6), and the
        history says where it resumed."""
        steps = adinfer.GANTrainSteps(generator_train_steps=2, discriminator_train_steps=1)
        whole, whole_networks, optimizers = make_gan()
        whole.run(n_iter=7, train_steps=steps, n_print=0, **optimizers)

        directory = self.get_temp_dir()
        first, _, optimizers = make_gan()

        def stop(batch, logs):
            first.stop_training = batch >= 3

        ends = []
        callback = keras.callbacks.LambdaCallback(
            on_train_batch_end=stop, on_epoch_end=lambda epoch, logs: ends.append(epoch)
        )
        history = first.run(
            n_iter=7,
            train_steps=steps,
            n_print=1,
            steps_per_execution=1,
            checkpoint_dir=directory,
            callbacks=[callback],
            **optimizers,
        )
        # stop_training set at a print point ends the run after the call in
        # progress (one iteration here), whose row ends an epoch.
        self.assertEqual(history.epoch, [1, 2, 3])
        self.assertEqual(ends, [3])
        self.assertEqual(int(first.t), 9)
        resumed, resumed_networks, optimizers = make_gan()
        history = resumed.run(
            n_iter=7, train_steps=steps, n_print=0, checkpoint_dir=directory, **optimizers
        )
        self.assertEqual(history.params["initial_epoch"], 3)
        self.assertEqual(history.epoch, [4, 5, 6, 7])
        self.assertEqual(history.history["t"], [12, 15, 18, 21])
        self.assertEqual(int(resumed.t), 21)
        for got, want in zip(values(resumed_networks), values(whole_networks)):
            self.assertAllClose(got, want, atol=1e-6, rtol=0)

    def test_bad_train_steps(self):
        inference, _, optimizers = make_gan()
        cases = [
            (dict(train_steps=3), TypeError, "train_steps must be adinfer.GANTrainSteps"),
            (dict(train_steps=(0, 1)), ValueError, "train_steps.generator_train_steps must be"),
            (dict(train_steps=(1, 1.5)), TypeError, "train_steps.discriminator_train_steps must"),
            (dict(train_steps=(1, 1), n_critic=1), ValueError, "n_critic or train_steps, not"),
        ]
        for kwargs, error, message in cases:
            with self.assertRaisesRegex(error, message):
                inference.run(n_iter=2, **kwargs, **optimizers)
        self.assertEqual(int(inference.t), 0)
        generator = keras.Sequential([keras.layers.Dense(8)])
        mse = lambda model, target: tf.reduce_mean(tf.square(model.generated_data - target))
        latent = adinfer.LatentInference(generator, mse, target=np.zeros([2, 8]), z_shape=[2])
        with self.assertRaisesRegex(
            ValueError, r'train_steps=GANTrainSteps\(.*has no "Disc" group'
        ):
            latent.run(n_iter=1, train_steps=(2, 1))


if __name__ == "__main__":
    tf.test.main()
