"""Classifier (inception) score."""

import numpy as np
import tensorflow as tf

from adinfer import validate
from adinfer.metrics import checks


def _log_classifier_score(logits):
    log_p = tf.nn.log_softmax(logits, axis=-1)
    n = tf.cast(tf.shape(logits)[0], tf.float64)
    # log of the marginal p(y) = mean_x p(y|x), computed stably.
    log_q = tf.reduce_logsumexp(log_p, axis=0) - tf.math.log(n)
    kl = tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=-1)
    return tf.reduce_mean(kl)


def _as_logits(logits, num_splits):
    x = checks.feature_matrix(logits, "logits", min_rows=1)
    n = x.shape[0]
    if n is not None and num_splits > n:
        validate.fail(
            ValueError,
            "num_splits",
            f"at most the number of rows of logits ({n})",
            given=f"{num_splits}",
        )
    if n is None and num_splits > 1:
        validate.fail(
            ValueError,
            "the number of rows of logits",
            "static when num_splits > 1",
            given="None",
        )
    return x


def _split_bounds(n, num_splits):
    """np.array_split boundaries: sizes differ by at most one, larger first."""
    base, extra = divmod(n, num_splits)
    sizes = [base + 1] * extra + [base] * (num_splits - extra)
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


def _split_scores(x, num_splits):
    bounds = _split_bounds(x.shape[0], num_splits)
    return tf.stack(
        [tf.exp(_log_classifier_score(x[bounds[i] : bounds[i + 1]])) for i in range(num_splits)]
    )


def classifier_score_and_std(logits, *, num_splits=10):
    """Classifier score over ``num_splits`` splits: ``(mean, std)``.

    ``logits`` is split into ``num_splits`` consecutive parts whose sizes differ
    by at most one (``np.array_split``; no sample is dropped), the score of
    :func:`classifier_score` is computed on each part, and the mean and the
    population standard deviation (``ddof=0``, as in Salimans et al.'s code) of
    the split scores are returned.  ``num_splits=10`` is the usual protocol.

    Returns:
      ``(mean, std)`` scalar ``tf.float64`` tensors.
    """
    num_splits = validate.integer(num_splits, "num_splits")
    x = _as_logits(logits, num_splits)
    scores = _split_scores(x, num_splits)
    mean = tf.reduce_mean(scores)
    std = tf.sqrt(tf.reduce_mean(tf.square(scores - mean)))
    return mean, std


def classifier_score(logits, *, num_splits=1):
    """Classifier score (generalised Inception score) from logits.

    ``CS = exp(E_x KL(p(y|x) || p(y)))``, ``p(y) = E_x p(y|x)``,
    with ``p(y|x) = softmax(logits)`` and the expectations replaced by sample
    means over the rows of ``logits`` (Salimans et al. 2016, "Improved
    Techniques for Training GANs"; TF-GAN ``classifier_score_from_logits``).
    It lies in ``[1, num_classes]``.  Computed in float64 with log-softmax.

    Args:
      logits: ``[n, num_classes]`` unnormalised log-probabilities.
      num_splits: with the default 1, the score over all samples is returned.
        With ``num_splits > 1``, returns ``(mean, std)`` over splits exactly as
        :func:`classifier_score_and_std`.

    Returns:
      Scalar ``tf.float64`` tensor, or a ``(mean, std)`` tuple if
      ``num_splits > 1``.
    """
    num_splits = validate.integer(num_splits, "num_splits")
    if num_splits > 1:
        return classifier_score_and_std(logits, num_splits=num_splits)
    x = _as_logits(logits, 1)
    return tf.exp(_log_classifier_score(x))
