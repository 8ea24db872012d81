"""ALICE: adversarially learned inference with conditional entropy (Li et al., 2017)."""

import tensorflow as tf

from adinfer import validate
from adinfer.inferences import contracts
from adinfer.inferences.bigan import BiGANInference


class ALICEInference(BiGANInference):
    """BiGAN/ALI with a conditional-entropy term, so that decoder(encoder(x)) ≈ x.

    BiGAN's objective matches the joint distributions of (x_true, z_fake) and
    (x_fake, z_true), but many pairs of encoder and decoder match them while
    decoder(encoder(x)) lands far from x: the joint is not identifiable
    without bounding the conditional entropy H(x | z). ALICE (Li et al., 2017,
    "ALICE: Towards Understanding Adversarial Learning for Joint Distribution
    Matching", NeurIPS) adds a term that bounds it, in one of two forms. With
    the draws of BiGAN's objective (z_fake = encoder(x_true), x_fake =
    decoder(z_true)), x_rec = decoder(z_fake) and z_rec = encoder(x_fake):

    Explicit, cycle consistency (their Sec. 4, an ℓ2 reconstruction), norms
    over all non-batch axes, means over the batch:

      loss += λ · mean(‖x_true − x_rec‖²) + λ_z · mean(‖z_true − z_rec‖²)

    Adversarial (their Sec. 5): a second discriminator D_c(x, x') -> logits,
    in the "Disc" group, tells the pairs (x_true, x_true) from (x_true, x_rec),
    with BiGAN's loss and labels swapped for the generative side:

      loss_d += λ · mean(CE(1, D_c(x_true, x_true)) + CE(0, D_c(x_true, x_rec)))
      loss   += λ · mean(CE(0, D_c(x_true, x_true)) + CE(1, D_c(x_true, x_rec)))

    (any `loss=` pair replaces CE as in BiGAN; `pack`, the penalties and
    `augment` act on BiGAN's joint critic only). The z-side term λ_z is
    explicit in both forms. ALICE's toy reports reconstruction MSE 0.022 with
    λ = 1; see benchmarks/RESULTS.md, "Inference quality", for adinfer's.

    #### Examples

    ```python
    inference = adinfer.ALICEInference({prior: encoder}, {decoder: x_train}, D, cycle_weight=1.0)
    inference.run(n_iter=1000)
    x_rec = inference.reconstruct(x_test, mean=True)
    ```
    """

    def __init__(
        self,
        latent_vars,
        data,
        discriminator,
        cycle_weight=1.0,
        latent_cycle_weight=0.0,
        cycle_discriminator=None,
        **kwargs,
    ):
        """
        Args:
          latent_vars, data, discriminator: as `BiGANInference`'s.
          cycle_weight: λ ≥ 0, the weight of the x-side term.
          latent_cycle_weight: λ_z ≥ 0, the weight of the explicit z-side term.
          cycle_discriminator: `D_c(x, x') -> logits`: the adversarial form of
            the x-side term; None for the explicit form.
          **kwargs: `BiGANInference`'s.
        """
        # Validate arguments.
        cycle_weight = validate.nonnegative(cycle_weight, "cycle_weight", allow_none=False)
        latent_cycle_weight = validate.nonnegative(
            latent_cycle_weight, "latent_cycle_weight", allow_none=False
        )
        validate.function(
            cycle_discriminator,
            "cycle_discriminator",
            "function D_c(x, x') -> logits",
            allow_none=True,
        )
        super().__init__(latent_vars, data, discriminator, **kwargs)
        self.cycle_weight, self.latent_cycle_weight = cycle_weight, latent_cycle_weight
        self.cycle_discriminator = cycle_discriminator

    def objectives(self, x_true):
        x_true, z_fake, x_fake, z_true = pairs = self.pairs(x_true)
        loss, loss_d, d_outputs = self.joint_objectives(*pairs)
        x_rec = self.call("Gen", self.decoder, z_fake)
        lam = tf.cast(self.cycle_weight, loss.dtype)
        if self.cycle_discriminator is None:
            loss += lam * tf.cast(squared_error(x_true, x_rec), loss.dtype)
        else:
            d_same = self.cycle_logits(x_true, x_true)
            d_rec = self.cycle_logits(x_true, x_rec)
            loss_d += lam * self.discriminator_loss(d_same, d_rec)
            loss += lam * self.discriminator_loss(d_rec, d_same)  # labels swapped
        if self.latent_cycle_weight:
            z_rec = self.call("Gen", self.encoder, x_fake)
            lam_z = tf.cast(self.latent_cycle_weight, loss.dtype)
            loss += lam_z * tf.cast(squared_error(z_true, z_rec), loss.dtype)
        return loss, loss_d, d_outputs

    def cycle_logits(self, x, x_other):
        d = self.call("Disc", self.cycle_discriminator, x, x_other)
        return contracts.check_logits(d, x, "cycle_discriminator")


def squared_error(a, b):
    """mean over the batch of ‖a − b‖², the norm over all non-batch axes."""
    a = tf.convert_to_tensor(a)
    b = tf.cast(b, a.dtype)
    sq = tf.reshape(tf.square(a - b), [tf.shape(a)[0], -1])
    return tf.reduce_mean(tf.reduce_sum(sq, axis=1))
