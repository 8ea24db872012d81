"""What bound programs must be and return, checked once, with adinfer's messages.

Arguments are checked in `adinfer.validate`; this module checks the contract
between an inference and the programs it is given: a program where a program
belongs (not a Keras network called on tensors, not a reversed BiGAN dict),
what programs return (logits of one value per example, generated batches like
the observed ones), and variational factors that training can move. Checks run
while the objective is built or traced, never per step.
"""

import inspect
import numbers
import os

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import data as data_lib
from adinfer import validate

tfd = tfp.distributions


def check_logits(d, x, name="discriminator", patches=False):
    """The discriminator's output on the batch `x` (a tensor, or a tuple for a
    joint critic): floating point, one value per example, [batch] or [batch, 1];
    with `patches`, any shape [batch, ...] (a PatchGAN's [batch, h, w, 1]),
    whose losses average over every element, as TF-GAN's.
    """
    d = tf.convert_to_tensor(d)
    if not d.dtype.is_floating:
        raise TypeError(f"{name} must return floating-point logits, got dtype {d.dtype.name}.")
    x = x[0] if isinstance(x, tuple) else x
    batch = tf.TensorShape(x.shape[:1]) if x is not None else tf.TensorShape([None])
    n = batch[0] if batch[0] is not None else "batch"
    if patches:
        if d.shape.rank is not None and not (
            d.shape.rank >= 1 and d.shape[:1].is_compatible_with(batch)
        ):
            raise ValueError(
                f"{name} must return logits of shape [batch, ...] (one row or patch per "
                f"example; here [{n}, ...]), got shape {d.shape}."
            )
        return d
    if d.shape.rank is not None and not (
        (d.shape.rank == 1 or (d.shape.rank == 2 and d.shape[1] in (1, None)))
        and d.shape[:1].is_compatible_with(batch)
    ):
        raise ValueError(
            f"{name} must return one logit per example, of shape [batch] or [batch, 1] "
            f"(here [{n}] or [{n}, 1]), got shape {d.shape}."
        )
    return d


def logits_of(outputs):
    """The logits of a discriminator's outputs: the first of a tuple or list
    `(logits, features, ...)`, which an objective may read beside them.
    """
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs


def output_pair(outputs, form, name="discriminator"):
    """The two outputs `form` names ("(logits, class_logits)") of a
    discriminator that must return a pair (ACGAN's, InfoGAN's).
    """
    if not isinstance(outputs, (tuple, list)) or len(outputs) != 2:
        given = (
            f"a {type(outputs).__name__} of {len(outputs)}"
            if isinstance(outputs, (tuple, list))
            else f"{type(outputs).__name__} (logits only?)"
        )
        validate.fail(TypeError, name, f"a program or network returning a pair {form}", given=given)
    return outputs


def check_class_labels(labels, class_logits, name):
    """Integer class labels in [0, K) for the K class logits, checked by
    value where they are known (eager); one-hot labels are checked by shape
    where they are used. `tf.one_hot` of a label out of range is a row of
    zeros, which would train silently on a wrong objective.
    """
    if labels is None or not (hasattr(labels, "numpy") or isinstance(labels, np.ndarray)):
        return
    labels = np.asarray(labels)
    k = tf.TensorShape(class_logits.shape)[-1]
    if k is None or labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        return
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        validate.fail(
            ValueError,
            name,
            f"integer classes in [0, {k}) for the {k} class logits the discriminator returns",
            given=f"labels in [{labels.min()}, {labels.max()}]",
        )


def check_code_predictions(q, codes):
    """InfoGAN's predictions q: one TFP distribution per code, each over the
    batch of its code's draws c_i: its batch and event shapes together must
    broadcast to c_i's shape without growing it (a batch shape [n, 1] for
    codes [n] would make log q(c) an [n, n] matrix). Returns the list.
    """
    q = list(q) if isinstance(q, (list, tuple)) else [q]
    if len(q) != len(codes):
        raise ValueError(f"discriminator: returned {len(q)} distributions for {len(codes)} codes.")
    for i, (q_i, c_i) in enumerate(zip(q, codes)):
        name = f"discriminator: its distribution q[{i}]"
        if not isinstance(q_i, tfd.Distribution):
            validate.fail(TypeError, name, f"a TFP distribution over code {i}", q_i)
        c_shape = tf.TensorShape(tf.convert_to_tensor(c_i).shape)
        shape = q_i.batch_shape.concatenate(q_i.event_shape)
        if not validate.broadcasts_to(shape, c_shape):
            validate.fail(
                ValueError,
                name,
                f"a distribution over code {i}, one row per generated example: batch and "
                f"event shapes broadcasting to its draws' shape {c_shape}",
                given=f"batch shape {q_i.batch_shape} and event shape {q_i.event_shape}",
            )
    return q


def check_like(a, b, name_a, name_b):
    """Raises TypeError unless `a` and `b` agree in dtype and non-batch shape."""
    a, b = tf.convert_to_tensor(a), tf.convert_to_tensor(b)
    if a.dtype != b.dtype:
        raise TypeError(f"{name_a} has dtype {a.dtype.name} but {name_b} has dtype {b.dtype.name}.")
    if not a.shape[1:].is_compatible_with(b.shape[1:]) or a.shape.rank != b.shape.rank:
        raise TypeError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; "
            "they must agree past the batch axis."
        )


def check_like_nest(a, b, name_a, name_b, names):
    """`check_like` per component of structured batches, naming the component."""
    if tf.nest.is_nested(b) or tf.nest.is_nested(a):
        try:
            tf.nest.assert_same_structure(a, b)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name_a} must be structured like {name_b}: got {tf.nest.map_structure(type, a)}"
                f" for {tf.nest.map_structure(lambda x: x.shape, b)}."
            ) from None
        for a_i, b_i, name in zip(tf.nest.flatten(a), tf.nest.flatten(b), names):
            suffix = name[name.index("[") :] if "[" in name else ""
            check_like(a_i, b_i, f"{name_a}{suffix}", f"{name_b}{suffix}")
        return
    check_like(a, b, name_a, name_b)


def check_program_key(key, argument, form, advice):
    """A key of `argument` that adinfer calls as a program `form` (or samples,
    for a TFP distribution). A Keras network there would be called on tensors,
    not on what adinfer passes: it is named, with `advice` on wrapping it.
    """
    if isinstance(key, keras.layers.Layer):
        raise TypeError(
            f"{argument}: the key is a Keras {type(key).__name__}, a network called on "
            f"tensors, but it must be a program {form}: {advice}"
        )
    if not callable(key) and not isinstance(key, tfd.Distribution):
        raise TypeError(
            f"{argument} keys must be programs {form} or distributions, got {type(key).__name__}."
        )


def check_generator_binding(data):
    """`data={fake: observations}`, `fake` a program of the batch size (or a
    distribution), not a network called on tensors.
    """
    ((fake, _),) = validate.binding(data, "data", "{fake: observations}").items()
    check_program_key(
        fake,
        "data",
        "fake(batch_size) -> x_fake",
        "adinfer calls it with the batch size (an int) and it draws its own noise. Wrap "
        "the network: data={lambda n: generator(noise(n)): x_train}, with e.g. "
        "noise = lambda n: tf.random.normal([n, latent_dim]).",
    )


def check_discriminator(discriminator):
    """A GAN's discriminator is a program or network D(x) -> logits."""
    validate.function(discriminator, "discriminator", "function D(x) -> logits")


def check_penalties(weight, target, one_sided, r1_weight):
    """GANInference's penalty arguments, checked: `(λ_gp, c, one_sided, λ_r1)`."""
    return (
        validate.nonnegative(weight, "gradient_penalty_weight"),
        validate.positive(target, "gradient_penalty_target", allow_none=False),
        validate.boolean(one_sided, "gradient_penalty_one_sided"),
        validate.nonnegative(r1_weight, "r1_penalty_weight"),
    )


def check_gan_arguments(pack, batch_size, condition, augment):
    """GANInference's packing, condition and augmentation; returns the batch size."""
    validate.function(augment, "augment", "T(x) -> x", allow_none=True)
    pack = validate.integer(pack, "pack")
    if augment is not None and pack != 1:
        raise ValueError(
            "augment with pack > 1: T would act on packed samples; augment or pack, not both."
        )
    batch_size = validate.integer(batch_size, "batch_size", allow_none=True)
    if batch_size is not None and batch_size % pack:
        raise ValueError(f"batch_size={batch_size} must be a multiple of pack={pack}.")
    if condition is not None and not (
        callable(condition) or isinstance(condition, tfd.Distribution)
    ):
        validate.fail(
            TypeError,
            "condition",
            "a TFP distribution or a program condition(batch_size) -> y",
            condition,
        )
    return batch_size


def check_non_adversarial(loss, weight_factor, gradient_ratio, gradient_ratio_epsilon):
    """`non_adversarial_loss(model)` and TF-GAN's rule for combining it:
    exactly one of `weight_factor` and `gradient_ratio` with it, neither without.
    """
    validate.function(loss, "non_adversarial_loss", "fn(model) -> scalar", allow_none=True)
    if loss is None and (weight_factor is not None or gradient_ratio is not None):
        raise ValueError(
            "non_adversarial_loss must be given with weight_factor or gradient_ratio (they "
            "weigh it against the adversarial loss), got None."
        )
    if loss is not None and (weight_factor is None) == (gradient_ratio is None):
        raise ValueError(
            "non_adversarial_loss is combined by TF-GAN's rule: exactly one of weight_factor "
            f"and gradient_ratio must be given, got {weight_factor!r} and {gradient_ratio!r}."
        )
    validate.nonnegative(weight_factor, "weight_factor")
    validate.nonnegative(gradient_ratio, "gradient_ratio")
    validate.nonnegative(gradient_ratio_epsilon, "gradient_ratio_epsilon", allow_none=False)


def paired(data, generator_inputs):
    """`data={generator: x_target}` with `generator_inputs=x_input` (TF-GAN's
    `generator_inputs`): the generator is called on the inputs (a network
    will do) and the two bind as pairs; returns `{generator: (x_target, x_input)}`.
    """
    ((generator, target),) = validate.binding(data, "data", "{generator: targets}").items()
    if not callable(generator):
        raise TypeError(
            "data: with generator_inputs the key is the generator, a program or network "
            f"generator(inputs) -> x, got {type(generator).__name__}."
        )
    kinds = (data_lib.is_placeholder(target), data_lib.is_placeholder(generator_inputs))
    batched = (tuple, dict, tf.data.Dataset)
    if kinds[0] != kinds[1] or isinstance(generator_inputs, batched) or isinstance(target, batched):
        raise TypeError(
            "generator_inputs must be an array or tensor aligned with the observations (or a "
            "placeholder when they are placeholders), as the observations are, got "
            f"{type(generator_inputs).__name__} for {type(target).__name__} observations."
        )
    return {generator: (target, generator_inputs)}


def check_conditional_structure(conditional, stream, data):
    """A conditional GAN binds pairs `(x_true, y_true)`."""
    structure = stream.structure
    if conditional and not (isinstance(structure, tuple) and len(structure) == 2):
        raise ValueError(
            "data: a conditional GAN (a generator fake(batch_size, y), or condition=) "
            "binds pairs of observations and labels, {fake: (x_true, y_true)}, got "
            f"{type(next(iter(data.values()))).__name__} observations."
        )


def check_sampling(paired, conditional, condition):
    """Raises ValueError when a GAN's `sample(n)` has nothing to draw from."""
    if paired:
        raise ValueError(
            "sample: this GAN's generator maps observed inputs (generator_inputs); "
            "pass them, sample(n, u)."
        )
    if conditional and condition is None:
        raise ValueError(
            "sample: this conditional GAN has no condition= to draw labels from; "
            "pass them, sample(n, y)."
        )


def scalar_objective(value, gan_loss, name="non_adversarial_loss"):
    """A term of the generator's objective: a floating scalar, cast to its dtype."""
    value = tf.convert_to_tensor(value)
    if not value.dtype.is_floating or value.shape.rank != 0:
        raise ValueError(
            f"{name} must return a floating-point scalar (a mean over the batch), got "
            f"dtype {value.dtype.name} shape {value.shape}."
        )
    return tf.cast(value, gan_loss.generator_loss.dtype)


def check_decoder_binding(data):
    """`data={decoder: observations}`, `decoder(z) -> x` (a network will do)."""
    ((decoder, _),) = validate.binding(data, "data", "{decoder: observations}").items()
    if not callable(decoder):
        raise TypeError(
            "data: the key must be the decoder, a program or network decoder(z) -> x, "
            f"got {type(decoder).__name__}."
        )


def check_latent_binding(latent_vars):
    """`latent_vars={prior: encoder}`; returns `(prior, encoder)`.

    Edward's own BiGAN example bound the pair reversed, `{encoder: prior}`,
    which silently matches only the marginals: a Keras network as the key, or a
    distribution as the value, is that mistake, refused before any call.
    """
    ((prior, encoder),) = validate.binding(latent_vars, "latent_vars", "{prior: encoder}").items()
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


def check_joint_discriminator(discriminator):
    """A BiGAN discriminator is called D(x, z): one-input Keras models are refused."""
    validate.function(discriminator, "discriminator", "function D(x, z) -> logits")
    if isinstance(discriminator, keras.Sequential) or type(discriminator).__name__ == "Functional":
        raise TypeError(
            f"discriminator: a Keras {type(discriminator).__name__} takes one input, but "
            "BiGAN's discriminator is called D(x, z); wrap it: discriminator=lambda x, z: "
            "network(tf.concat([x, z], -1)) (or network([x, z]) for a two-input model)."
        )


def check_trainable(q, argument):
    """A variational factor must read a trainable variable, or no step moves it.

    TFP converts a parameter that is a plain tensor once, when the
    distribution is made: `tfd.Normal(tf.Variable(x) + 1.0, 1.0)` (a port of
    Edward's `tf.get_variable(...) + 1.0`) or a `keras.Variable` holds a fixed
    value, and training would silently leave it where it started.
    """
    if not q.trainable_variables:
        raise TypeError(
            f"{argument}: the variational factor {q.name} ({type(q).__name__}) has no "
            "trainable variables: its parameters are fixed tensors (e.g. tf.Variable(x) + 1.0 "
            "or a keras.Variable, converted once), so no step can change it. Make them "
            "read a tf.Variable at every step: tf.Variable(x) itself, "
            "tfp.util.DeferredTensor(tf.Variable(x), lambda v: v + 1.0), or "
            "tfp.util.TransformedVariable(x, tfp.bijectors.Softplus())."
        )


def takes_two_arguments(program):
    """True for a program of two required positional arguments, `fake(n, y)`."""
    if isinstance(program, tfd.Distribution):
        return False
    try:
        parameters = inspect.signature(program).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in parameters if p.kind in positional and p.default is p.empty]
    return len(required) >= 2


def latent_target(target):
    """LatentInference's `target`: a nest of numeric tensors, or None."""

    def convert(leaf):
        try:
            value = tf.convert_to_tensor(leaf)
        except (TypeError, ValueError):
            raise TypeError(
                f"target must be a nest of arrays or tensors, got a {type(leaf).__name__}."
            ) from None
        if not (value.dtype.is_floating or value.dtype.is_integer or value.dtype.is_bool):
            raise TypeError(f"target must hold numbers, got dtype {value.dtype.name}.")
        return value

    return None if target is None else tf.nest.map_structure(convert, target)


def latent_shape(z_shape, generator):
    """LatentInference's `z_shape`: given, or the input shape of a Keras generator."""
    if z_shape is None:
        try:
            inputs = generator.inputs if isinstance(generator, keras.Model) else None
        except (AttributeError, ValueError):
            inputs = None
        shape = tuple(inputs[0].shape)[1:] if inputs and len(inputs) == 1 else (None,)
        if any(d is None for d in shape):
            raise ValueError(
                "z_shape is needed: the generator is not a Keras model with one input of "
                "known shape; pass z_shape, the shape of one latent code (e.g. [64])."
            )
        return [int(d) for d in shape]
    if isinstance(z_shape, numbers.Integral) and not isinstance(z_shape, bool):
        z_shape = [z_shape]
    if not isinstance(z_shape, (list, tuple, tf.TensorShape)):
        raise TypeError(f"z_shape must be a list of ints, got {type(z_shape).__name__}.")
    z_shape = list(tf.TensorShape(z_shape).as_list())
    if not z_shape or any(d is None or d < 1 for d in z_shape):
        raise ValueError(f"z_shape must be a non-empty list of positive ints, got {z_shape}.")
    return z_shape


def latent_initial(z_initializer, shape):
    """LatentInference's initial z: TF-GAN's truncated normal, a Keras
    initializer (or its name) or `fn(shape) -> tensor`, of `shape`, floating.
    """
    if z_initializer is None:
        return tf.random.truncated_normal(shape)
    if isinstance(z_initializer, str):
        z_initializer = keras.initializers.get(z_initializer)
    validate.function(
        z_initializer, "z_initializer", "a Keras initializer or fn(shape) -> tensor", True
    )
    initial = tf.convert_to_tensor(z_initializer(shape))
    if initial.shape.as_list() != shape:
        raise ValueError(
            f"z_initializer returned shape {initial.shape.as_list()}, but z has shape "
            f"{shape} ([batch_size] + z_shape)."
        )
    if not initial.dtype.is_floating:
        raise TypeError(
            f"z_initializer must return floating-point values, got {initial.dtype.name}."
        )
    return initial


def scalar_loss(loss, name):
    """What a user's loss function (`name`) returned: a floating scalar tensor."""
    try:
        loss = tf.convert_to_tensor(loss)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return a scalar tensor, got {type(loss).__name__}.") from None
    if not loss.dtype.is_floating:
        raise TypeError(f"{name} must return a floating-point scalar, got {loss.dtype.name}.")
    if loss.shape.rank != 0:
        raise ValueError(
            f"{name} must return a scalar, got shape {loss.shape}; reduce it "
            "(tf.reduce_mean, tf.reduce_sum)."
        )
    return loss


def latent_checkpoint_dir(checkpoint_dir, restore_dir):
    """LatentInference's `checkpoint_dir` is not the directory `restore_from` reads."""
    if (
        isinstance(checkpoint_dir, (str, os.PathLike))
        and restore_dir is not None
        and os.path.realpath(checkpoint_dir) == os.path.realpath(restore_dir)
    ):
        raise ValueError(
            f"checkpoint_dir {os.fspath(checkpoint_dir)!r} is the directory restore_from "
            "reads the trained networks from; write this training's checkpoints (z and "
            "its optimizer) to another directory, so they never mix with or replace the "
            "networks' own (TF-GAN's rule: the output directory is not ckpt_dir)."
        )


def fed_prior_binding(data, prior):
    """BiGAN's data binding with Edward's fed prior `prior` (a placeholder):
    `{decoder: (x_ph, prior)}`, the stream feeding (x, z) together; the data
    must be a placeholder too, for the batches of z and x to match.
    """
    check_decoder_binding(data)
    ((decoder, x_value),) = data.items()
    if not data_lib.is_placeholder(x_value):
        raise TypeError(
            "latent_vars: the prior is a placeholder, fed at each update, so the data "
            "must be fed too, data={decoder: x_ph}, for the batches of z and x to "
            f"match; got a {type(x_value).__name__} as the data value."
        )
    return {decoder: (x_value, prior)}


def check_joint_pairs(x_true, z_fake, x_fake, z_true):
    """BiGAN's encoder and decoder outputs agree with the prior's draws and the
    observed batch in dtype and non-batch shape.
    """
    check_like(
        z_fake,
        z_true,
        "latent_vars: the encoder's output encoder(x)",
        "the prior's draws (the key of latent_vars)",
    )
    check_like(x_fake, x_true, "data: the decoder's output decoder(z)", "the observed batch")


def observations(x, spec, name="x"):
    """`x` as a tensor of `spec`'s dtype, checked to be a batch like `spec`
    (`name`: the argument's name in the message).
    """
    x = tf.convert_to_tensor(x, spec.dtype)
    if not spec.shape[1:].is_compatible_with(x.shape[1:]) or x.shape.rank != spec.shape.rank:
        raise ValueError(f"{name} must have shape [n] + {spec.shape[1:]}, got {x.shape}.")
    return x


def latent_initialize_arguments(kwargs):
    """`Inference.initialize` arguments that LatentInference does not take."""
    for name in ("optimizer_d", "var_list", "var_list_d", "warm_start_from"):
        if name in kwargs:
            reason = (
                "the networks are restored by LatentInference(restore_from=...)"
                if name == "warm_start_from"
                else "LatentInference trains z only, with one optimizer"
            )
            raise TypeError(f"LatentInference.initialize() takes no {name}: {reason}.")
