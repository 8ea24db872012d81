"""README "Writing your own inference" and "Porting from TF-GAN" (issue 28): their
snippets run as pasted, and the README's `Inference` subclass (hinge loss plus
feature matching on the discriminator's features) trains, checkpoints, resumes
exactly, samples and exports like the built-in inferences.
"""

import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_blocks(section):
    """The ```python blocks of the README section `## {section}`."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def feature_matching_class():
    """`FeatureMatchingGAN` as the README defines it (its first block, up to the data)."""
    block = readme_blocks("Writing your own inference")[0]
    namespace = {}
    exec(block[: block.index("keras.utils.set_random_seed")], namespace)
    return namespace["FeatureMatchingGAN"]


def make(cls, checkpoint_dir=None, n_iter=20):
    """The README's networks and data, smaller; `run` with checkpoints."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal([1.0, -1.0], [1.0, 0.3], size=(512, 2)).astype("float32")
    generator = keras.Sequential([keras.layers.Dense(8, "relu"), keras.layers.Dense(2)])
    inputs = keras.Input((2,))
    features = keras.layers.Dense(8, "relu")(inputs)
    discriminator = keras.Model(inputs, [keras.layers.Dense(1)(features), features])
    noise = keras.random.SeedGenerator(1)
    fake = lambda n: generator(keras.random.normal([n, 2], seed=noise))
    inference = cls({fake: x}, discriminator, batch_size=32, seed=0)
    inference.run(
        n_iter=n_iter,
        n_print=0,
        optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        optimizer_d=keras.optimizers.Adam(2e-3, beta_1=0.5),
        checkpoint_dir=checkpoint_dir,
    )
    return inference, generator, discriminator


class SubclassTest(tf.test.TestCase):
    @pytest.mark.slow
    def test_resumes_exactly_samples_and_exports(self):
        """20 updates, a new process's objects resuming to 40, equal 40 straight
        (networks, optimizers' slots, the noise stream and the data order)."""
        cls = feature_matching_class()
        directory = os.path.join(self.get_temp_dir(), "checkpoints")
        make(cls, directory, n_iter=20)
        resumed, gen_a, disc_a = make(cls, directory, n_iter=40)
        self.assertEqual(int(resumed.t), 40)
        _, gen_b, disc_b = make(cls, None, n_iter=40)
        for a, b in zip(gen_a.weights + disc_a.weights, gen_b.weights + disc_b.weights):
            self.assertAllClose(a, b, atol=1e-6, rtol=0)
        self.assertIn("loss/feature_matching", resumed.scalars)
        x = resumed.sample(70)
        self.assertEqual(x.shape, (70, 2))
        path = resumed.export(os.path.join(self.get_temp_dir(), "served"))
        served = tf.saved_model.load(path)
        self.assertEqual(served.sample(tf.constant(5)).shape, (5, 2))


@pytest.mark.slow
@pytest.mark.parametrize("section", ["Writing your own inference", "Porting from TF-GAN"])
def test_readme_snippets_run_as_pasted(section, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in readme_blocks(section):
        exec(compile(block, f"README {section}", "exec"), namespace)
    if section == "Writing your own inference":
        assert int(namespace["inference"].t) == 500
        assert namespace["x"].shape == (1000, 2) and namespace["x_served"].shape == (10, 2)
        assert tf.train.latest_checkpoint("fm_run/checkpoints").endswith("ckpt-500")
        assert int(namespace["gan"].t) == 200
    else:
        assert namespace["denoised"].shape == (5, 8, 8, 1)
        images, noisy = namespace["images"], namespace["noisy"]
        # 300 iterations already denoise: closer to the clean digits than the input.
        error = np.abs(namespace["denoised"] - images[:5]).mean()
        assert error < np.abs(noisy[:5] - images[:5]).mean(), error
