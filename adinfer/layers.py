"""Layers GAN papers use that Keras lacks in the form the papers state."""

import keras
import tensorflow as tf


class SpectralNormalization(keras.layers.Wrapper):
    """Spectral normalization as a reparameterization (Miyato et al., 2018).

    The wrapped layer (Dense, Conv*, anything with a `kernel`) computes with

      W_SN = W / σ(W),   σ(W) ≈ uᵀ W̃ v,   W̃ = W reshaped to [fan_in, units],

    where u and v are the singular vectors of W̃ estimated by power iteration:
    starting from the stored u, `power_iterations` rounds of v ← normalize(W̃ u),
    u ← normalize(W̃ᵀ v). u and v are held constant in the gradient (as in the
    paper and TF-GAN's `spectral_normalize`), so gradients reach W through
    W / σ(W), and the trained variable W itself is never overwritten.

    The power iteration state u advances once per call with `training=True`
    (call the discriminator as `D(x, training=True)` in your program); a GAN
    update calls D on the real and the generated batch, so u advances twice per
    update, plus once per gradient-penalty evaluation. `power_iteration_count`
    counts these rounds.

    Keras's own `keras.layers.SpectralNormalization` differs: at every training
    call it *assigns* W / σ(W) into W, so no gradient flows through σ, and a
    "Gen" update (which calls D) rewrites the "Disc" weights. It trains well
    too; this wrapper is the paper's form, which changes nothing but u outside
    the optimizer's step.

    Args:
      layer: a Keras layer with a `kernel` (its last axis is the output axis).
      power_iterations: rounds of power iteration per training call.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or power_iterations < 1
        ):
            raise ValueError(f"power_iterations must be a positive int, got {power_iterations!r}.")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        if not hasattr(self.layer, "kernel"):
            raise ValueError(
                f"SpectralNormalization needs a layer with a kernel, got {type(self.layer).__name__}."
            )
        units = self.layer.kernel.shape[-1]
        self.vector_u = self.add_weight(
            shape=(units,),
            initializer=keras.initializers.RandomNormal(),
            trainable=False,
            # Under tf.distribute every replica computes the same u from the
            # same W; the first replica's is kept.
            aggregation="only_first_replica",
            name="vector_u",
        )
        self.power_iteration_count = self.add_weight(
            shape=(),
            initializer="zeros",
            dtype="int64",
            trainable=False,
            aggregation="only_first_replica",
            name="iterations",
        )
        self.built = True

    def sigma(self, update=False):
        """σ(W) by power iteration from the stored u; `update` stores the new u."""
        kernel = tf.convert_to_tensor(self.layer.kernel)
        w = tf.reshape(kernel, [-1, kernel.shape[-1]])
        u = tf.cast(tf.convert_to_tensor(self.vector_u), w.dtype)
        for _ in range(self.power_iterations):
            v = tf.math.l2_normalize(tf.linalg.matvec(w, u))
            u = tf.math.l2_normalize(tf.linalg.matvec(w, v, transpose_a=True))
        u, v = tf.stop_gradient(u), tf.stop_gradient(v)
        if update:
            self.vector_u.assign(tf.cast(u, self.vector_u.dtype))
            self.power_iteration_count.assign_add(self.power_iterations)
        return tf.tensordot(v, tf.linalg.matvec(w, u), 1)

    def call(self, inputs, training=False):
        kernel = self.layer.kernel
        normalized = tf.convert_to_tensor(kernel) / self.sigma(update=bool(training))
        # The inner layer reads W / σ(W) in place of its kernel for this call.
        with keras.StatelessScope(state_mapping=[(kernel, normalized)]):
            return self.layer(inputs)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
