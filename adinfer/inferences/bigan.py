"""Bidirectional GANs (Donahue et al., 2017; Dumoulin et al., 2017)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import data as data_lib
from adinfer.inferences.gan import (
    GANInference,
    _check_binding,
    _check_like,
    _check_logits,
    _concat,
    pack,
)
from adinfer.inferences.inference import _map_batches

tfd = tfp.distributions


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
    only the marginals; adinfer refuses a Keras network as the key (an encoder
    in the prior's place) or a distribution as the value (a prior in the
    encoder's place) when constructed, and checks that the prior's draws and
    the encoder's outputs agree in shape, naming both when they do not.

    Edward's fed prior also works: with placeholders for both the prior's
    draws and the data, `BiGANInference(latent_vars={z_ph: encoder},
    data={decoder: x_ph}, discriminator=D)`, each update takes z_true from
    the caller, `update(feed_dict={z_ph: z_batch, x_ph: x_batch})` (the
    batches must have one size); the objectives are those above. `sample`
    then has no prior to draw from, and `export` serves `encode` and
    `reconstruct` only.
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
        augment=None,
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
          augment: a differentiable augmentation of the x side, D(T(x), z), as
            in `GANInference`.
        """
        prior, encoder = self._check_latent_vars(latent_vars)
        self.fed_prior = data_lib.is_placeholder(prior)
        bound = data
        if self.fed_prior:  # Edward's fed prior: the stream feeds (x, z) together
            self._check_data(data)
            ((decoder, x_value),) = data.items()
            if not data_lib.is_placeholder(x_value):
                raise TypeError(
                    "latent_vars: the prior is a placeholder, fed at each update, so the data "
                    "must be fed too, data={decoder: x_ph}, for the batches of z and x to "
                    f"match; got a {type(x_value).__name__} as the data value."
                )
            bound = {decoder: (x_value, prior)}
        super().__init__(
            bound,
            discriminator,
            loss=loss,
            pack=pack,
            batch_size=batch_size,
            seed=seed,
            gradient_penalty_weight=gradient_penalty_weight,
            gradient_penalty_target=gradient_penalty_target,
            gradient_penalty_one_sided=gradient_penalty_one_sided,
            r1_penalty_weight=r1_penalty_weight,
            augment=augment,
        )
        self.data = data
        self.latent_vars = latent_vars
        self.prior, self.encoder, self.decoder = prior, encoder, self.fake

    @staticmethod
    def _takes_condition(fake):
        return False  # a BiGAN's decoder is decoder(z)

    @staticmethod
    def _check_latent_vars(latent_vars):
        """`latent_vars={prior: encoder}`; returns `(prior, encoder)`.

        Edward's own example bound the pair reversed, `{encoder: prior}`: a
        Keras network as the key, or a distribution as the value, is that
        mistake, refused before any network is called.
        """
        binding = _check_binding(latent_vars, "latent_vars", "{prior: encoder}")
        ((prior, encoder),) = binding.items()
        reversed_sides = []
        if isinstance(prior, keras.layers.Layer):
            reversed_sides.append(
                f"the key is a Keras {type(prior).__name__}, an encoder in the prior's place"
            )
        if isinstance(encoder, tfd.Distribution):
            reversed_sides.append(
                f"the value is a TFP {type(encoder).__name__}, a prior in the encoder's place"
            )
        if reversed_sides:
            raise TypeError(
                f"latent_vars looks reversed: {'; '.join(reversed_sides)}. Bind "
                "latent_vars={prior: encoder}: the key is the prior p(z), a TFP distribution "
                "or a program prior(batch_size) -> z (wrap a network: lambda n: "
                "network(tf.random.normal([n, d]))); the value is the encoder, a program or "
                "network encoder(x) -> z. Got key "
                f"{type(prior).__name__}, value {type(encoder).__name__}."
            )
        if not (
            callable(prior) or isinstance(prior, tfd.Distribution) or data_lib.is_placeholder(prior)
        ):
            raise TypeError(
                "latent_vars: the key must be the prior, a TFP distribution, a program "
                "prior(batch_size) -> z, or a placeholder fed with its draws, got "
                f"{type(prior).__name__}."
            )
        if not callable(encoder):
            raise TypeError(
                "latent_vars: the value must be the encoder, a program encoder(x) -> z, "
                f"got {type(encoder).__name__}."
            )
        return prior, encoder

    @staticmethod
    def _check_data(data):
        """`data={decoder: observations}`, `decoder(z) -> x` (a network will do)."""
        ((decoder, _),) = _check_binding(data, "data", "{decoder: observations}").items()
        if not callable(decoder):
            raise TypeError(
                "data: the key must be the decoder, a program or network decoder(z) -> x, "
                f"got {type(decoder).__name__}."
            )

    @staticmethod
    def _check_discriminator(discriminator):
        if not callable(discriminator):
            raise TypeError(
                "discriminator must be a callable function D(x, z) -> logits, "
                f"got {type(discriminator).__name__}."
            )
        if isinstance(discriminator, keras.Sequential) or (
            type(discriminator).__name__ == "Functional"
        ):
            raise TypeError(
                f"discriminator: a Keras {type(discriminator).__name__} takes one input, but "
                "BiGAN's discriminator is called D(x, z); wrap it: discriminator=lambda x, z: "
                "network(tf.concat([x, z], -1)) (or network([x, z]) for a two-input model)."
            )

    def objectives(self, x_true):
        if self.fed_prior:
            x_true, z_true = x_true
        else:
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
        d_true = _check_logits(self.call("Disc", self.discriminator, *pair_true), pair_true)
        d_fake = _check_logits(self.call("Disc", self.discriminator, *pair_fake), pair_fake)
        loss_d = self.discriminator_loss(d_true, d_fake)
        loss_d += self.penalties(pair_true, pair_fake, loss_d.dtype)
        loss = self.discriminator_loss(d_fake, d_true)  # labels swapped
        return loss, loss_d, _concat(d_true, d_fake)

    def encode(self, x, ema=True):
        """`encoder(x)` for a batch of observations `x`, as a NumPy array,
        computed in batches of `batch_size` (256 without one); with the averaged
        weights when kept (`initialize(ema_decay=...)`) unless `ema=False`.
        """
        return self._map("encode", x, ema)

    def reconstruct(self, x, ema=True):
        """`decoder(encoder(x))` for observations `x`, as a NumPy array."""
        return self._map("reconstruct", x, ema)

    def _check_sampling(self):
        if self.fed_prior:
            raise ValueError(
                "sample: the prior is a placeholder, fed by the caller, so there is nothing "
                "to draw z from; decode your own draws with the decoder."
            )

    def _generate(self, n):
        self._check_sampling()
        return self.call("Gen", self.decoder, self.call("Gen", self.prior, n))

    @property
    def _x_spec(self):
        return self.stream.spec[0] if self.fed_prior else self.stream.spec

    def _map(self, name, x, ema):
        spec = self._x_spec
        x = tf.convert_to_tensor(x, spec.dtype)
        if not spec.shape[1:].is_compatible_with(x.shape[1:]) or x.shape.rank != spec.shape.rank:
            raise ValueError(f"x must have shape [n] + {spec.shape[1:]}, got {x.shape}.")
        return self._served(name, ema)(x).numpy()

    def _exported_functions(self):
        functions = super()._exported_functions()
        if self.fed_prior:
            del functions["sample"]
        batch = self.batch_size or 256
        spec = self._x_spec
        signature = [tf.TensorSpec([None] + spec.shape[1:].as_list(), spec.dtype)]

        def batched(fn):
            def over_batches(x):
                n = tf.shape(x)[0]
                return _map_batches(
                    lambda i: fn(x[i * batch : (i + 1) * batch]), (n + batch - 1) // batch
                )

            return tf.function(over_batches, input_signature=signature, autograph=False)

        encode = lambda x: self.call("Gen", self.encoder, x)
        functions["encode"] = batched(encode)
        functions["reconstruct"] = batched(lambda x: self.call("Gen", self.decoder, encode(x)))
        return functions
