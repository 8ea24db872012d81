"""Wasserstein GANs (Arjovsky et al., 2017; Gulrajani et al., 2017)."""

import tensorflow as tf

from adinfer import scopes, validate
from adinfer.inferences.gan import GANInference


class _Default(float):
    """A default that knows it was not passed (the same float otherwise)."""


_GP_DEFAULT = _Default(10.0)


class WGANInference(GANInference):
    """Parameter estimation with GAN-style training, using the Wasserstein
    distance.

    The binding is `GANInference`'s, `data={fake: x_true}`; the discriminator
    is a critic D(x) returning unbounded real scores. With x̂ = ε x_true +
    (1 − ε) x_fake, ε ~ U(0, 1) drawn once per sample, and the norm over all
    non-batch axes, the objectives are

      loss_d = mean(D(x_fake)) − mean(D(x_true))
               + penalty · mean((sqrt(‖∇x̂ D(x̂)‖₂² + 1e-10) − 1)²) + Σ reg("Disc")
      loss   = −mean(D(x_fake)) + Σ reg("Gen")

    the critic's estimate of the Kantorovich–Rubinstein dual of the
    Wasserstein-1 distance (Arjovsky et al., 2017, "Wasserstein GAN", Eq. 3),
    kept 1-Lipschitz by the gradient penalty (Gulrajani et al., 2017,
    "Improved Training of Wasserstein GANs", Eq. 3) or, with `clip`, by
    clipping every critic variable to [−clip, clip] after each "Disc" update
    (Arjovsky et al., Algorithm 1). Both papers train the critic for several
    steps per generator step: `run(n_critic=5)`.

    `GANInference`'s switches apply (`loss`, `pack`, the penalty arguments);
    the constructor's `gradient_penalty_weight` (10.0 unless given) is the
    default of `initialize(penalty=...)`, which sets the weight for one
    training; giving both, with different values, is a ValueError.

    #### Examples

    ```python
    inference = adinfer.WGANInference({fake: x_train}, critic, batch_size=64)
    inference.run(n_iter=1000, n_critic=5, penalty=10.0,
                  optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9),
                  optimizer_d=keras.optimizers.Adam(1e-4, 0.5, 0.9))
    ```
    """

    def __init__(
        self,
        data,
        discriminator,
        loss="wasserstein",
        pack=1,
        batch_size=None,
        seed=None,
        gradient_penalty_weight=_GP_DEFAULT,
        gradient_penalty_target=1.0,
        gradient_penalty_one_sided=False,
        r1_penalty_weight=None,
        augment=None,
    ):
        """
        Args:
          data: `{fake: x_true}`, as in `GANInference`.
          discriminator: the critic `D(x) -> scores` of shape [batch] or [batch, 1].
          loss: "wasserstein" (the objectives above); any name or pair that
            `GANInference` takes is accepted, the critic's Lipschitz constraint
            (penalty, clipping) then applying to that loss.
          pack, batch_size, seed: as in `GANInference`.
          gradient_penalty_weight: the default of `initialize(penalty=...)`: λ ≥ 0
            of the gradient penalty, 10.0 (WGAN-GP's) unless given; None or 0
            for none. Given here and, differently, as `penalty` is a ValueError.
          gradient_penalty_target, gradient_penalty_one_sided,
          r1_penalty_weight, augment: as in `GANInference`.
        """
        given = gradient_penalty_weight is not _GP_DEFAULT
        weight = gradient_penalty_weight if given else 10.0
        super().__init__(
            data,
            discriminator,
            loss=loss,
            pack=pack,
            batch_size=batch_size,
            seed=seed,
            gradient_penalty_weight=weight,
            gradient_penalty_target=gradient_penalty_target,
            gradient_penalty_one_sided=gradient_penalty_one_sided,
            r1_penalty_weight=r1_penalty_weight,
            augment=augment,
        )
        # The constructor's weight, the default of `initialize(penalty=...)`.
        self._penalty_default = self.gradient_penalty_weight or None
        self._penalty_given = given
        self.clip = None

    _objective_args = ("gradient_penalty_weight", "clip")

    def initialize(self, penalty=_GP_DEFAULT, clip=None, *args, **kwargs):
        """
        Args:
          penalty: weight λ ≥ 0 of the gradient penalty for this training; None
            or 0 for none. By default the constructor's
            `gradient_penalty_weight` (10.0 unless given there); passing both,
            with different values, is a ValueError.
          clip: None, or c > 0: after each "Disc" update every critic variable
            is clipped to [−c, c].
          *args, **kwargs: passed to `Inference.initialize`.
        """
        if penalty is _GP_DEFAULT:
            penalty = self._penalty_default
        else:
            penalty = validate.nonnegative(penalty, "penalty") or None
            if self._penalty_given and penalty != self._penalty_default:
                raise ValueError(
                    f"penalty={penalty!r} contradicts gradient_penalty_weight="
                    f"{self._penalty_default!r} given to WGANInference: pass the weight "
                    "in one place (the constructor's is initialize's default)."
                )
        clip = validate.positive(clip, "clip")
        self._initialize_with({"gradient_penalty_weight": penalty, "clip": clip}, *args, **kwargs)

    def after_update(self, group):
        if group == "Disc" and self.clip is not None:
            for v in self.variables["Disc"]:
                raw = scopes.raw_variable(v)
                raw.assign(
                    tf.clip_by_value(
                        raw, -tf.cast(self.clip, raw.dtype), tf.cast(self.clip, raw.dtype)
                    )
                )
