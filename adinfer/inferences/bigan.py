"""Bidirectional GANs (Donahue et al., 2017; Dumoulin et al., 2017)."""

from adinfer import data as data_lib
from adinfer import validate
from adinfer.engine import serving
from adinfer.inferences import contracts
from adinfer.inferences.critics import concat_outputs, pack
from adinfer.inferences.gan import GANInference


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

    `GANInference`'s switches act on the joint critic: the gradient penalty at
    x̂, ẑ = ε (x_fake, z_true) + (1 − ε) (x_true, z_fake), one ε per pair, the
    norm taken jointly over x and z; R1 at (x_fake, z_true); `pack=m`
    concatenates m pairs into one joint sample; `augment` acts on x. A
    Wasserstein joint critic is `loss="wasserstein", gradient_penalty_weight=10.0`.

    Edward's own BiGAN example bound the dict reversed, which matches only the
    marginals: a Keras network as the key or a distribution as the value is
    refused, and the prior's draws and the encoder's outputs must agree in shape.

    Edward's fed prior also works: with placeholders for both the prior's draws
    and the data, `BiGANInference(latent_vars={z_ph: encoder}, data={decoder:
    x_ph}, discriminator=D)` takes z_true from `update(feed_dict={z_ph: z, x_ph:
    x})`; `export` then serves `encode` and `reconstruct` only.

    `encode` and `reconstruct` sample a stochastic encoder (or decoder), or take
    its mean (`mean=True`). ALICE's conditional-entropy terms: `ALICEInference`.
    """

    def __init__(self, latent_vars, data, discriminator, **kwargs):
        """
        Args:
          latent_vars: `{prior: encoder}`.
          data: `{decoder: x_true}`.
          discriminator: `D(x, z) -> logits`.
          **kwargs: `GANInference`'s (`loss`, `pack`, `batch_size`, `seed`, the
            penalties, `augment`; not `condition`). Of a `loss` pair only the
            discriminator loss is used: the generative objective is it with
            real and fake swapped.
        """
        # Validate arguments.
        prior, encoder = contracts.check_latent_binding(latent_vars)
        self.fed_prior = data_lib.is_placeholder(prior)
        bound = contracts.fed_prior_binding(data, prior) if self.fed_prior else data
        super().__init__(bound, discriminator, **kwargs)
        self.data, self.latent_vars = data, latent_vars
        self.prior, self.encoder, self.decoder = prior, encoder, self.fake

    _takes_condition = staticmethod(lambda fake: False)  # a decoder is decoder(z)
    _check_data = staticmethod(contracts.check_decoder_binding)
    _check_discriminator = staticmethod(contracts.check_joint_discriminator)

    def objectives(self, x_true):
        return self.joint_objectives(*self.pairs(x_true))

    def pairs(self, x_true):
        """`(x_true, z_fake, x_fake, z_true)`, the joint pairs of one batch."""
        if self.fed_prior:
            x_true, z_true = x_true
        else:
            z_true = self.call("Gen", self.prior, self.batch_size_of(x_true))
        x_fake = self.call("Gen", self.decoder, z_true)
        z_fake = self.call("Gen", self.encoder, x_true)
        contracts.check_joint_pairs(x_true, z_fake, x_fake, z_true)
        return x_true, z_fake, x_fake, z_true

    def joint_objectives(self, x_true, z_fake, x_fake, z_true):
        """BiGAN's `(loss, loss_d, d_outputs)` for the pairs of `pairs`."""
        # Edward's labels: (x_fake, z_true) is the critic's "real" side (R1's).
        pair_true = (pack(x_fake, self.pack), pack(z_true, self.pack))
        pair_fake = (pack(x_true, self.pack), pack(z_fake, self.pack))
        d_true = contracts.check_logits(
            self.call("Disc", self.discriminator, *pair_true), pair_true, patches=True
        )
        d_fake = contracts.check_logits(
            self.call("Disc", self.discriminator, *pair_fake), pair_fake, patches=True
        )
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(pair_true, pair_fake, loss_d.dtype)
        loss = self.discriminator_loss(d_fake, d_true)  # labels swapped
        return loss, loss_d, concat_outputs(d_true, d_fake)

    # -- Serving ----------------------------------------------------------------------

    def encode(self, x, ema=True, mean=False, training=None):
        """`encoder(x)` for observations `x`, as a NumPy array, in batches of
        `batch_size` (256 without one); with the averaged weights when kept
        (`initialize(ema_decay=...)`) unless `ema=False`. An encoder returning
        a TFP distribution is sampled, or gives its `mean()` with `mean=True`.
        Programs taking Keras's `training` keyword get `training` (None: their default).
        """
        return self._map("encode_mean" if mean else "encode", x, ema, mean, training)

    def reconstruct(self, x, ema=True, mean=False, training=None):
        """`decoder(encoder(x))` for observations `x`, as a NumPy array; with
        `mean=True` the means of a stochastic encoder and decoder, not samples.
        """
        return self._map("reconstruct_mean" if mean else "reconstruct", x, ema, mean, training)

    def _check_sampling(self):
        if self.fed_prior:
            raise ValueError(
                "sample: the prior is a placeholder, fed by the caller, so there is nothing "
                "to draw z from; decode your own draws with the decoder."
            )

    def generate(self, n):
        self._check_sampling()
        return self.call("Gen", self.decoder, self.call("Gen", self.prior, n))

    def _map(self, name, x, ema, mean, training):
        validate.boolean(mean, "mean")
        x = contracts.observations(x, self._x_spec())
        return self.serving.function(name, ema, training)(x).numpy()

    def _x_spec(self):
        return self.stream.spec[0] if self.fed_prior else self.stream.spec

    def serving_functions(self):
        """`sample(n)` (not with a fed prior), `encode(x)`, `reconstruct(x)`, and
        `encode_mean(x)`, `reconstruct_mean(x)` from distributions' means.
        """
        functions = {} if self.fed_prior else super().serving_functions()
        self.build()
        batch, spec = self.batch_size or 256, self._x_spec()
        for suffix, take in (("", lambda program: program), ("_mean", serving.mean_of)):
            encoder, decoder = take(self.encoder), take(self.decoder)
            encode = lambda x, e=encoder: self.call("Gen", e, x)
            reconstruct = lambda x, e=encode, d=decoder: self.call("Gen", d, e(x))
            functions["encode" + suffix] = serving.map_function(encode, spec, batch)
            functions["reconstruct" + suffix] = serving.map_function(reconstruct, spec, batch)
        return functions
