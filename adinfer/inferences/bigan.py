"""Bidirectional GANs (Donahue et al., 2017; Dumoulin et al., 2017)."""

from adinfer.inferences.gan import GANInference, _check_like, _concat, pack


class BiGANInference(GANInference):
    """Adversarially learned inference: a decoder and an encoder learned jointly.

    Bind `latent_vars={prior: encoder}` and `data={decoder: x_true}`: a prior
    p(z) (a TFP distribution, or `prior(batch_size) -> z`), an encoder
    `encoder(x) -> z` and a decoder `decoder(z) -> x` (each may return a TFP
    distribution, then sampled with reparameterization), and a discriminator
    `D(x, z) -> logits` on joint pairs. With z_true ~ p(z), x_fake =
    decoder(z_true), z_fake = encoder(x_true), Edward's objectives are

      loss_d = mean(CE(1, D(x_fake, z_true)) + CE(0, D(x_true, z_fake))) + Σ reg("Disc")
      loss   = mean(CE(0, D(x_fake, z_true)) + CE(1, D(x_true, z_fake))) + Σ reg("Gen")

    the generative objective being the discriminator's with labels swapped
    (Donahue et al., 2017, Eq. 3). "Gen" holds the encoder's and the decoder's
    variables. At the optimum the joint distributions of (x_fake, z_true) and
    (x_true, z_fake) agree, so the encoder inverts the decoder.

    Penalties act on the joint critic (`GANInference`'s arguments): the
    gradient penalty at x̂, ẑ = ε (x_fake, z_true) + (1 − ε) (x_true, z_fake),
    one ε per pair, the norm of ∇(x̂, ẑ) D taken jointly over x and z; R1 at
    the critic's "real" side (x_fake, z_true). A Wasserstein joint critic
    with gradient penalty is
    `BiGANInference(..., loss="wasserstein", gradient_penalty_weight=10.0)`:

      loss_d = mean(D(x_true, z_fake)) − mean(D(x_fake, z_true)) + λ_gp · GP
      loss   = mean(D(x_fake, z_true)) − mean(D(x_true, z_fake))

    Note: Edward's own BiGAN example bound the dict reversed, which matches
    only the marginals; adinfer checks that the prior's draws and the encoder's
    outputs agree in shape and names both when they do not.
    """

    def __init__(
        self,
        latent_vars,
        data,
        discriminator,
        loss="non_saturating",
        pack=1,
        batch_size=None,
        seed=None,
        gradient_penalty_weight=None,
        gradient_penalty_target=1.0,
        gradient_penalty_one_sided=False,
        r1_penalty_weight=None,
    ):
        """
        Args:
          latent_vars: `{prior: encoder}`.
          data: `{decoder: x_true}`.
          discriminator: `D(x, z) -> logits`.
          loss: a name from `adinfer.losses.get` or a pair `(generator_loss,
            discriminator_loss)`; BiGAN's generative objective is the
            discriminator loss with real and fake swapped, so only the second
            of the pair is used.
          pack, batch_size, seed: as in `GANInference`; packing concatenates m
            pairs (x, z) into one joint sample.
          gradient_penalty_weight, gradient_penalty_target,
          gradient_penalty_one_sided, r1_penalty_weight: penalties on the
            joint critic, as in `GANInference` (see the class docstring).
        """
        if not isinstance(latent_vars, dict):
            raise TypeError("latent_vars must have type dict.")
        if len(latent_vars) != 1:
            raise ValueError(
                f"latent_vars must hold one pair {{prior: encoder}}, got {len(latent_vars)}."
            )
        ((prior, encoder),) = latent_vars.items()
        if not callable(prior) and not hasattr(prior, "sample"):
            raise TypeError(
                "latent_vars: the key must be the prior, a TFP distribution or a program "
                f"prior(batch_size) -> z, got {type(prior).__name__}."
            )
        if not callable(encoder):
            raise TypeError(
                "latent_vars: the value must be the encoder, a program encoder(x) -> z, "
                f"got {type(encoder).__name__}."
            )
        super().__init__(
            data,
            discriminator,
            loss=loss,
            pack=pack,
            batch_size=batch_size,
            seed=seed,
            gradient_penalty_weight=gradient_penalty_weight,
            gradient_penalty_target=gradient_penalty_target,
            gradient_penalty_one_sided=gradient_penalty_one_sided,
            r1_penalty_weight=r1_penalty_weight,
        )
        self.latent_vars = latent_vars
        self.prior, self.encoder, self.decoder = prior, encoder, self.fake

    def objectives(self, x_true):
        z_true = self.call("Gen", self.prior, self.batch_size_of(x_true))
        x_fake = self.call("Gen", self.decoder, z_true)
        z_fake = self.call("Gen", self.encoder, x_true)
        _check_like(
            z_fake,
            z_true,
            "latent_vars: the encoder's output encoder(x)",
            "the prior's draws (the key of latent_vars)",
        )
        _check_like(x_fake, x_true, "data: the decoder's output decoder(z)", "the observed batch")
        # Edward's labels: (x_fake, z_true) is the critic's "real" side (R1's).
        pair_true = (pack(x_fake, self.pack), pack(z_true, self.pack))
        pair_fake = (pack(x_true, self.pack), pack(z_fake, self.pack))
        d_true = self.call("Disc", self.discriminator, *pair_true)
        d_fake = self.call("Disc", self.discriminator, *pair_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(pair_true, pair_fake, loss_d.dtype)
        loss = self.discriminator_loss(d_fake, d_true)  # labels swapped
        return loss, loss_d, _concat(d_true, d_fake)
