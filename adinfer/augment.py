"""Differentiable augmentation of the discriminator's inputs (Zhao et al., 2020).

DiffAugment applies the same kind of random transformation T to real and to
generated images before the discriminator, and differentiates through T, so
that the discriminator cannot memorise a small training set while the
generator still receives gradients (Zhao et al., 2020, "Differentiable
Augmentation for Data-Efficient GAN Training", Eq. 2–3):

  loss_d = E[f(−D(T(x)))] + E[f(D(T(G(z))))],   loss = E[f(−D(T(G(z))))]

`GANInference(..., augment=fn)` (and `BiGANInference` on the x side) calls `fn`
on the real and on the generated batch separately, so each batch gets its own
random draws of the same policy, as in the paper. The transformations here act
on images [batch, height, width, channels], every random parameter drawn per
example from a `keras.random.SeedGenerator`, whose state checkpoints hold.
"""

import keras
import tensorflow as tf

from adinfer.distribute import replica_part

__all__ = ["DiffAugment", "brightness", "saturation", "contrast", "translation", "cutout"]


def _uniform(seed, batch, low, high, shape=(1, 1, 1)):
    """U(low, high) per example, drawn for the global batch and split like it
    under a `tf.distribute` strategy (`adinfer.replica_part`).
    """
    return replica_part(lambda m: keras.random.uniform([m, *shape], low, high, seed=seed), batch)


def brightness(x, seed):
    """x + b, b ~ U(−0.5, 0.5) per example."""
    return x + tf.cast(_uniform(seed, tf.shape(x)[0], -0.5, 0.5), x.dtype)


def saturation(x, seed):
    """(x − mean_c(x)) · s + mean_c(x), s ~ U(0, 2) per example (channel mean)."""
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    return (x - mean) * tf.cast(_uniform(seed, tf.shape(x)[0], 0.0, 2.0), x.dtype) + mean


def contrast(x, seed):
    """(x − mean(x)) · c + mean(x), c ~ U(0.5, 1.5) per example (image mean)."""
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.cast(_uniform(seed, tf.shape(x)[0], 0.5, 1.5), x.dtype) + mean


def translation(x, seed, ratio=0.125):
    """Shifts each image by an integer offset up to ± ratio · size along each
    axis (drawn per example), filling with zeros.
    """
    batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    shifts = []
    for size in (height, width):
        most = tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)
        draw = _uniform(seed, batch, 0.0, 1.0, shape=(1,))
        shifts.append(tf.cast(tf.floor(draw * tf.cast(2 * most + 1, tf.float32)), tf.int32) - most)
    # Output pixel (i, j) reads source (i − dy, j − dx), or zero outside the image.
    rows = tf.range(height)[None, :] - shifts[0]  # [batch, height]
    cols = tf.range(width)[None, :] - shifts[1]
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[
        :, None, :
    ]
    rows = tf.clip_by_value(rows, 0, height - 1)
    cols = tf.clip_by_value(cols, 0, width - 1)
    moved = tf.gather(tf.gather(x, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)
    return moved * tf.cast(inside, x.dtype)[..., None]


def cutout(x, seed, ratio=0.5):
    """Zeros a square of ratio · size per image (clipped at the borders), its
    centre drawn uniformly per example.
    """
    batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    masks = []
    for size in (height, width):
        half = tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32) // 2
        draw = _uniform(seed, batch, 0.0, 1.0, shape=(1,))
        centre = tf.cast(tf.floor(draw * tf.cast(size, tf.float32)), tf.int32)
        position = tf.range(size)[None, :]
        masks.append((position >= centre - half) & (position < centre + half))
    cut = masks[0][:, :, None] & masks[1][:, None, :]
    return x * tf.cast(~cut, x.dtype)[..., None]


POLICIES = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


class DiffAugment:
    """The DiffAugment policy `policy` ("color,translation,cutout", the paper's
    choice for limited data) as a callable for `augment=`.

    Args:
      policy: comma-separated names from "color", "translation", "cutout".
      seed: seed of the augmentations' random stream.
    """

    def __init__(self, policy="color,translation,cutout", seed=None):
        if not isinstance(policy, str):
            raise TypeError(f"policy must be a str such as 'color,translation', got {policy!r}.")
        names = [name.strip() for name in policy.split(",") if name.strip()]
        unknown = [name for name in names if name not in POLICIES]
        if unknown:
            raise ValueError(f"policy: unknown {unknown}; expected names from {sorted(POLICIES)}.")
        self.policy = names
        self.seed = keras.random.SeedGenerator(seed)

    def __call__(self, x):
        if x.shape.rank != 4:
            raise ValueError(
                f"DiffAugment acts on images [batch, height, width, channels], got shape {x.shape}."
            )
        for name in self.policy:
            for transform in POLICIES[name]:
                x = transform(x, self.seed)
        return x
