"""TensorBoard summaries and the progress bar."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import adinfer


def make_inference():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.layers.Dense(4, "tanh"), keras.layers.Dense(1)])
    fake = lambda n: generator(tf.random.normal([n, 2]))
    x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    return adinfer.GANInference({fake: x}, discriminator, batch_size=16)


def read_events(logdir):
    """{tag: [steps]} from the event files TensorBoard would read."""
    tags = {}
    for path in glob.glob(os.path.join(logdir, "**", "events.out.tfevents.*"), recursive=True):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    return tags


class TensorBoardTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_run_writes_tags_at_print_steps(self):
        logdir = self.get_temp_dir()
        make_inference().run(n_iter=25, n_print=10, logdir=logdir)
        runs = os.listdir(logdir)
        self.assertLen(runs, 1)  # the timestamped subdirectory
        tags = read_events(logdir)
        for tag in (
            "loss",
            "loss/discriminative",
            "discriminator_outputs",
            "gradient_norm/Gen",
            "gradient_norm/Disc",
        ):
            self.assertEqual(sorted(tags[tag]), [1, 10, 20], tag)

    def test_update_loop_writes_per_group(self):
        logdir = self.get_temp_dir()
        inference = make_inference()
        inference.initialize(n_iter=4, n_print=2, logdir=logdir, log_timestamp=False)
        for _ in range(4):
            inference.update(variables="Disc")  # t = 1, 3, 5, 7
            inference.update(variables="Gen")  # t = 2, 4, 6, 8
        inference.finalize()
        tags = read_events(logdir)
        self.assertEqual(sorted(tags["loss/discriminative"]), [1])
        self.assertEqual(sorted(tags["loss"]), [2, 4, 6, 8])


class ProgressTest(tf.test.TestCase):
    def test_progress_prints_gen_and_disc_loss(self):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            make_inference().run(n_iter=20, n_print=5)
        text = out.getvalue()
        self.assertIn("Gen Loss", text)
        self.assertIn("Disc Loss", text)
        self.assertIn("20/20", text)

    def test_n_print_zero_is_silent(self):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            make_inference().run(n_iter=20, n_print=0)
        self.assertNotIn("Gen Loss", out.getvalue())

    def test_debug_catches_nan(self):
        inference = make_inference()
        inference.initialize(debug=True)
        adinfer.add_loss(lambda: tf.constant(np.nan), scope="Disc")
        try:
            with self.assertRaises(tf.errors.InvalidArgumentError):
                inference.update()
        finally:
            adinfer.clear_losses()


if __name__ == "__main__":
    tf.test.main()


class FusedProgressTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_print_points_inside_a_call_show_their_own_losses(self):
        """`run` fuses many iterations per compiled call, yet each print point
        shows the losses of its own iteration: those an unfused `update()` loop
        with the same seeds reports at the same step, for simultaneous updates
        and for `n_critic=2`."""
        from test_checkpoints import make_gan

        for n_critic, steps_per_execution in ((None, None), (None, 17), (2, 10)):
            inference, _, optimizers = make_gan()
            shown = []
            inference.print_progress = shown.append
            inference.run(
                n_iter=40,
                n_print=5,
                n_critic=n_critic,
                steps_per_execution=steps_per_execution,
                **optimizers,
            )
            inference, _, optimizers = make_gan()
            inference.initialize(n_iter=40, n_print=5, **optimizers)
            unfused = {}
            for iteration in range(1, 41):
                if n_critic is None:
                    info = inference.update()
                else:
                    loss_d = [inference.update(variables="Disc")["loss_d"] for _ in range(n_critic)]
                    info = {**inference.update(variables="Gen"), "loss_d": loss_d[-1]}
                unfused[iteration] = info
            printed = [info["iteration"] for info in shown]
            self.assertEqual(printed, [1, 5, 10, 15, 20, 25, 30, 35, 40])
            for info in shown:
                expected = unfused[info["iteration"]]
                self.assertEqual(info["t"], expected["t"])
                self.assertAllClose(
                    [info["loss"], info["loss_d"]],
                    [expected["loss"], expected["loss_d"]],
                    rtol=1e-5,
                    atol=1e-6,
                )
