"""Evaluating many samples a batch at a time."""

import numpy as np
import tensorflow as tf

from adinfer import validate


def _leading_dim(x):
    shape = x.shape
    if len(shape) == 0:
        return None
    return shape[0]


def _concat(*parts):
    if any(tf.is_tensor(p) for p in parts):
        return tf.concat(parts, axis=0)
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def _check_batch_output(out, b):
    for leaf in tf.nest.flatten(out):
        if not tf.is_tensor(leaf):
            leaf = np.asarray(leaf)
        lead = _leading_dim(leaf)
        if lead is not None and lead != b:
            validate.fail(
                ValueError,
                "fn",
                f"a callable whose outputs have a leading dimension equal to the batch size {b}",
                given=f"shape {tuple(leaf.shape)}",
            )
        if lead is None and len(leaf.shape) == 0:
            validate.fail(
                ValueError,
                "fn",
                "a callable whose outputs have a leading batch dimension (or None)",
                given="a scalar",
            )


def sample_and_run(fn, sample_fn, n, batch_size):
    """Draws `n` samples in batches, applies `fn` and concatenates.

    Calls `sample_fn(b)` for `b = batch_size, ..., batch_size, r` (the last
    batch is smaller so that exactly `n` samples are drawn), applies `fn` to
    each batch and concatenates the outputs along axis 0. Only `fn`'s outputs
    are kept, never all the samples at once (useful for computing Inception
    features of many generated images).

    When `fn` returns None for every batch (a streaming accumulator's
    `update_state`, say), nothing is kept and None is returned: then neither
    the samples nor their features are ever held together.

    ```python
    fid = metrics.FrechetDistance()
    fid.update_state(real_features=classifier_features(x_real))
    metrics.sample_and_run(
        lambda x: fid.update_state(fake_features=classifier_features(x)),
        inference.sample, n=50_000, batch_size=500)
    fid.result()
    ```

    Args:
      fn: callable mapping a batch `[b, ...]` to a tensor/array `[b, ...]`, a
        (nested) tuple/list/dict of them, or None.
      sample_fn: callable `b -> batch of b samples`.
      n: positive int, total number of samples.
      batch_size: positive int.

    Returns:
      `fn`'s output structure with each leaf concatenated along axis 0 (a
      `tf.Tensor` if any batch output of that leaf is a tensor, else a NumPy
      array), or None when `fn` returns None.

    Raises:
      TypeError: non-callable `fn`/`sample_fn` or non-int `n`/`batch_size`.
      ValueError: `n` or `batch_size` < 1, an output whose leading dimension is
        not the batch size, or None for some batches only.
    """
    validate.function(fn, "fn", "fn(batch) -> outputs [b, ...] or None")
    validate.function(sample_fn, "sample_fn", "sample_fn(b) -> a batch of b samples")
    n = validate.integer(n, "n")
    batch_size = validate.integer(batch_size, "batch_size")
    outputs = []
    remaining = n
    while remaining > 0:
        b = min(batch_size, remaining)
        out = fn(sample_fn(b))
        if out is not None:
            _check_batch_output(out, b)
        outputs.append(out)
        remaining -= b
    nones = sum(out is None for out in outputs)
    if nones == len(outputs):
        return None
    if nones:
        validate.fail(
            ValueError,
            "fn",
            "a callable that returns None for every batch or for none",
            given=f"None for {nones} of {len(outputs)} batches",
        )
    if len(outputs) == 1:
        return tf.nest.map_structure(_concat, outputs[0])
    return tf.nest.map_structure(_concat, *outputs)
