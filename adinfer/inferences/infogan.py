"""Information maximizing GANs (Chen et al., 2016)."""

import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import losses, validate
from adinfer.inferences import contracts
from adinfer.inferences.gan import GANInference, concat_outputs


class InfoGANInference(GANInference):
    """A GAN whose generator is asked to keep structured codes recoverable.

    Codes c = (c_1, ..., c_k) are drawn from TFP distributions `codes` (e.g.
    `tfd.Categorical(logits=tf.zeros(10))`, `tfd.Uniform(-1., 1.)`), n draws
    each, and passed to the generator program as a tuple, `fake(batch_size,
    c)` (it draws its own unstructured noise). The discriminator returns
    `(logits, q)`, q a list of k TFP distributions over the codes predicted
    from x. With the mutual-information penalty (TF-GAN's: the mean over
    codes of each code's mean log-likelihood, negated)

      MI     = −(1/k) Σ_i mean(log q_i(c_i | x_fake)),   x_fake = fake(n, c)
      loss_d = L_D(D(x_true), D(x_fake)) + λ · MI + penalties + Σ reg("Disc")
      loss   = L_G(D(x_true), D(x_fake)) + λ · MI + Σ reg("Gen")

    MI is a variational lower bound on the mutual information I(c; x_fake),
    up to the codes' entropy (Chen et al., 2016, "InfoGAN", Eq. 5), and
    λ = `mutual_information_penalty_weight` (TF-GAN's name). It is written to
    TensorBoard as "loss/mutual_information". The data binding is
    `GANInference`'s, `data={fake: x_true}`.
    """

    def __init__(self, data, discriminator, codes, mutual_information_penalty_weight=1.0, **kwargs):
        """
        Args:
          data: `{fake: x_true}`, `fake(batch_size, codes) -> x_fake`, codes a
            tuple of tensors, one per distribution in `codes`.
          discriminator: `D(x) -> (logits, [q_1, ..., q_k])`.
          codes: a TFP distribution or a list of them.
          mutual_information_penalty_weight: λ ≥ 0.
          **kwargs: `GANInference`'s (`loss`, `batch_size`, the penalties;
            not `pack`).
        """
        if kwargs.get("pack", 1) != 1:
            raise ValueError("InfoGANInference infers codes of single samples: pack must be 1.")
        codes = list(codes) if isinstance(codes, (list, tuple)) else [codes]
        if not codes or not all(isinstance(c, tfp.distributions.Distribution) for c in codes):
            raise TypeError(
                "codes must be a TFP distribution or a non-empty list of them, got "
                f"{[type(c).__name__ for c in codes]}."
            )
        self.codes = codes
        self.mutual_information_penalty_weight = validate.nonnegative(
            mutual_information_penalty_weight, "mutual_information_penalty_weight"
        )
        super().__init__(data, discriminator, **kwargs)

    _takes_condition = staticmethod(lambda fake: False)  # fake(n, codes): codes are drawn

    def draw_codes(self, n):
        """A tuple of n draws of each code distribution."""
        return tuple(self.call("Gen", code, n) for code in self.codes)

    def objectives(self, x_true):
        n = self.batch_size_of(x_true)
        codes = self.draw_codes(n)
        x_fake = self.call("Gen", self.fake, n, codes)
        contracts.check_like(
            x_fake,
            x_true,
            "data: the generated batch fake(batch_size, codes)",
            "the observed batch",
        )
        form = "(logits, [q_1, ..., q_k])"
        d_true, _ = contracts.output_pair(self.call("Disc", self.discriminator, x_true), form)
        d_fake, q = contracts.output_pair(self.call("Disc", self.discriminator, x_fake), form)
        d_true, d_fake = (
            contracts.check_logits(d_true, x_true),
            contracts.check_logits(d_fake, x_fake),
        )
        q = contracts.check_code_predictions(q, codes)
        mi = losses.mutual_information_penalty(list(codes), q)
        self.record({"loss/mutual_information": mi})
        loss_d = self.discriminator_loss(d_true, d_fake)
        weight = tf.cast(self.mutual_information_penalty_weight or 0.0, loss_d.dtype)
        loss_d += weight * tf.cast(mi, loss_d.dtype)
        loss_d += self.penalties(
            x_true, x_fake, loss_d.dtype, critic=lambda x: self.discriminator(x)[0]
        )
        loss = self.generator_loss(d_true, d_fake) + weight * tf.cast(mi, loss_d.dtype)
        return loss, loss_d, concat_outputs(d_true, d_fake)

    def generate(self, n):
        return self.call("Gen", self.fake, n, self.draw_codes(n))
