"""Wasserstein GANs (Arjovsky et al., 2017; Gulrajani et al., 2017)."""

import math
import numbers

import tensorflow as tf

from adinfer import scopes
from adinfer.inferences.gan import GANInference, _nonnegative


class WGANInference(GANInference):
    """Parameter estimation with GAN-style training, using the Wasserstein
    distance.

    The binding is `GANInference`'s, `data={fake: x_true}`; the discriminator
    is a critic D(x) returning unbounded real scores. With x̂ = ε x_true +
    (1 − ε) x_fake, ε ~ U(0, 1) drawn once per sample, and the norm over all
    non-batch axes, the objectives are

      loss_d = mean(D(x_fake)) − mean(D(x_true))
               + penalty · mean((‖∇x̂ D(x̂)‖₂ − 1)²) + Σ reg("Disc")
      loss   = −mean(D(x_fake)) + Σ reg("Gen")

    the critic's estimate of the Kantorovich–Rubinstein dual of the
    Wasserstein-1 distance (Arjovsky et al., 2017, "Wasserstein GAN", Eq. 3),
    kept 1-Lipschitz by the gradient penalty (Gulrajani et al., 2017,
    "Improved Training of Wasserstein GANs", Eq. 3) or, with `clip`, by
    clipping every critic variable to [−clip, clip] after each "Disc" update
    (Arjovsky et al., Algorithm 1). Both papers train the critic for several
    steps per generator step: `run(n_critic=5)`.

    #### Examples

    ```python
    inference = adinfer.WGANInference({fake: x_train}, critic, batch_size=64)
    inference.run(n_iter=1000, n_critic=5, penalty=10.0,
                  optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9),
                  optimizer_d=keras.optimizers.Adam(1e-4, 0.5, 0.9))
    ```
    """

    def __init__(self, data, discriminator, pack=1, batch_size=None, seed=None):
        """
        Args:
          data: `{fake: x_true}`, as in `GANInference`.
          discriminator: the critic `D(x) -> scores` of shape [batch] or [batch, 1].
          pack, batch_size, seed: as in `GANInference`.
        """
        super().__init__(
            data, discriminator, loss="wasserstein", pack=pack, batch_size=batch_size, seed=seed
        )
        self.clip = None

    _objective_args = ("gradient_penalty_weight", "clip")

    def initialize(self, penalty=10.0, clip=None, *args, **kwargs):
        """
        Args:
          penalty: weight λ ≥ 0 of the gradient penalty; None or 0 for none.
          clip: None, or c > 0: after each "Disc" update every critic variable
            is clipped to [−c, c].
          *args, **kwargs: passed to `Inference.initialize`.
        """
        penalty = _nonnegative(penalty, "penalty")
        if clip is not None:
            if isinstance(clip, bool) or not isinstance(clip, numbers.Real):
                raise TypeError(
                    f"clip must be None or a positive number, got {type(clip).__name__}."
                )
            if not math.isfinite(clip) or clip <= 0:
                raise ValueError(f"clip must be None or a finite positive number, got {clip!r}.")
            clip = float(clip)
        self._initialize_with(
            {"gradient_penalty_weight": penalty or None, "clip": clip}, *args, **kwargs
        )

    def after_update(self, group):
        if group == "Disc" and self.clip is not None:
            for v in self.variables["Disc"]:
                raw = scopes.raw_variable(v)
                raw.assign(
                    tf.clip_by_value(
                        raw, -tf.cast(self.clip, raw.dtype), tf.cast(self.clip, raw.dtype)
                    )
                )
