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

Arguments are checked with `adinfer.validate` (Python numbers, flags,
callables, names) and, for tensors, with `floating_tensor` and
`one_hot_labels` below, in the same message style: "<name> must be
<expected>, got <given>." Numbers given as tensors are not checked (they may
be symbolic inside a `tf.function`).
"""

import collections
import contextlib

import numpy as np
import tensorflow as tf

from adinfer import validate

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
    "GANModel",
    "GANLoss",
    "get",
    "NAMES",
    "floating_tensor",
    "one_hot_labels",
]


# ----------------------------------------------------------------- helpers --


def floating_tensor(value, name, dtype=None, like=None):
    """`value` as a floating-point tensor, checked.

    Tensors and NumPy arrays keep their dtype (never silently cast); Python
    numbers and lists become `dtype`, or float32 when `dtype` is None.

    Args:
      value: a tensor, array, number or (nested) list.
      name: the argument's name, for messages.
      dtype: optional `tf.DType` that `value` must have.
      like: optional name of the argument whose dtype `dtype` is, for messages.

    Returns:
      A floating-point `tf.Tensor`.

    Raises:
      TypeError: `value` is None, not floating-point, or not of `dtype`.
    """
    if value is None:
        validate.fail(TypeError, name, "a floating-point tensor", value)
    if tf.is_tensor(value) or isinstance(value, (np.ndarray, np.generic)):
        value = tf.convert_to_tensor(value, name=name)
    else:
        value = tf.convert_to_tensor(value, dtype=dtype, dtype_hint=tf.float32, name=name)
    if not value.dtype.is_floating:
        validate.fail(
            TypeError,
            name,
            "a floating-point tensor",
            given=f"a tensor of dtype {value.dtype.name}",
        )
    if dtype is not None and value.dtype != dtype:
        validate.fail(
            TypeError,
            name,
            f"a {dtype.name} tensor" + (f" (the dtype of {like})" if like else ""),
            given=f"a {value.dtype.name} tensor",
        )
    return value


def one_hot_labels(labels, logits, labels_name="labels", logits_name="logits"):
    """`labels` cast to the dtype of the tensor `logits`, whose shape they must have.

    Raises:
      ValueError: the shapes (where known) differ.
    """
    labels = tf.cast(tf.convert_to_tensor(labels, name=labels_name), logits.dtype)
    if (
        labels.shape.rank is not None
        and logits.shape.rank is not None
        and not labels.shape.is_compatible_with(logits.shape)
    ):
        validate.fail(
            ValueError,
            labels_name,
            f"one-hot labels of the shape of {logits_name}, {logits.shape}",
            given=f"shape {labels.shape}",
        )
    return labels


def _checked_number(value, name, check, **bounds):
    """A Python or NumPy number checked by `check` (a function of
    `adinfer.validate`) and returned as a float; a scalar array or eager tensor
    is checked by its value and returned as it is; a symbolic tensor unchecked.
    """
    if tf.is_tensor(value) or isinstance(value, np.ndarray):
        if isinstance(value, np.ndarray) or hasattr(value, "numpy"):
            array = np.asarray(value)
            if array.size == 1 and np.issubdtype(array.dtype, np.number):
                check(float(array.reshape(())), name, **bounds)
        return value
    return check(value, name, **bounds)


def _as(x, dtype):
    """`x` in `dtype`: Python numbers converted directly (`tf.cast` would round them
    to float32 first), tensors and arrays cast.
    """
    if _is_number(x):
        return tf.constant(x, dtype)
    return tf.cast(x, dtype)


def _pair(d_real, d_fake):
    d_real = floating_tensor(d_real, "d_real")
    return d_real, floating_tensor(d_fake, "d_fake", dtype=d_real.dtype, like="d_real")


def _ce(labels, logits):
    """Elementwise CE(labels, logits), labels a Python float."""
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), _as(labels, logits.dtype)), logits=logits
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
    d_fake = floating_tensor(d_fake, "d_fake")
    return -_mean(_ce(0.0, d_fake))


def minimax_discriminator_loss(d_real, d_fake, *, label_smoothing=0.0):
    """Discriminator loss `mean(CE(1 - s/2, d_real)) + mean(CE(0, d_fake))`.

    `s = label_smoothing` in [0, 1] smooths the real labels only, with TF-GAN's
    meaning (that of `tf.compat.v1.losses.sigmoid_cross_entropy`): a label `y`
    becomes `y (1 - s) + s/2`, so the real label 1 becomes `1 - s/2`
    (Salimans et al., 2016, "Improved Techniques for Training GANs").
    The default differs from TF-GAN's: adinfer's is `s = 0` (no smoothing, the
    loss of Edward and of the `get("minimax")` / `get("non_saturating")`
    pairs), TF-GAN's `minimax_discriminator_loss` defaults to `s = 0.25`; pass
    `label_smoothing=0.25` for TF-GAN's default.
    Goodfellow et al. (2014), "Generative Adversarial Nets".
    """
    label_smoothing = _checked_number(
        label_smoothing, "label_smoothing", validate.number, low=0, high=1
    )
    d_real, d_fake = _pair(d_real, d_fake)
    return _mean(_ce(1.0 - 0.5 * label_smoothing, d_real)) + _mean(_ce(0.0, d_fake))


def modified_generator_loss(d_real, d_fake):
    """Non-saturating generator loss, `-E[log D(G(z))] = mean(CE(1, d_fake))`.

    Goodfellow et al. (2014), "Generative Adversarial Nets", Sec. 3.
    """
    del d_real  # Unused.
    d_fake = floating_tensor(d_fake, "d_fake")
    return _mean(_ce(1.0, d_fake))


non_saturating_generator_loss = modified_generator_loss


# ----------------------------------------------------------- wasserstein ---


def wasserstein_generator_loss(d_real, d_fake):
    """Wasserstein generator loss, `-mean(d_fake)`.

    Arjovsky et al. (2017), "Wasserstein GAN".
    """
    del d_real  # Unused.
    return -_mean(floating_tensor(d_fake, "d_fake"))


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
    return -_mean(floating_tensor(d_fake, "d_fake"))


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
    d_fake = floating_tensor(d_fake, "d_fake")
    real_label = _checked_number(real_label, "real_label", validate.number)
    return 0.5 * _mean(tf.square(d_fake - _as(real_label, d_fake.dtype)))


def least_squares_discriminator_loss(d_real, d_fake, *, real_label=1.0, fake_label=0.0):
    """Least-squares discriminator loss.

    `0.5 mean((d_real - real_label)^2) + 0.5 mean((d_fake - fake_label)^2)`.
    Mao et al. (2017), "Least Squares Generative Adversarial Networks".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    real_label = _checked_number(real_label, "real_label", validate.number)
    fake_label = _checked_number(fake_label, "fake_label", validate.number)
    a = _as(real_label, d_real.dtype)
    b = _as(fake_label, d_real.dtype)
    return 0.5 * _mean(tf.square(d_real - a)) + 0.5 * _mean(tf.square(d_fake - b))


# ------------------------------------------------- relativistic average ----


def _relativistic_average(up, down):
    """`mean(CE(1, up - mean(down))) + mean(CE(0, down - mean(up)))`: the
    RaSGAN loss of the player that wants `up` judged more real than `down`
    (the generator's is the discriminator's with the two sets swapped).
    """
    return _mean(_ce(1.0, up - _mean(down))) + _mean(_ce(0.0, down - _mean(up)))


def relativistic_average_generator_loss(d_real, d_fake):
    """RaSGAN generator loss.

    `mean(CE(1, d_fake - mean(d_real))) + mean(CE(0, d_real - mean(d_fake)))`.
    Jolicoeur-Martineau (2018), "The relativistic discriminator: a key element
    missing from standard GAN".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _relativistic_average(d_fake, d_real)


def relativistic_average_discriminator_loss(d_real, d_fake):
    """RaSGAN discriminator loss.

    `mean(CE(1, d_real - mean(d_fake))) + mean(CE(0, d_fake - mean(d_real)))`.
    Jolicoeur-Martineau (2018), "The relativistic discriminator: a key element
    missing from standard GAN".
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return _relativistic_average(d_real, d_fake)


# ------------------------------------------------------------------ ACGAN ---


def _softmax_ce(labels, logits, label_smoothing, labels_name, logits_name):
    logits = floating_tensor(logits, logits_name)
    labels = one_hot_labels(labels, logits, labels_name, logits_name)
    if label_smoothing:
        k = tf.cast(tf.shape(logits)[-1], logits.dtype)
        labels = labels * (1.0 - label_smoothing) + label_smoothing / k
    return _mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def acgan_discriminator_loss(
    class_logits_real, class_logits_fake, labels_real, labels_fake, *, label_smoothing=0.0
):
    """ACGAN auxiliary-classifier loss for the discriminator.

    `mean(CE_softmax(y_real (1 - s) + s / K, l_real)) + mean(CE_softmax(y_fake, l_fake))`
    with one-hot labels `y` and K classes: as TF-GAN's `acgan_discriminator_loss`
    (and `tf.compat.v1.losses.softmax_cross_entropy`), `s = label_smoothing`
    smooths the labels of the real term only; the generated term is never
    smoothed. Added to an ordinary discriminator loss by the caller.
    Odena et al. (2017), "Conditional Image Synthesis with Auxiliary Classifier
    GANs".
    """
    label_smoothing = _checked_number(
        label_smoothing, "label_smoothing", validate.number, low=0, high=1
    )
    return _softmax_ce(
        labels_real, class_logits_real, label_smoothing, "labels_real", "class_logits_real"
    ) + _softmax_ce(labels_fake, class_logits_fake, 0.0, "labels_fake", "class_logits_fake")


def acgan_generator_loss(class_logits_fake, labels_fake):
    """ACGAN auxiliary-classifier loss for the generator.

    `mean(CE_softmax(y_fake, l_fake))`, one-hot `y_fake`.
    Odena et al. (2017), "Conditional Image Synthesis with Auxiliary Classifier
    GANs".
    """
    return _softmax_ce(labels_fake, class_logits_fake, 0.0, "labels_fake", "class_logits_fake")


# ------------------------------------------------------------- penalties ---


def _critic_inputs(x, name):
    """Returns `(list_of_float_tensors, joint)`.

    Only a Python `tuple` is a joint input (several critic arguments); anything
    else, nested Python lists included, is converted to one tensor, as
    `tf.convert_to_tensor` (and TF-GAN) would.
    """
    if isinstance(x, tuple):
        if not x:
            validate.fail(ValueError, name, "a tensor or a non-empty tuple of tensors", given="()")
        return [floating_tensor(c, f"{name}[{i}]") for i, c in enumerate(x)], True
    if isinstance(x, list):
        try:
            return [floating_tensor(x, name)], False
        except ValueError as e:
            raise ValueError(
                f"{name} must be a tensor or a tuple of tensors, got a list that is not one "
                f"tensor (only a tuple is several critic inputs): {e}"
            ) from e
    return [floating_tensor(x, name)], False


def _call(critic, xs, joint):
    out = critic(*xs) if joint else critic(xs[0])
    if isinstance(out, (tuple, list)):  # As TF-GAN: (logits, class logits or features).
        out = out[0]
    return out


def _sum_sq_grad(critic, xs, joint):
    """Per-sample `Σ g²` with `g = ∇_x Σ critic(x)`, summed over all non-batch
    axes of all components. Uses a nested tape, so it is itself differentiable.
    """
    with tf.GradientTape() as tape:
        tape.watch(xs)
        total = tf.reduce_sum(_call(critic, xs, joint))
    grads = tape.gradient(total, xs, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    sq = [tf.reduce_sum(tf.reshape(tf.square(g), [tf.shape(g)[0], -1]), axis=1) for g in grads]
    return tf.add_n([tf.cast(s, sq[0].dtype) for s in sq])


def _safe_sqrt(x):
    """`sqrt(x)` with gradient 0 (not inf/nan) at `x = 0`; exact elsewhere."""
    positive = x > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, x, tf.ones_like(x))), tf.zeros_like(x))


def gradient_penalty(
    critic, x_real, x_fake, *, target=1.0, one_sided=False, epsilon=1e-10, seed=None, alpha=None
):
    """WGAN-GP gradient penalty (unweighted), as TF-GAN's `wasserstein_gradient_penalty`.

    With `x̂ = ε x_real + (1 - ε) x_fake`, `ε ~ U(0, 1)` drawn once per sample,
    `g = ∇_x̂ Σ critic(x̂)` and the slope `‖g‖ = sqrt(Σ g² + epsilon)` (sum over
    all non-batch axes; `epsilon` inside the root, for stability):

      two-sided: `mean((‖g‖ / target - 1)²)`   (Gulrajani et al., 2017),
      one-sided: `mean(max(0, ‖g‖ / target - 1)²)`   (Petzka et al., 2018).

    Since `(‖g‖ / c - 1)² = (‖g‖ - c)² / c²`, a `target` c other than 1 (Karras
    et al., 2017, "Progressive Growing of GANs") scales the penalty by `1/c²`
    relative to `(‖g‖ - c)²`; c must be positive.

    `x_real`, `x_fake` may be tuples of tensors (e.g. `(x, z)` for a BiGAN
    critic, then called as `critic(*x̂)`); all components share `ε` and the
    norm is taken jointly over all of them. Only a `tuple` means that: a
    (nested) Python list is one tensor, as in TF-GAN. A critic returning a
    tuple is differentiated through its first element (TF-GAN's ACGAN case).
    The gradient is taken with a nested `tf.GradientTape`, so the penalty is
    differentiable w.r.t. the critic's variables (also inside `tf.function`).

    Args:
      critic: callable, `critic(x̂)` (or `critic(*x̂)` for tuples).
      x_real, x_fake: real and generated batches, tensors (or lists, converted)
        or tuples of them with the same structure and batch size.
      target: the slope c > 0 the penalty pulls towards.
      one_sided: penalise only slopes above `target`.
      epsilon: ≥ 0, added to `Σ g²` inside the root (TF-GAN's default 1e-10).
      seed: optional shape-[2] integer tensor for `tf.random.stateless_uniform`.
      alpha: optional interpolation weights ε, shape [batch], in place of a draw.

    Returns:
      A scalar tensor of the inputs' dtype.
    """
    validate.function(critic, "critic", "critic(x) -> scores")
    reals, joint = _critic_inputs(x_real, "x_real")
    fakes, fake_joint = _critic_inputs(x_fake, "x_fake")
    if joint != fake_joint or len(reals) != len(fakes):
        validate.fail(
            ValueError,
            "x_real and x_fake",
            "of the same structure (both tensors, or tuples of the same length)",
            given=f"{type(x_real).__name__} of {len(reals)} and "
            f"{type(x_fake).__name__} of {len(fakes)}",
        )
    for i, (r, f) in enumerate(zip(reals, fakes)):
        if not r.shape[:1].is_compatible_with(f.shape[:1]):
            suffix = f"[{i}]" if joint else ""
            validate.fail(
                ValueError,
                f"x_fake{suffix}",
                f"a batch of the size of x_real{suffix}, {r.shape[0]} (the penalty "
                "interpolates them example by example)",
                given=f"shape {f.shape}",
            )
    target = _checked_number(target, "target", validate.positive, allow_none=False)
    one_sided = validate.boolean(one_sided, "one_sided")
    epsilon = _checked_number(epsilon, "epsilon", validate.nonnegative, allow_none=False)
    batch = tf.shape(reals[0])[:1]
    dtype = reals[0].dtype
    if alpha is not None:
        eps = tf.convert_to_tensor(alpha, dtype)
    elif seed is None:
        eps = tf.random.uniform(batch, dtype=dtype)
    else:
        seed = tf.convert_to_tensor(seed)
        if not seed.dtype.is_integer or seed.shape != (2,):
            validate.fail(
                ValueError,
                "seed",
                "None or a shape-[2] integer tensor",
                given=f"dtype {seed.dtype.name} shape {seed.shape}",
            )
        eps = tf.random.stateless_uniform(batch, seed=seed, dtype=dtype)
    x_hat = []
    for r, f in zip(reals, fakes):
        e = tf.reshape(
            tf.cast(eps, r.dtype), tf.concat([batch, tf.ones([tf.rank(r) - 1], tf.int32)], 0)
        )
        x_hat.append(e * r + (1.0 - e) * tf.cast(f, r.dtype))
    sq = _sum_sq_grad(critic, x_hat, joint)
    slopes = _safe_sqrt(sq + _as(epsilon, sq.dtype))
    excess = slopes / _as(target, sq.dtype) - 1.0
    if one_sided:
        excess = tf.maximum(excess, 0.0)
    return _mean(tf.square(excess))


def r1_penalty(critic, x_real):
    """R1 penalty `mean(‖∇_x critic(x_real)‖²)` (unweighted; the caller
    applies `gamma / 2`).

    Mescheder et al. (2018), "Which Training Methods for GANs do actually
    Converge?". `x_real` may be a tuple (a joint input) or a tensor; a Python
    list is one tensor, as in `gradient_penalty`.
    """
    validate.function(critic, "critic", "critic(x) -> scores")
    xs, joint = _critic_inputs(x_real, "x_real")
    return _mean(_sum_sq_grad(critic, xs, joint))


def mutual_information_penalty(structured_inputs, predicted_distributions):
    """InfoGAN penalty `-(1/n) Σ_i mean(log q_i(c_i))`, as TF-GAN's.

    `structured_inputs` are the n codes `c_i` fed to the generator and
    `predicted_distributions` the distributions `q_i` (e.g. TFP) predicted from
    the generated data; a single code and distribution are also accepted. Each
    group's mean is over all elements of `q_i.log_prob(c_i)` (the batch), and
    the groups are averaged, not summed (TF-GAN's `mutual_information_penalty`
    reduces the per-group means with `compute_weighted_loss`, a mean). A
    TFP `q_i` whose batch and event shapes would broadcast `log_prob` past
    `c_i`'s shape (batch shape [n, 1] for codes [n]: an [n, n] mean) is refused.
    Chen et al. (2016), "InfoGAN".
    """
    codes, dists = structured_inputs, predicted_distributions
    if not isinstance(codes, (tuple, list)):
        codes = [codes]
    if not isinstance(dists, (tuple, list)):
        dists = [dists]
    if len(codes) != len(dists) or not codes:
        validate.fail(
            ValueError,
            "structured_inputs and predicted_distributions",
            "non-empty and of the same length",
            given=f"{len(codes)} and {len(dists)}",
        )
    terms = []
    for i, (c, q) in enumerate(zip(codes, dists)):
        if not hasattr(q, "log_prob"):
            validate.fail(
                TypeError, f"predicted_distributions[{i}]", "a distribution (with log_prob)", q
            )
        shape = [getattr(q, "batch_shape", None), getattr(q, "event_shape", None)]
        if all(isinstance(d, tf.TensorShape) for d in shape):
            c_shape = tf.TensorShape(getattr(c, "shape", np.shape(c)))
            if not validate.broadcasts_to(shape[0].concatenate(shape[1]), c_shape):
                validate.fail(
                    ValueError,
                    f"predicted_distributions[{i}]",
                    f"a distribution whose batch and event shapes broadcast to the shape of "
                    f"structured_inputs[{i}], {c_shape} (log_prob would broadcast past it)",
                    given=f"batch shape {shape[0]} and event shape {shape[1]}",
                )
        terms.append(_mean(q.log_prob(c)))
    return -tf.add_n(terms) / tf.cast(len(terms), terms[0].dtype)


def _numerically_stable_global_norm(tensors):
    """`sqrt(Σ_t Σ t²)` as `m ‖t / m‖` with `m = max |t|`, so that no square
    overflows (as TF-GAN's `numerically_stable_global_norm`); 0 when all are 0.

    Computed in float64 if any tensor is float64, else in float32.
    """
    tensors = [tf.convert_to_tensor(t) for t in tensors]
    dtype = tf.float64 if any(t.dtype == tf.float64 for t in tensors) else tf.float32
    tensors = [tf.cast(t, dtype) for t in tensors]
    m = tf.maximum(tf.reduce_max(tf.stack([tf.reduce_max(tf.abs(t)) for t in tensors])), 0.0)
    safe_m = tf.where(m > 0, m, tf.ones_like(m))
    return m * tf.linalg.global_norm([t / safe_m for t in tensors])


def _per_example(main_loss, adversarial_loss):
    """As TF-GAN: losses of incompatible shapes are mean-reduced to shape [batch]."""
    if main_loss.shape.is_compatible_with(adversarial_loss.shape):
        return main_loss, adversarial_loss
    n_main = main_loss.shape[0] if main_loss.shape.rank else None
    n_adv = adversarial_loss.shape[0] if adversarial_loss.shape.rank else None
    if (
        main_loss.shape.rank == 0
        or adversarial_loss.shape.rank == 0
        or (n_main is not None and n_adv is not None and n_main != n_adv)
    ):
        validate.fail(
            ValueError,
            "main_loss and adversarial_loss",
            "of compatible shapes, or of the same first (batch) dimension to be "
            "mean-reduced to shape [batch]",
            given=f"main_loss shape {main_loss.shape} and adversarial_loss shape "
            f"{adversarial_loss.shape}",
        )
    return (
        tf.reduce_mean(main_loss, axis=list(range(1, main_loss.shape.rank))),
        tf.reduce_mean(adversarial_loss, axis=list(range(1, adversarial_loss.shape.rank))),
    )


GANModel = collections.namedtuple(
    "GANModel",
    [
        "generator_inputs",
        "generated_data",
        "generator_variables",
        "generator_scope",
        "generator_fn",
        "real_data",
        "discriminator_real_outputs",
        "discriminator_gen_outputs",
        "discriminator_variables",
        "discriminator_scope",
        "discriminator_fn",
    ],
)
GANModel.__doc__ = """TF-GAN's `GANModel` fields: what a GAN inference's
`non_adversarial_loss(model)` receives (the discriminator outputs as the
discriminator returned them, features included)."""
GANLoss = collections.namedtuple("GANLoss", ["generator_loss", "discriminator_loss"])
GANLoss.__doc__ = "TF-GAN's `GANLoss`: the two objectives of one GAN."


def combine_adversarial_loss(*args, **kwargs):
    """Combines a main (e.g. reconstruction) loss with an adversarial loss.

    TF-GAN's two signatures, told apart by the first argument:

        combine_adversarial_loss(main_loss, adversarial_loss, weight_factor=None,
            gradient_ratio=None, gradient_ratio_epsilon=1e-6, variables=None,
            scalar_summaries=True, gradient_summaries=True, scope=None, *, tape=None)
        combine_adversarial_loss(gan_loss, gan_model, non_adversarial_loss,
            weight_factor=None, gradient_ratio=None, gradient_ratio_epsilon=1e-6,
            scalar_summaries=True, gradient_summaries=True, *, tape=None)

    the first as TF-GAN's `losses_impl.combine_adversarial_loss` (returns the
    combined loss), the second, for a `GANLoss` and a `GANModel`, as
    `tfgan.losses.combine_adversarial_loss` (returns the `GANLoss` whose
    `generator_loss` is `non_adversarial_loss` combined with it, the
    gradients taken over `gan_model.generator_variables`). Exactly one of
    `weight_factor` and `gradient_ratio` must be given:

      weight_factor:  `main + stop_gradient(weight_factor) · adversarial`;
      gradient_ratio: `main + stop_gradient(a) · adversarial`, with
        `a = (‖∇ main‖ / (‖∇ adversarial‖ + gradient_ratio_epsilon)) / gradient_ratio`,

    where `∇` is the gradient with respect to `variables` and `‖·‖` the global
    norm over all of them (computed scaled by the largest absolute value, so
    gradients near the float32 limit do not overflow). `gradient_ratio = r` is
    thus the ratio `‖∇ main‖ / ‖∇ (a · adversarial)‖` wanted after combining
    (Shrivastava et al. 2017 use `r = 1`: both losses move the weights about
    equally). A weight (either kind) of 0 returns `main_loss` alone.

    Losses of compatible shapes are combined elementwise. Losses of
    incompatible shapes whose first (batch) dimensions agree are first
    mean-reduced to shape [batch] (over all other axes), and so is the result.

    In TF2 the gradients come from a persistent tape that recorded both losses
    (TF-GAN's `tf.gradients` has no eager form); a GAN inference given
    `non_adversarial_loss` and `gradient_ratio` passes its own:

        with tf.GradientTape(persistent=True) as tape:
            x_fake = generator(z)
            main = reconstruction_loss(x, x_fake)
            adversarial = losses.modified_generator_loss(None, discriminator(x_fake))
            loss = losses.combine_adversarial_loss(
                main, adversarial, gradient_ratio=1.0,
                variables=generator.trainable_variables, tape=tape)
        grads = tape.gradient(loss, generator.trainable_variables)

    Args:
      main_loss: float tensor (or number), the main loss.
      adversarial_loss: float tensor (or number), cast to `main_loss`'s dtype.
      weight_factor: fixed coefficient ≥ 0 of the adversarial loss.
      gradient_ratio: non-negative target ratio of the gradient magnitudes.
      gradient_ratio_epsilon: added to the denominator of `a` (TF-GAN's 1e-6).
      variables: with `gradient_ratio`, the variables (or watched tensors) to
        differentiate with respect to, as TF-GAN's `variables` -- usually the
        generator's trainable variables. Default: `tape.watched_variables()`,
        every variable the tape saw (TF-GAN's default is every trainable
        variable), which may include the discriminator's.
      scalar_summaries: write "main_loss" and "adversarial_loss" (means) with
        `tf.summary.scalar`, as TF-GAN; written only under a default summary
        writer.
      gradient_summaries: write "main_loss_gradients",
        "adversarial_loss_gradients" and "adversarial_coefficient" where the
        norms are computed (with `gradient_ratio`; with `weight_factor` no
        gradient is taken, where TF-GAN would take one for the summary).
      scope: a name scope for the operations.
      tape: with `gradient_ratio`, a persistent `tf.GradientTape` that recorded
        both losses; it is used twice. The coefficient is computed with the
        tape's recording paused, so this may be called inside the tape's
        context (then the combined loss is recorded and can be differentiated).

    Returns:
      The combined loss: a scalar if both losses are scalars, else of their
      (broadcast) shape, or shape [batch] after the reduction above; or, for a
      `GANLoss`, the `GANLoss` holding it as `generator_loss`.

    Raises:
      ValueError: both or neither of `weight_factor`, `gradient_ratio`; a
        negative `weight_factor` or `gradient_ratio`; incompatible first dimensions; no or a
        non-persistent `tape`; no `variables`, or a loss that does not depend
        on any of them on `tape`.
    """
    if isinstance(args[0] if args else kwargs.get("gan_loss"), GANLoss):
        return _combine_gan_loss(*args, **kwargs)
    return _combine_losses(*args, **kwargs)


def _combine_gan_loss(
    gan_loss,
    gan_model,
    non_adversarial_loss,
    weight_factor=None,
    gradient_ratio=None,
    gradient_ratio_epsilon=1e-6,
    scalar_summaries=True,
    gradient_summaries=True,
    *,
    tape=None,
):
    """TF-GAN's `tfgan.losses.combine_adversarial_loss` (see `combine_adversarial_loss`)."""
    if not isinstance(gan_model, GANModel):
        validate.fail(TypeError, "gan_model", "an adinfer.losses.GANModel", gan_model)
    combined = _combine_losses(
        non_adversarial_loss,
        gan_loss.generator_loss,
        weight_factor,
        gradient_ratio,
        gradient_ratio_epsilon,
        gan_model.generator_variables,
        scalar_summaries,
        gradient_summaries,
        tape=tape,
    )
    return gan_loss._replace(generator_loss=combined)


def _combine_losses(
    main_loss,
    adversarial_loss,
    weight_factor=None,
    gradient_ratio=None,
    gradient_ratio_epsilon=1e-6,
    variables=None,
    scalar_summaries=True,
    gradient_summaries=True,
    scope=None,
    *,
    tape=None,
):
    """TF-GAN's `losses_impl.combine_adversarial_loss` (see `combine_adversarial_loss`)."""
    if (weight_factor is None) == (gradient_ratio is None):
        validate.fail(
            ValueError,
            "Exactly one of weight_factor and gradient_ratio",
            "given",
            given=f"weight_factor={weight_factor!r} and gradient_ratio={gradient_ratio!r}",
        )
    weight_factor = _checked_number(weight_factor, "weight_factor", validate.nonnegative)
    gradient_ratio = _checked_number(gradient_ratio, "gradient_ratio", validate.nonnegative)
    gradient_ratio_epsilon = _checked_number(
        gradient_ratio_epsilon, "gradient_ratio_epsilon", validate.nonnegative, allow_none=False
    )
    scalar_summaries = validate.boolean(scalar_summaries, "scalar_summaries")
    gradient_summaries = validate.boolean(gradient_summaries, "gradient_summaries")
    with tf.name_scope(scope or "adversarial_loss"):
        raw_main = floating_tensor(main_loss, "main_loss")
        raw_adv = floating_tensor(adversarial_loss, "adversarial_loss")
        main_loss, adversarial_loss = _per_example(raw_main, raw_adv)
        if scalar_summaries:
            tf.summary.scalar("main_loss", tf.reduce_mean(main_loss))
            tf.summary.scalar("adversarial_loss", tf.reduce_mean(adversarial_loss))
        weight = weight_factor if weight_factor is not None else gradient_ratio
        if _is_number(weight) and weight == 0:
            return main_loss
        adversarial_loss = tf.cast(adversarial_loss, main_loss.dtype)
        if weight_factor is not None:
            coefficient = _as(weight_factor, main_loss.dtype)
            return main_loss + tf.stop_gradient(coefficient) * adversarial_loss
        main_norm, adv_norm = _gradient_norms(tape, variables, raw_main, raw_adv, main_loss)
        ratio = main_norm / (adv_norm + _as(gradient_ratio_epsilon, main_norm.dtype))
        coefficient = ratio / _as(gradient_ratio, main_norm.dtype)
        if gradient_summaries:
            tf.summary.scalar("main_loss_gradients", main_norm)
            tf.summary.scalar("adversarial_loss_gradients", adv_norm)
            tf.summary.scalar("adversarial_coefficient", coefficient)
        coefficient = tf.stop_gradient(tf.cast(coefficient, main_loss.dtype))
        return main_loss + coefficient * adversarial_loss


def _gradient_norms(tape, variables, raw_main, raw_adv, main_loss):
    """`(‖∇ main‖, ‖∇ adversarial‖)` over `variables` from the persistent `tape`
    that recorded both (its recording paused meanwhile); `main_loss` is the
    (possibly per-example reduced) main loss.
    """
    if not isinstance(tape, tf.GradientTape):
        validate.fail(
            ValueError,
            "tape",
            "a persistent tf.GradientTape that recorded both losses (gradient_ratio needs it)",
            tape,
        )
    if not getattr(tape, "_persistent", True):
        validate.fail(
            ValueError,
            "tape",
            "persistent, tf.GradientTape(persistent=True), since it is used twice",
            given="a non-persistent tape",
        )
    sources = tf.nest.flatten(tape.watched_variables() if variables is None else variables)
    if not sources:
        validate.fail(
            ValueError,
            "variables",
            "the variables (or watched tensors) to differentiate with respect to, "
            "e.g. the generator's trainable variables (gradient_ratio needs them)",
            given="none, and tape watched no variables",
        )
    reduced = main_loss is not raw_main

    def grad_norm(loss, name):
        # The tape recorded `loss`, not its reduction: ∇ Σ mean_axes(loss) is
        # ∇ Σ loss over the number of elements each mean is taken over.
        grads = tape.gradient(loss, sources)
        grads = [g for g in grads if g is not None]
        if not grads:
            validate.fail(
                ValueError,
                name,
                "computed under tape from variables (or watched tensors given)",
                given="a loss that depends on none of them",
            )
        norm = _numerically_stable_global_norm(grads)
        if reduced:
            norm = (
                norm * tf.cast(tf.shape(loss)[0], norm.dtype) / tf.cast(tf.size(loss), norm.dtype)
            )
        return norm

    recording = getattr(tape, "_recording", False)
    with tape.stop_recording() if recording else contextlib.nullcontext():
        main_norm = grad_norm(raw_main, "main_loss")
        adv_norm = tf.cast(grad_norm(raw_adv, "adversarial_loss"), main_norm.dtype)
    return main_norm, adv_norm


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

# Every name `get` accepts, aliases included, sorted.
NAMES = tuple(sorted(set(_REGISTRY) | set(_ALIASES)))


def get(loss):
    """Returns a `(generator_loss, discriminator_loss)` pair.

    `loss` is a name -- one of "non_saturating" (aliases "modified", "edward";
    Edward's default), "minimax", "wasserstein", "hinge", "least_squares",
    "relativistic_average" (all in `NAMES`) -- or a pair of callables,
    returned unchanged (a list as a tuple).

    Raises:
      ValueError: an unknown name.
      TypeError: neither a str nor a pair of callables.
    """
    expected = (
        "a name, one of "
        + ", ".join(repr(name) for name in NAMES)
        + ", or a (generator_loss, discriminator_loss) pair of callables"
    )
    if isinstance(loss, str):
        if loss not in NAMES:
            validate.fail(ValueError, "loss", expected, loss)
        return _REGISTRY[_ALIASES.get(loss, loss)]
    if isinstance(loss, (tuple, list)) and len(loss) == 2:
        validate.function(loss[0], "loss[0], the generator loss,", "loss(d_real, d_fake)")
        validate.function(loss[1], "loss[1], the discriminator loss,", "loss(d_real, d_fake)")
        return tuple(loss) if isinstance(loss, list) else loss
    validate.fail(TypeError, "loss", expected, loss)
