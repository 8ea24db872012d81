"""What a GAN's discriminator sees: packed samples (PacGAN), augmented
observations (DiffAugment), the penalties taken at its inputs, and its
outputs flattened for the histogram summary.
"""

import keras
import tensorflow as tf

from adinfer import distribute, losses, scopes


def penalties(inference, real, fake, dtype, critic=None, real_critic=None):
    """λ_gp · gradient penalty + λ_r1 · R1 at the discriminator's inputs
    `real` (R1's side) and `fake`, tensors or tuples for a joint critic;
    `critic` (the discriminator by default) is what the gradient penalty
    differentiates, `real_critic` (`critic` by default) what R1 does. The
    discriminator is called directly, so activity regularizers are counted
    for its calls on real and generated data only.
    """
    critic = critic or inference.discriminator
    real_critic = real_critic or critic
    total = tf.zeros([], dtype)
    with scopes.scope("Disc"):
        if inference.gradient_penalty_weight:
            n = tf.shape(tf.nest.flatten(real)[0])[0]
            alpha = distribute.replica_part(
                lambda m: keras.random.uniform([m], seed=inference.penalty_seeds), n
            )
            gp = losses.gradient_penalty(
                critic,
                real,
                fake,
                target=inference.gradient_penalty_target,
                one_sided=inference.gradient_penalty_one_sided,
                alpha=alpha,
            )
            total += tf.cast(inference.gradient_penalty_weight, dtype) * tf.cast(gp, dtype)
        if inference.r1_penalty_weight:
            r1 = losses.r1_penalty(real_critic, real)
            total += tf.cast(inference.r1_penalty_weight, dtype) * tf.cast(r1, dtype)
    return total


def joint(x_true, x_fake, discriminator):
    """`(x_true, x_fake, critic)`: dict batches as tuples of their sorted keys,
    for a joint critic that calls D on the dict; others as they are.
    """
    if not isinstance(x_true, dict):
        return x_true, x_fake, discriminator
    keys = sorted(x_true)
    x_true, x_fake = (tuple(x[k] for k in keys) for x in (x_true, x_fake))
    return x_true, x_fake, lambda *c: discriminator(dict(zip(keys, c)))


def pack_nest(x, m):
    """`pack` applied to each component of a (possibly structured) batch, or None."""
    return None if x is None else tf.nest.map_structure(lambda c: pack(c, m), x)


def pack(x, m):
    """Concatenates each m consecutive samples along the last axis (PacGAN):
    [b, ..., c] -> [b / m, ..., m * c].
    """
    if m == 1:
        return x
    x = tf.convert_to_tensor(x)
    if x.shape.rank == 1:
        return tf.reshape(x, [-1, m])
    shape = tf.shape(x)
    grouped = tf.reshape(x, tf.concat([[-1, m], shape[1:]], 0))  # [b/m, m, ..., c]
    rank = x.shape.rank + 1
    moved = tf.transpose(grouped, [0] + list(range(2, rank - 1)) + [1, rank - 1])
    return tf.reshape(moved, tf.concat([[-1], shape[1:-1], [m * shape[-1]]], 0))


def concat_outputs(*outputs):
    """Discriminator outputs flattened into one vector (the histogram summary's)."""
    return tf.concat([tf.reshape(x, [-1]) for x in outputs], axis=0)


def augmented(discriminator, augment):
    """D(T(x), ...): the discriminator seeing the augmented observations."""

    def with_augment(x, *rest):
        return discriminator(augment(x) if tf.is_tensor(x) else x, *rest)

    return with_augment
