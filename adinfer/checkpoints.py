"""Reading checkpoints: paths, and restores that name what they could not fill.

adinfer writes TensorFlow's own format (`tf.train.Checkpoint`, managed by
`tf.train.CheckpointManager`), so a run's directory is readable by any TF tool.
An inference's checkpoint holds, as named objects:

* `t`: the update counter;
* `networks`: `{"Gen": [...], "Disc": [...]}`, the Keras networks each group's
  programs reach (programs in the order of their first call, each program's
  networks in the order of its closure): what warm starts and
  `LatentInference(restore_from=...)` read;
* `variables`: `{"Gen": [...], "Disc": [...]}`, each group's trained variables;
* `state`: every variable the objective reads, trainable or not (batch-norm
  statistics, `keras.random.SeedGenerator` states, plain `tf.Variable`s);
* `optimizer`, `optimizer_d`: both optimizers (slots and iteration counts);
* `data`: the `tf.data` iterator, so the data order continues where it stopped.
"""

import os
import re

import tensorflow as tf


def latest(path):
    """The newest checkpoint at `path`, a directory or a checkpoint prefix; or None."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return tf.train.latest_checkpoint(path)
    if tf.io.gfile.exists(path + ".index"):
        return path
    return None


def resolve(path, argument):
    """`latest(path)`, or a ValueError naming `argument` when there is none."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{argument} must be a directory or checkpoint path, got {type(path).__name__}."
        )
    found = latest(path)
    if found is None:
        raise ValueError(
            f"{argument}: no checkpoint at {os.fspath(path)!r} (expected a directory written "
            "by a CheckpointManager, or a checkpoint prefix such as 'dir/ckpt-100')."
        )
    return found


def restore_matched(checkpoint, path, argument, variables):
    """Restores `checkpoint` from `path`, requiring every object of it to be
    filled; otherwise puts `variables` (those the restore may have written)
    back and raises a ValueError naming what the checkpoint at `path` lacks.
    """
    before = [v.read_value() for v in variables]
    try:
        checkpoint.read(path).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as e:
        for v, value in zip(variables, before):
            v.assign(value)
        names = re.findall(r"path=([^,]+),", str(e)) or re.findall(r"name ([^ ]+):0", str(e))
        raise ValueError(
            f"{argument}: the checkpoint {path!r} lacks variables of this inference, or "
            "holds them with other shapes: "
            f"{sorted(set(names)) or str(e)}. Its networks must be built like the ones saved "
            "(same layers, called in the same order)."
        ) from None
