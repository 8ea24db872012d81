# Copyright adinfer authors. Licensed under the Apache License, Version 2.0.
"""Adversarial losses and penalties.

Every adversarial loss has the same signature,

    loss(d_real, d_fake) -> scalar tensor,

where `d_real` and `d_fake` are the discriminator (critic) outputs -- logits
for the cross-entropy losses, unbounded scores for the others -- on a batch
of real and of generated data. The result is a mean over the batch, with the
dtype of the inputs. Generator and discriminator losses alike are called this
way; a loss that does not need `d_real` ignores it (it may be `None`). Extra
options are keyword-only.

Below, `CE(y, l) = -y log sigmoid(l) - (1 - y) log(1 - sigmoid(l))` is
`tf.nn.sigmoid_cross_entropy_with_logits`, stable for any logit.

`get(name)` returns a `(generator_loss, discriminator_loss)` pair. The
penalties (`gradient_penalty`, `r1_penalty`, `mutual_information_penalty`)
return the unweighted penalty; the caller multiplies by its weight.
"""

import numpy as np
import tensorflow as tf

__all__ = [
    "minimax_generator_loss",
    "minimax_discriminator_loss",
    "modified_generator_loss",
    "non_saturating_generator_loss",
    "wasserstein_generator_loss",
    "wasserstein_discriminator_loss",
    "hinge_generator_loss",
    "hinge_discriminator_loss",
    "least_squares_generator_loss",
    "least_squares_discriminator_loss",
    "relativistic_average_generator_loss",
    "relativistic_average_discriminator_loss",
    "acgan_discriminator_loss",
    "acgan_generator_loss",
    "gradient_penalty",
    "r1_penalty",
    "mutual_information_penalty",
    "combine_adversarial_loss",
    "get",
]


# ----------------------------------------------------------------- helpers --


def _float_tensor(x, name, dtype=None):
    """`tf.convert_to_tensor` keeping the input's float dtype (Python numbers
    become float32, or `dtype` if given); `dtype` must match if given.
    """
    if x is None:
        raise TypeError(f"`{name}` must be a floating-point tensor, got None.")
    if tf.is_tensor(x) or isinstance(x, (np.ndarray, np.generic)):
        x = tf.convert_to_tensor(x, name=name)  # Never silently cast arrays.
    else:
        x = tf.convert_to_tensor(x, dtype=dtype, dtype_hint=tf.float32, name=name)
    if not x.dtype.is_floating:
        raise TypeError(f"`{name}` must be a floating-point tensor, got dtype {x.dtype.name}.")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"`{name}` must have dtype {dtype.name} (matching the other input), got {x.dtype.name}."
        )
    return x


def _pair(d_real, d_fake):
    d_real = _float_tensor(d_real, "d_real")
    return d_real, _float_tensor(d_fake, "d_fake", dtype=d_real.dtype)


def _ce(labels, logits):
    """Elementwise CE(labels, logits), labels a Python float."""
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), tf.cast(labels, logits.dtype)), logits=logits
    )


_mean = tf.reduce_mean


def _is_number(x):
    return isinstance(x, (int, float))


# --------------------------------------------------------------- minimax ---


def minimax_generator_loss(d_real, d_fake):
    """Minimax generator loss, `E[log(1 - D(G(z)))] = -mean(CE(0, d_fake))`.

    Saturates when the discriminator wins; see `modified_generator_loss`.
    Goodfellow et al. (2014), "Generative Adversarial Nets".
    """
    del d_real  # Unused.
    d_fake = _float_tensor(d_fake, "d_fake")
    return -_mean(_ce(0.0, d_fake))


def minimax_discriminator_loss(d_real, d_fake, *, label_smoothing=0.0):
    """Discriminator loss `mean(CE(1 - s, d_real)) + mean(CE(0, d_fake))`.

    `s = label_smoothing` is one-sided label smoothing of the real labels
    (Salimans et al., 2016, "Improved Techniques for Training GANs").
    Goodfellow et al. (2014), "Generative Adversarial Nets".
    """
    if _is_number(label_smoothing) and not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"`label_smoothing` must be in [0, 1], got {label_smoothing}.")
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(_ce(1.0 - label_smoothing, d_real)) + _mean(_ce(0.0, d_fake))


def modified_generator_loss(d_real, d_fake):
    """Non-saturating generator loss, `-E[log D(G(z))] = mean(CE(1, d_fake))`.

    Goodfellow et al. (2014), "Generative Adversarial Nets", Sec. 3.
    """
    del d_real  # Unused.
    d_fake = _float_tensor(d_fake, "d_fake")
    return _mean(_ce(1.0, d_fake))


non_saturating_generator_loss = modified_generator_loss


# ----------------------------------------------------------- wasserstein ---


def wasserstein_generator_loss(d_real, d_fake):
    """Wasserstein generator loss, `-mean(d_fake)`.

    Arjovsky et al. (2017), "Wasserstein GAN".
    """
    del d_real  # Unused.
    return -_mean(_float_tensor(d_fake, "d_fake"))


def wasserstein_discriminator_loss(d_real, d_fake):
    """Wasserstein critic loss, `mean(d_fake) - mean(d_real)`.

    Arjovsky et al. (2017), "Wasserstein GAN".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(d_fake) - _mean(d_real)


# ------------------------------------------------------------------ hinge ---


def hinge_generator_loss(d_real, d_fake):
    """Hinge generator loss, `-mean(d_fake)`.

    Lim & Ye (2017), "Geometric GAN"; Miyato et al. (2018), "Spectral
    Normalization for Generative Adversarial Networks".
    """
    del d_real  # Unused.
    return -_mean(_float_tensor(d_fake, "d_fake"))


def hinge_discriminator_loss(d_real, d_fake):
    """Hinge loss `mean(relu(1 - d_real)) + mean(relu(1 + d_fake))`.

    Lim & Ye (2017), "Geometric GAN"; Miyato et al. (2018), "Spectral
    Normalization for Generative Adversarial Networks".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(tf.nn.relu(1.0 - d_real)) + _mean(tf.nn.relu(1.0 + d_fake))


# ---------------------------------------------------------- least squares ---


def least_squares_generator_loss(d_real, d_fake, *, real_label=1.0):
    """Least-squares generator loss `0.5 mean((d_fake - real_label)^2)`.

    Mao et al. (2017), "Least Squares Generative Adversarial Networks".
    """
    del d_real  # Unused.
    d_fake = _float_tensor(d_fake, "d_fake")
    return 0.5 * _mean(tf.square(d_fake - tf.cast(real_label, d_fake.dtype)))


def least_squares_discriminator_loss(d_real, d_fake, *, real_label=1.0, fake_label=0.0):
    """Least-squares discriminator loss.

    `0.5 mean((d_real - real_label)^2) + 0.5 mean((d_fake - fake_label)^2)`.
    Mao et al. (2017), "Least Squares Generative Adversarial Networks".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    a = tf.cast(real_label, d_real.dtype)
    b = tf.cast(fake_label, d_real.dtype)
    return 0.5 * _mean(tf.square(d_real - a)) + 0.5 * _mean(tf.square(d_fake - b))


# ------------------------------------------------- relativistic average ----


def relativistic_average_generator_loss(d_real, d_fake):
    """RaSGAN generator loss.

    `mean(CE(1, d_fake - mean(d_real))) + mean(CE(0, d_real - mean(d_fake)))`.
    Jolicoeur-Martineau (2018), "The relativistic discriminator: a key element
    missing from standard GAN".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(_ce(1.0, d_fake - _mean(d_real))) + _mean(_ce(0.0, d_real - _mean(d_fake)))


def relativistic_average_discriminator_loss(d_real, d_fake):
    """RaSGAN discriminator loss.

    `mean(CE(1, d_real - mean(d_fake))) + mean(CE(0, d_fake - mean(d_real)))`.
    Jolicoeur-Martineau (2018), "The relativistic discriminator: a key element
    missing from standard GAN".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(_ce(1.0, d_real - _mean(d_fake))) + _mean(_ce(0.0, d_fake - _mean(d_real)))


# ------------------------------------------------------------------ ACGAN ---


def _softmax_ce(labels, logits, label_smoothing, labels_name, logits_name):
    logits = _float_tensor(logits, logits_name)
    labels = tf.cast(tf.convert_to_tensor(labels, name=labels_name), logits.dtype)
    if (
        labels.shape.rank is not None
        and logits.shape.rank is not None
        and (not labels.shape.is_compatible_with(logits.shape))
    ):
        raise ValueError(
            f"`{labels_name}` must be one-hot with the shape of "
            f"`{logits_name}` {logits.shape}, got {labels.shape}."
        )
    if label_smoothing:
        k = tf.cast(tf.shape(logits)[-1], logits.dtype)
        labels = labels * (1.0 - label_smoothing) + label_smoothing / k
    return _mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def acgan_discriminator_loss(
    class_logits_real, class_logits_fake, labels_real, labels_fake, *, label_smoothing=0.0
):
    """ACGAN auxiliary-classifier loss for the discriminator.

    `mean(CE_softmax(y_real, l_real)) + mean(CE_softmax(y_fake, l_fake))`, with
    one-hot labels `y` smoothed as `y (1 - s) + s / K` (K classes). Added to an
    ordinary discriminator loss by the caller.
    Odena et al. (2017), "Conditional Image Synthesis with Auxiliary Classifier
    GANs".
    """
    if _is_number(label_smoothing) and not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"`label_smoothing` must be in [0, 1], got {label_smoothing}.")
    return _softmax_ce(
        labels_real, class_logits_real, label_smoothing, "labels_real", "class_logits_real"
    ) + _softmax_ce(
        labels_fake, class_logits_fake, label_smoothing, "labels_fake", "class_logits_fake"
    )


def acgan_generator_loss(class_logits_fake, labels_fake):
    """ACGAN auxiliary-classifier loss for the generator.

    `mean(CE_softmax(y_fake, l_fake))`, one-hot `y_fake`.
    Odena et al. (2017), "Conditional Image Synthesis with Auxiliary Classifier
    GANs".
    """
    return _softmax_ce(labels_fake, class_logits_fake, 0.0, "labels_fake", "class_logits_fake")


# ------------------------------------------------------------- penalties ---


def _as_list(x, name):
    """Returns `(list_of_float_tensors, was_structured)`."""
    if isinstance(x, (tuple, list)):
        if not x:
            raise ValueError(
                f"`{name}` must be a tensor or a non-empty tuple/list "
                "of tensors, got an empty sequence."
            )
        return [_float_tensor(c, f"{name}[{i}]") for i, c in enumerate(x)], True
    return [_float_tensor(x, name)], False


def _call(critic, xs, structured):
    if not callable(critic):
        raise TypeError(f"`critic` must be callable, got {type(critic).__name__}.")
    return critic(*xs) if structured else critic(xs[0])


def _sum_sq_grad(critic, xs, structured):
    """Per-sample `||grad_x sum(critic(x))||^2`, summed over all non-batch axes
    of all components. Uses a nested tape, so it is itself differentiable.
    """
    with tf.GradientTape() as tape:
        tape.watch(xs)
        out = _call(critic, xs, structured)
        total = tf.reduce_sum(out)
    grads = tape.gradient(total, xs, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    sq = [tf.reduce_sum(tf.reshape(tf.square(g), [tf.shape(g)[0], -1]), axis=1) for g in grads]
    return tf.add_n([tf.cast(s, sq[0].dtype) for s in sq])


def _safe_sqrt(x):
    """`sqrt(x)` with gradient 0 (not inf/nan) at `x = 0`; exact elsewhere."""
    positive = x > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, x, tf.ones_like(x))), tf.zeros_like(x))


def gradient_penalty(critic, x_real, x_fake, *, target=1.0, one_sided=False, seed=None):
    """WGAN-GP gradient penalty (unweighted).

    With `x_hat = eps x_real + (1 - eps) x_fake`, `eps ~ U(0, 1)` drawn once per
    sample, and `g = grad_{x_hat} critic(x_hat)` (norm over all non-batch axes):

      two-sided: `mean((||g|| - target)^2)`   (Gulrajani et al., 2017),
      one-sided: `mean(relu(||g|| - target)^2)`   (Petzka et al., 2018).

    `target != 1` as in Karras et al. (2017), "Progressive Growing of GANs".

    `x_real`, `x_fake` may be tuples of tensors (e.g. `(x, z)` for a BiGAN
    critic, then called as `critic(*x_hat)`); all components share `eps` and the
    norm is taken jointly over all of them. The gradient is taken with a nested
    `tf.GradientTape`, so the penalty is differentiable w.r.t. the critic's
    variables (also inside `tf.function`). `||g||` has gradient 0 at `g = 0`.
    `seed`: optional shape-[2] integer tensor for `tf.random.stateless_uniform`.
    """
    reals, structured = _as_list(x_real, "x_real")
    fakes, fake_structured = _as_list(x_fake, "x_fake")
    if structured != fake_structured or len(reals) != len(fakes):
        raise ValueError(
            "`x_real` and `x_fake` must have the same structure "
            "(both tensors, or sequences of the same length)."
        )
    if _is_number(target) and target < 0:
        raise ValueError(f"`target` must be non-negative, got {target}.")
    batch = tf.shape(reals[0])[:1]
    dtype = reals[0].dtype
    if seed is None:
        eps = tf.random.uniform(batch, dtype=dtype)
    else:
        seed = tf.convert_to_tensor(seed)
        if not seed.dtype.is_integer or seed.shape != (2,):
            raise ValueError(
                "`seed` must be a shape-[2] integer tensor, got "
                f"dtype {seed.dtype.name} shape {seed.shape}."
            )
        eps = tf.random.stateless_uniform(batch, seed=seed, dtype=dtype)
    x_hat = []
    for r, f in zip(reals, fakes):
        e = tf.reshape(
            tf.cast(eps, r.dtype), tf.concat([batch, tf.ones([tf.rank(r) - 1], tf.int32)], 0)
        )
        x_hat.append(e * r + (1.0 - e) * tf.cast(f, r.dtype))
    norm = _safe_sqrt(_sum_sq_grad(critic, x_hat, structured))
    excess = norm - tf.cast(target, norm.dtype)
    if one_sided:
        excess = tf.nn.relu(excess)
    return _mean(tf.square(excess))


def r1_penalty(critic, x_real):
    """R1 penalty `mean(||grad_x critic(x_real)||^2)` (unweighted; the caller
    applies `gamma / 2`).

    Mescheder et al. (2018), "Which Training Methods for GANs do actually
    Converge?". `x_real` may be a tuple, as in `gradient_penalty`.
    """
    xs, structured = _as_list(x_real, "x_real")
    return _mean(_sum_sq_grad(critic, xs, structured))


def mutual_information_penalty(structured_inputs, predicted_distributions):
    """InfoGAN penalty `-sum_i mean(log q_i(c_i))`.

    `structured_inputs` are the codes `c_i` fed to the generator and
    `predicted_distributions` the distributions `q_i` (e.g. TFP) predicted from
    the generated data; a single code and distribution are also accepted. The
    mean is over all elements of `q_i.log_prob(c_i)` (the batch).
    Chen et al. (2016), "InfoGAN".
    """
    codes, dists = structured_inputs, predicted_distributions
    if not isinstance(codes, (tuple, list)):
        codes = [codes]
    if not isinstance(dists, (tuple, list)):
        dists = [dists]
    if len(codes) != len(dists) or not codes:
        raise ValueError(
            "`structured_inputs` and `predicted_distributions` must be non-empty "
            f"and of the same length, got {len(codes)} and {len(dists)}."
        )
    terms = []
    for i, (c, q) in enumerate(zip(codes, dists)):
        if not hasattr(q, "log_prob"):
            raise TypeError(
                f"`predicted_distributions[{i}]` must have a "
                f"`log_prob` method, got {type(q).__name__}."
            )
        terms.append(_mean(q.log_prob(c)))
    return -tf.add_n(terms)


def combine_adversarial_loss(
    main_loss,
    adversarial_loss,
    *,
    weight_factor=None,
    gradient_ratio=None,
    gradient_ratio_epsilon=1e-6,
    x_fake=None,
    tape=None,
):
    """Combines a main (e.g. reconstruction) loss with an adversarial loss.

      weight_factor:  `main + weight_factor * adversarial`;
      gradient_ratio: `main + r * adversarial`, with the constant
        `r = gradient_ratio * stop_gradient(||d main / d x_fake|| /
                                            (||d adversarial / d x_fake|| + eps))`.

    The second needs `x_fake` (tensor or list) and a *persistent* `tape` that
    recorded both losses from `x_fake`. Exactly one of `weight_factor`,
    `gradient_ratio` must be given. As TF-GAN's `combine_adversarial_loss`.
    """
    if (weight_factor is None) == (gradient_ratio is None):
        raise ValueError(
            "Exactly one of `weight_factor` and `gradient_ratio` "
            f"must be given, got weight_factor={weight_factor}, "
            f"gradient_ratio={gradient_ratio}."
        )
    main_loss = _float_tensor(main_loss, "main_loss")
    adversarial_loss = _float_tensor(adversarial_loss, "adversarial_loss")
    if weight_factor is not None:
        return main_loss + tf.cast(weight_factor, main_loss.dtype) * tf.cast(
            adversarial_loss, main_loss.dtype
        )
    if x_fake is None:
        raise ValueError(
            "`gradient_ratio` needs `x_fake`, the generated tensor "
            "(or list of tensors) both losses were computed from."
        )
    if not isinstance(tape, tf.GradientTape):
        raise ValueError(
            "`gradient_ratio` needs `tape`, a persistent "
            "tf.GradientTape that recorded both losses from `x_fake`;"
            f" got {type(tape).__name__}."
        )
    if not getattr(tape, "_persistent", True):
        raise ValueError(
            "`tape` must be persistent (tf.GradientTape(persistent=True)): it is used twice."
        )

    def grad_norm(loss, name):
        grads = tape.gradient(loss, x_fake)
        grads = [g for g in tf.nest.flatten(grads) if g is not None]
        if not grads:
            raise ValueError(
                f"`{name}` does not depend on `x_fake` on `tape`; "
                "watch `x_fake` and compute both losses under `tape`."
            )
        return tf.linalg.global_norm(grads)

    ratio = grad_norm(main_loss, "main_loss") / (
        grad_norm(adversarial_loss, "adversarial_loss") + gradient_ratio_epsilon
    )
    scale = tf.stop_gradient(tf.cast(ratio * gradient_ratio, main_loss.dtype))
    return main_loss + scale * tf.cast(adversarial_loss, main_loss.dtype)


# --------------------------------------------------------------- registry ---

_REGISTRY = {
    "non_saturating": (modified_generator_loss, minimax_discriminator_loss),
    "minimax": (minimax_generator_loss, minimax_discriminator_loss),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
    "hinge": (hinge_generator_loss, hinge_discriminator_loss),
    "least_squares": (least_squares_generator_loss, least_squares_discriminator_loss),
    "relativistic_average": (
        relativistic_average_generator_loss,
        relativistic_average_discriminator_loss,
    ),
}
_ALIASES = {"modified": "non_saturating", "edward": "non_saturating"}


def get(loss):
    """Returns a `(generator_loss, discriminator_loss)` pair.

    `loss` is a name -- one of "non_saturating" (aliases "modified", "edward";
    Edward's default), "minimax", "wasserstein", "hinge", "least_squares",
    "relativistic_average" -- or a pair of callables, returned unchanged.
    """
    if isinstance(loss, str):
        key = _ALIASES.get(loss, loss)
        if key not in _REGISTRY:
            valid = sorted(list(_REGISTRY) + list(_ALIASES))
            raise ValueError(
                f"Unknown loss {loss!r}; `loss` must be one of {valid} or a pair of callables."
            )
        return _REGISTRY[key]
    if isinstance(loss, (tuple, list)) and len(loss) == 2:
        for part, fn in zip(("generator", "discriminator"), loss):
            if not callable(fn):
                raise TypeError(
                    f"`loss` pair: the {part} loss must be callable, got {type(fn).__name__}."
                )
        return tuple(loss) if isinstance(loss, list) else loss
    raise TypeError(
        "`loss` must be a name (str) or a (generator_loss, "
        f"discriminator_loss) pair of callables, got {loss!r}."
    )
