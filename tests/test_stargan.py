"""StarGANInference: objectives against NumPy (TF-GAN's stargan_loss with its
default weights), the uniform target domains, serving and argument checks.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from examples_loader import load_example, run_main

import adinfer

BATCH, DIM, K = 6, 3, 4


def np_log_softmax(logits):
    logits = logits - logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


class Nets:
    """G(x, c) = tanh([x, c] W + b) and a two-headed tanh discriminator whose
    source head gives patch logits [batch, 2, 1]; every call's inputs are
    kept, to read back the draws of c and the points x̂."""

    def __init__(self, seed=0):
        keras.utils.set_random_seed(seed)
        self.gen = keras.layers.Dense(DIM, "tanh")
        self.hidden = keras.layers.Dense(5, "tanh")
        self.source, self.domain = keras.layers.Dense(2), keras.layers.Dense(K)
        self.g_calls, self.d_calls = [], []

    def generator(self, x, c):
        self.g_calls.append((x, c))
        return self.gen(tf.concat([x, c], -1))

    def discriminator(self, x):
        self.d_calls.append(x)
        h = self.hidden(x)
        return self.source(h)[:, :, None], self.domain(h)

    def np_g(self, x, c):
        w, b = self.gen.get_weights()
        return np.tanh(np.concatenate([x, c], -1) @ w + b)

    def np_d(self, x):
        (w1, b1), (w2, b2), (w3, b3) = (
            layer.get_weights() for layer in (self.hidden, self.source, self.domain)
        )
        h = np.tanh(x @ w1 + b1)
        return h @ w2 + b2, h @ w3 + b3

    def np_source_gradient(self, x):
        """∇x of D_src(x) summed over its patches, for each row of x."""
        (w1, b1), (w2, _) = self.hidden.get_weights(), self.source.get_weights()
        h = np.tanh(x @ w1 + b1)
        return ((1 - h**2) * w2.sum(1)) @ w1.T


def np_stargan_loss(nets, x, labels, target, x_hat, weights):
    """TF-GAN's stargan_loss: Wasserstein losses, gradient penalty at x_hat,
    L1 reconstruction, softmax cross-entropy of the domain classifier."""
    rec_w, cls_w, gp_w = weights
    x_fake = nets.np_g(x, target)
    x_rec = nets.np_g(x_fake, labels)
    d_real, k_real = nets.np_d(x)
    d_fake, k_fake = nets.np_d(x_fake)
    ce = lambda onehot, logits: -np.mean(np.sum(onehot * np_log_softmax(logits), -1))
    slopes = np.sqrt(np.sum(nets.np_source_gradient(x_hat) ** 2, -1) + 1e-10)
    loss = -np.mean(d_fake) + rec_w * np.mean(np.abs(x - x_rec)) + cls_w * ce(target, k_fake)
    loss_d = (
        np.mean(d_fake)
        - np.mean(d_real)
        + gp_w * np.mean((slopes - 1.0) ** 2)
        + cls_w * ce(labels, k_real)
    )
    return loss, loss_d, x_fake


class StarGANTest(tf.test.TestCase):
    def setUp(self):
        rng = np.random.default_rng(1)
        self.x = rng.normal(size=(BATCH, DIM)).astype(np.float32)
        self.labels = rng.integers(0, K, BATCH)

    def objectives(self, inference, nets, x, labels):
        """The objectives on one batch, eagerly; the draws of c and x̂ read back."""
        nets.g_calls.clear()
        nets.d_calls.clear()
        loss, loss_d, _ = inference.objectives((tf.constant(x), tf.constant(labels)))
        target = nets.g_calls[0][1].numpy()
        x_hat = nets.d_calls[-1].numpy() if inference.gradient_penalty_weight else x
        return float(loss), float(loss_d), target, x_hat

    def test_objectives_match_numpy(self):
        """TF-GAN's defaults (λ_rec 10, λ_cls 1, λ_gp 10), then other weights;
        integer and one-hot labels alike."""
        for weights, onehot in (((10.0, 1.0, 10.0), False), ((0.5, 2.0, 3.0), True)):
            nets = Nets()
            labels = np.eye(K, dtype=np.float32)[self.labels] if onehot else self.labels
            inference = adinfer.StarGANInference(
                {nets.generator: (self.x, labels)},
                nets.discriminator,
                reconstruction_loss_weight=weights[0],
                classification_loss_weight=weights[1],
                gradient_penalty_weight=weights[2],
                batch_size=BATCH,
            )
            inference.initialize(n_print=0)
            loss, loss_d, target, x_hat = self.objectives(inference, nets, self.x, labels)
            # One uniform domain per example, one-hot; x̂ on the segment from
            # x_fake (ε = 0) to x (ε = 1), with one ε per example.
            self.assertAllEqual(target.sum(-1), np.ones(BATCH))
            self.assertAllEqual(np.sort(np.unique(target)), [0.0, 1.0])
            expected, expected_d, x_fake = np_stargan_loss(
                nets, self.x, np.eye(K)[self.labels], target, x_hat, weights
            )
            eps = (x_hat - x_fake)[:, :1] / (self.x - x_fake)[:, :1]
            self.assertAllClose(x_hat, eps * self.x + (1 - eps) * x_fake, atol=1e-5)
            self.assertTrue(np.all((eps >= 0) & (eps <= 1)))
            self.assertAllClose(loss, expected, atol=1e-5, rtol=0)
            self.assertAllClose(loss_d, expected_d, atol=1e-5, rtol=0)

    def test_target_domains_are_uniform(self):
        """4000 draws of c: each of the K domains within 4 standard deviations
        of 1000 (a draw that favours one domain, or copies the labels, fails)."""
        nets = Nets()
        x = np.zeros((4000, DIM), np.float32)
        labels = np.zeros(4000, np.int64)  # all in domain 0
        inference = adinfer.StarGANInference(
            {nets.generator: (x, labels)}, nets.discriminator, batch_size=4000, seed=2
        )
        inference.initialize(n_print=0)
        _, _, target, _ = self.objectives(inference, nets, x, labels)
        counts = target.sum(0)
        self.assertLess(np.max(np.abs(counts - 1000)), 4 * np.sqrt(4000 * 0.25 * 0.75))

    @pytest.mark.slow
    def test_trains_serves_and_exports(self):
        nets = Nets()
        x = np.random.default_rng(3).normal(size=(24, DIM)).astype(np.float32)
        labels = np.arange(24) % K
        inference = adinfer.StarGANInference(
            {nets.generator: (x, labels)}, nets.discriminator, batch_size=BATCH, seed=0
        )
        inference.build()
        before = nets.gen.get_weights()[0].copy()
        inference.run(n_iter=3, n_print=0)
        self.assertEqual(int(inference.t), 3)
        self.assertNotAllClose(nets.gen.get_weights()[0], before)
        expected = nets.np_g(x, np.eye(K)[np.full(24, 2)])
        self.assertAllClose(inference.translate(x, 2), expected, atol=1e-5)
        domains = labels[::-1].copy()
        path = os.path.join(self.get_temp_dir(), "stargan")
        inference.export(path)
        loaded = tf.saved_model.load(path)  # held: its variables live as long as it
        served = loaded.translate(x, tf.constant(domains, tf.int32))
        self.assertAllClose(served, nets.np_g(x, np.eye(K)[domains]), atol=1e-5)
        with self.assertRaisesRegex(ValueError, r"translate\(x, domains\)"):
            inference.sample(3)

    def test_bad_arguments(self):
        nets = Nets()
        data = {nets.generator: (self.x, self.labels)}
        with self.assertRaisesRegex(TypeError, "data must have type dict"):
            adinfer.StarGANInference((self.x, self.labels), nets.discriminator)
        with self.assertRaisesRegex(ValueError, "reconstruction_loss_weight must be"):
            adinfer.StarGANInference(data, nets.discriminator, reconstruction_loss_weight=-1.0)
        with self.assertRaisesRegex(TypeError, "discriminator must be a function returning"):
            adinfer.StarGANInference(data, lambda x: nets.discriminator(x)[0]).initialize()
        with self.assertRaisesRegex(ValueError, "domain_logits must be of shape"):
            adinfer.StarGANInference(
                data, lambda x: (nets.discriminator(x)[0], tf.zeros([BATCH]))
            ).initialize()


@pytest.mark.slow  # about 10 s: 150 iterations of examples/stargan.py and four classifiers
def test_example_translates_digits_into_each_domain(tmp_path, capsys):
    """examples/stargan.py, 150 iterations (seed 0): held-out plain digits
    translated into each domain are put in that domain by a domain classifier
    (untranslated: 0% for bold and faint), and keep their label for plain and
    faint far above chance (10%). A generator that ignored its target domain
    could not be in all three. The figure is written."""
    example = load_example("stargan")
    out = tmp_path / "stargan.png"
    scores = run_main(example, "--n-iter", "150", "--out", str(out))
    assert f"wrote {out}" in capsys.readouterr().out and out.stat().st_size > 1000
    for domain in example.DOMAINS:
        assert scores[f"G(x, {domain}): in domain {domain}"] > 0.9, domain
    for domain in ("bold", "faint"):
        assert scores[f"x untranslated: in domain {domain}"] < 0.1, domain
    assert scores["G(x, plain): label kept"] > 0.8
    assert scores["G(x, faint): label kept"] > 0.8
