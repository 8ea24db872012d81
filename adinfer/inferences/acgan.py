"""Auxiliary classifier GANs (Odena et al., 2017)."""

import numpy as np
import tensorflow as tf

from adinfer import losses, validate
from adinfer.inferences import contracts
from adinfer.inferences.gan import GANInference, concat_outputs


class ACGANInference(GANInference):
    """A conditional GAN whose discriminator also classifies (ACGAN).

    Bind labelled observations and a conditional generator as in
    `GANInference`, `data={fake: (x_true, y_true)}` with `fake(batch_size, y)`;
    y_fake is y_true, or drawn from `condition`. The discriminator sees x
    only and returns `(logits, class_logits)`, class_logits of shape
    [batch, K]; labels are integer classes in [0, K) (one-hot inside; the
    labels held as an array or tensor, and the condition's draws, are checked
    when the objective is first traced) or one-hot rows.
    With CE_K the softmax cross-entropy, s the label smoothing, and the
    objectives L_D, L_G of `loss` (Edward's cross-entropies by default),

      aux_d  = mean(CE_K(y_true (1 − s) + s / K, C(x_true))) + mean(CE_K(y_fake, C(x_fake)))
      aux_g  = mean(CE_K(y_fake, C(x_fake)))
      loss_d = L_D(D(x_true), D(x_fake)) + λ_d · aux_d + penalties + Σ reg("Disc")
      loss   = L_G(D(x_true), D(x_fake)) + λ_g · aux_g + Σ reg("Gen")

    with x_fake = fake(n, y_fake), D the logits and C the class logits
    (Odena et al., 2017, "Conditional Image Synthesis with Auxiliary
    Classifier GANs", Eq. 2-3: L_S + L_C for D, L_C − L_S for G; TF-GAN's
    `gan_loss(..., aux_cond_generator_weight=λ_g,
    aux_cond_discriminator_weight=λ_d)`). The penalties differentiate the
    logits. aux_d and aux_g are written to TensorBoard as
    "loss/discriminative/auxiliary" and "loss/auxiliary".
    """

    def __init__(
        self,
        data,
        discriminator,
        aux_cond_generator_weight=1.0,
        aux_cond_discriminator_weight=1.0,
        label_smoothing=0.0,
        **kwargs,
    ):
        """
        Args:
          data: `{fake: (x_true, y_true)}`, `fake(batch_size, y) -> x_fake`.
          discriminator: `D(x) -> (logits, class_logits)`.
          aux_cond_generator_weight: λ_g ≥ 0.
          aux_cond_discriminator_weight: λ_d ≥ 0.
          label_smoothing: s in [0, 1], smoothing the real labels of aux_d.
          **kwargs: `GANInference`'s (`loss`, `batch_size`, `condition`, the
            penalties; not `pack`).
        """
        if kwargs.get("pack", 1) != 1:
            raise ValueError("ACGANInference classifies single samples: pack must be 1.")
        # Validate arguments.
        self.aux_cond_generator_weight = validate.nonnegative(
            aux_cond_generator_weight, "aux_cond_generator_weight"
        )
        self.aux_cond_discriminator_weight = validate.nonnegative(
            aux_cond_discriminator_weight, "aux_cond_discriminator_weight"
        )
        self.label_smoothing = validate.number(label_smoothing, "label_smoothing", low=0, high=1)
        super().__init__(data, discriminator, **kwargs)
        # The labels held, checked against the number of classes when first traced.
        value = next(iter(data.values()))
        labels = value[1] if isinstance(value, tuple) and len(value) == 2 else None
        self.labels = labels if isinstance(labels, (np.ndarray, tf.Tensor)) else None

    _takes_condition = staticmethod(lambda fake: True)

    def conditional_objectives(self, x_true, y_true, x_fake, y_fake):
        form = "(logits, class_logits)"
        d_true, c_true = contracts.output_pair(self.call("Disc", self.discriminator, x_true), form)
        d_fake, c_fake = contracts.output_pair(self.call("Disc", self.discriminator, x_fake), form)
        if self.grouping.building:  # once, eagerly: every label held, then the drawn ones
            contracts.check_class_labels(self.labels, c_true, self.stream.names[1])
            contracts.check_class_labels(y_fake, c_fake, "condition: its draws")
        d_true, d_fake = (
            contracts.check_logits(d_true, x_true),
            contracts.check_logits(d_fake, x_fake),
        )
        y_true, y_fake = _one_hot(y_true, c_true), _one_hot(y_fake, c_fake)
        aux_d = losses.acgan_discriminator_loss(
            c_true, c_fake, y_true, y_fake, label_smoothing=self.label_smoothing
        )
        aux_g = losses.acgan_generator_loss(c_fake, y_fake)
        self.record({"loss/auxiliary": aux_g, "loss/discriminative/auxiliary": aux_d})
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += tf.cast(self.aux_cond_discriminator_weight or 0.0, loss_d.dtype) * aux_d
        loss_d += self.penalties(
            x_true, x_fake, loss_d.dtype, critic=lambda x: self.discriminator(x)[0]
        )
        loss = self.generator_loss(d_true, d_fake)
        loss += tf.cast(self.aux_cond_generator_weight or 0.0, loss.dtype) * aux_g
        return loss, loss_d, concat_outputs(d_true, d_fake)


def _one_hot(y, class_logits):
    """Integer classes [batch] as one-hot rows like `class_logits`; one-hot rows as they are."""
    class_logits = tf.convert_to_tensor(class_logits)
    if y.dtype.is_integer and y.shape.rank == 1:
        return tf.one_hot(y, tf.shape(class_logits)[-1], dtype=class_logits.dtype)
    return tf.cast(y, class_logits.dtype)
