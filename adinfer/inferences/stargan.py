"""StarGAN: one generator translating between many domains (Choi et al., 2018)."""

import keras
import tensorflow as tf

from adinfer import losses, validate
from adinfer.engine import serving
from adinfer.inferences import contracts
from adinfer.inferences.cyclegan import l1
from adinfer.inferences.gan import GANInference, concat_outputs


class StarGANInference(GANInference):
    """Translation between K domains by one generator conditioned on the target domain.

    Bind observations and their domains, `data={generator: (x, labels)}`,
    labels one-hot rows [n, K] or integer domains [n]. The generator
    `G(x, c) -> x'` takes a batch and one-hot target domains c; the
    discriminator `D(x) -> (logits, domain_logits)` returns source logits
    ([n], or the paper's PatchGAN [n, h, w, 1], averaged over) and domain
    logits [n, K]. With c drawn uniformly among the K domains (one per
    example), c_x the domains of x, D_src and D_cls the two heads, CE_K the
    softmax cross-entropy, |·| the mean absolute difference and L_G, L_D the
    losses of `loss` (Wasserstein by default),

      x_fake = G(x, c),   x_rec = G(x_fake, c_x)
      loss   = L_G(D_src(x), D_src(x_fake)) + λ_rec · |x − x_rec|
               + λ_cls · mean(CE_K(c, D_cls(x_fake)))                 + Σ reg("Gen")
      loss_d = L_D(D_src(x), D_src(x_fake)) + λ_gp · GP
               + λ_cls · mean(CE_K(c_x, D_cls(x)))                     + Σ reg("Disc")

    (Choi et al., 2018, "StarGAN: Unified Generative Adversarial Networks for
    Multi-Domain Image-to-Image Translation", Eq. 2-8). GP is
    `GANInference`'s gradient penalty of D_src at x̂ = ε x + (1 − ε) x_fake.
    The defaults are TF-GAN's `stargan_loss`: λ_gp = 10, λ_rec = 10,
    λ_cls = 1, Wasserstein losses. "Gen" holds the generator, "Disc" the
    discriminator; the classification terms are written to TensorBoard as
    "loss/classification", "loss/discriminative/classification", the
    reconstruction term as "loss/reconstruction".

    `translate(x, domains)` serves the generator; `export` writes it.
    """

    def __init__(
        self,
        data,
        discriminator,
        loss="wasserstein",
        reconstruction_loss_weight=10.0,
        classification_loss_weight=1.0,
        gradient_penalty_weight=10.0,
        gradient_penalty_target=1.0,
        gradient_penalty_one_sided=False,
        batch_size=None,
        seed=None,
    ):
        """
        Args:
          data: `{generator: (x, labels)}`, `generator(x, c) -> x'`.
          discriminator: `D(x) -> (logits, domain_logits)`.
          loss: a name from `adinfer.losses.get` or a pair of callables
            `(generator_loss, discriminator_loss)`.
          reconstruction_loss_weight: λ_rec ≥ 0.
          classification_loss_weight: λ_cls ≥ 0.
          gradient_penalty_weight: λ_gp ≥ 0; None or 0 for none.
          gradient_penalty_target, gradient_penalty_one_sided: as in `GANInference`.
          batch_size: examples per update drawn from arrays and unbatched datasets.
          seed: seed of the data shuffling and of the draws of c and ε.
        """
        # Validate arguments.
        self.reconstruction_loss_weight = validate.nonnegative(
            reconstruction_loss_weight, "reconstruction_loss_weight", allow_none=False
        )
        self.classification_loss_weight = validate.nonnegative(
            classification_loss_weight, "classification_loss_weight", allow_none=False
        )
        super().__init__(
            data,
            discriminator,
            loss=loss,
            batch_size=batch_size,
            seed=seed,
            gradient_penalty_weight=gradient_penalty_weight,
            gradient_penalty_target=gradient_penalty_target,
            gradient_penalty_one_sided=gradient_penalty_one_sided,
        )
        self.generator = self.fake
        with self.replicas.scope():
            self.target_seeds = keras.random.SeedGenerator(seed)

    _takes_condition = staticmethod(lambda generator: True)

    @staticmethod
    def _check_data(data):
        ((generator, _),) = validate.binding(data, "data", "{generator: (x, labels)}").items()
        validate.function(generator, "data: the key", "generator G(x, c) -> x'")

    @staticmethod
    def _check_discriminator(discriminator):
        validate.function(discriminator, "discriminator", "D(x) -> (logits, domain_logits)")

    def objectives(self, batch):
        x, labels = batch
        d_real, k_real = self.heads(x)
        labels = one_hot_domains(labels, k_real)
        n, n_domains = self.batch_size_of(x), k_real.shape[-1]
        self.n_domains = n_domains
        target = tf.one_hot(
            keras.random.randint([n], 0, n_domains, seed=self.target_seeds), n_domains
        )
        x_fake = self.call("Gen", self.generator, x, target)
        contracts.check_like(x_fake, x, "the generator's output G(x, c)", "the batch of x")
        x_rec = self.call("Gen", self.generator, x_fake, labels)
        d_fake, k_fake = self.heads(x_fake)
        reconstruction = l1(x, x_rec)
        classification = classification_loss(target, k_fake)
        classification_d = classification_loss(labels, k_real)
        self.record(
            {
                "loss/reconstruction": reconstruction,
                "loss/classification": classification,
                "loss/discriminative/classification": classification_d,
            }
        )
        loss = self.generator_loss(d_real, d_fake)
        loss += self.reconstruction_loss_weight * reconstruction
        loss += self.classification_loss_weight * classification
        loss_d = self.discriminator_loss(d_real, d_fake)
        loss_d += self.penalties(x, x_fake, loss_d.dtype, critic=lambda x: self.discriminator(x)[0])
        loss_d += self.classification_loss_weight * classification_d
        return loss, loss_d, concat_outputs(d_real, d_fake)

    def heads(self, x):
        """`(logits, domain_logits)` of the discriminator on `x`, checked."""
        out = self.call("Disc", self.discriminator, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            validate.fail(
                TypeError,
                "discriminator",
                "a function returning (logits, domain_logits)",
                given=f"a {type(out).__name__}",
            )
        logits, domain_logits = out
        domain_logits = losses.floating_tensor(domain_logits, "domain_logits")
        if domain_logits.shape.rank != 2 or domain_logits.shape[-1] is None:
            validate.fail(
                ValueError, "domain_logits", "of shape [batch, K], K known", domain_logits.shape
            )
        return contracts.check_logits(logits, x, patches=True), domain_logits

    # -- Serving --------------------------------------------------------------------

    def translate(self, x, domains, ema=True, training=None):
        """`G(x, one_hot(domains))` for a batch `x` and integer target domains
        (one, or one per example), as a NumPy array, in batches of `batch_size`
        (256 without one); the averaged weights when kept unless `ema=False`;
        `training` as in `Inference.sample`.
        """
        x = contracts.observations(x, self.stream.spec[0])
        domains = tf.convert_to_tensor(domains)
        if not domains.dtype.is_integer or domains.shape.rank not in (0, 1):
            validate.fail(TypeError, "domains", "an int or a vector of ints", domains)
        domains = tf.broadcast_to(tf.cast(domains, tf.int32), tf.shape(x)[:1])
        return self.serving.function("translate", ema, training)(x, domains).numpy()

    def sample(self, n, y=None, ema=True, training=None):
        raise ValueError(
            "sample: a StarGAN translates observations and draws nothing; use "
            "translate(x, domains)."
        )

    def serving_functions(self):
        """`translate(x, domains) -> x'`, domains an int32 vector."""
        self.build()
        spec, batch, n_domains = self.stream.spec[0], self.batch_size or 256, self.n_domains

        def translate(x, domains):
            part = lambda i: slice(i * batch, (i + 1) * batch)
            one_hot = lambda i: tf.one_hot(domains[part(i)], n_domains)
            return serving.map_in_batches(
                lambda i: self.call("Gen", self.generator, x[part(i)], one_hot(i)),
                tf.shape(x)[0],
                batch,
            )

        signature = [
            tf.TensorSpec([None] + spec.shape[1:].as_list(), spec.dtype),
            tf.TensorSpec([None], tf.int32),
        ]
        return {"translate": tf.function(translate, input_signature=signature, autograph=False)}


def one_hot_domains(labels, domain_logits):
    """One-hot rows like `domain_logits` from integer domains or one-hot rows."""
    if labels.dtype.is_integer and labels.shape.rank == 1:
        return tf.one_hot(labels, domain_logits.shape[-1], dtype=domain_logits.dtype)
    return losses.one_hot_labels(labels, domain_logits, "labels", "domain_logits")


def classification_loss(labels, logits):
    """mean(CE_K(labels, logits)), TF-GAN's `softmax_cross_entropy`."""
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
