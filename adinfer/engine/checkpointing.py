"""Checkpoints of the training state: what they hold, resume, warm start, saves.

The format is TensorFlow's own (`tf.train.Checkpoint` under a
`tf.train.CheckpointManager`); `adinfer.checkpoints` documents its named
objects (`t`, `networks`, `variables`, `state`, `optimizer`, `optimizer_d`,
`averages`, `data`). Under `tf.distribute` every worker takes part in a save;
only the chief's files are kept.
"""

import logging
import os
import shutil

import tensorflow as tf

from adinfer import checkpoints, scopes, validate
from adinfer.engine import state

OPTIMIZER_ARGUMENT = {"Gen": "optimizer", "Disc": "optimizer_d"}

logger = logging.getLogger("adinfer")


def check_arguments(checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from):
    """Validates `initialize`'s checkpoint arguments; returns the warm-start
    checkpoint path (or None).
    """
    if checkpoint_dir is not None:
        if not isinstance(checkpoint_dir, (str, os.PathLike)):
            validate.fail(TypeError, "checkpoint_dir", "a directory path", checkpoint_dir)
        if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
            validate.fail(
                ValueError, "checkpoint_dir", "a directory", given=f"the file {checkpoint_dir!r}"
            )
    validate.integer(checkpoint_every, "checkpoint_every", allow_none=True)
    validate.integer(max_to_keep, "max_to_keep", allow_none=True)
    if checkpoint_every is not None and checkpoint_dir is None:
        raise ValueError("checkpoint_every needs checkpoint_dir.")
    if warm_start_from is None:
        return None
    return checkpoints.resolve(warm_start_from, "warm_start_from")


class Checkpointing:
    """The checkpoint of one inference's training state, and its directory."""

    def __init__(self, inference):
        self.inference = inference
        self.checkpoint = None
        self.manager = None
        self.every = None
        self.saved_t = 0

    def open(self, checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from):
        """Builds the checkpoint of the training state; resumes from
        `checkpoint_dir`'s newest checkpoint, or else warm-starts.
        """
        inference = self.inference
        self.every = checkpoint_every
        networks = inference.grouping.network_list()
        tracked = {
            "t": inference.t,
            "networks": networks,
            "variables": {
                g: [scopes.raw_variable(v) for v in inference.variables[g]]
                for g in inference.groups
            },
            "state": inference.state_variables,
            **{OPTIMIZER_ARGUMENT[g]: inference.optimizers[g] for g in inference.groups},
        }
        if inference.ema_decay is not None:
            tracked["averages"] = inference.averages
        # A worker's data position is that of its shard: it is restored only
        # into a run with as many workers (every other part restores into any).
        workers = inference.replicas.workers
        data = {}
        if inference.stream.iterator is not None:
            data = {
                "data" if workers == 1 else f"data_{workers}_workers": inference.stream.iterator
            }
        self.checkpoint = tf.train.Checkpoint(**tracked, **data)
        # Its save counter, a variable, is made now, on every worker alike (a
        # variable made under a multi-worker strategy is a collective op).
        self.checkpoint.save_counter  # noqa: B018
        self.manager = None
        if checkpoint_dir is not None:
            self.manager = tf.train.CheckpointManager(
                self.checkpoint, os.fspath(checkpoint_dir), max_to_keep, checkpoint_name="ckpt"
            )
        newest = self.manager and self.manager.latest_checkpoint
        if newest:
            self.resume(newest, tracked, data)
        elif warm_start_from is not None:
            trained = [
                scopes.raw_variable(v) for g in inference.groups for v in inference.variables[g]
            ]
            checkpoints.restore_matched(
                tf.train.Checkpoint(networks=networks, variables=tracked["variables"]),
                warm_start_from,
                "warm_start_from",
                state.unique(trained + inference.grouping.network_variables()),
            )
        self.saved_t = int(inference.t.numpy())

    def resume(self, newest, tracked, data):
        # Two restores (the data alone may not match); each reads a part.
        restored = tf.train.Checkpoint(**tracked).restore(newest).expect_partial()
        restored.assert_existing_objects_matched()
        note = ""
        if data:
            try:
                restored = tf.train.Checkpoint(**data).restore(newest).expect_partial()
                restored.assert_existing_objects_matched()
            except AssertionError:
                note = " (the data position was saved with another number of workers: not restored)"
        t = int(self.inference.t.numpy())
        logger.log(
            logging.WARNING if note else logging.INFO, "resumed from %s at t=%d%s", newest, t, note
        )

    def save(self):
        """See `Inference.save`."""
        if self.manager is None:
            raise ValueError("save() needs initialize(checkpoint_dir=...).")
        replicas = self.inference.replicas
        t = int(self.inference.t.numpy())
        if replicas.is_chief:
            path = self.manager.save(checkpoint_number=t)
        else:  # every worker takes part in a save; only the chief's is kept
            private = replicas.private_dir()
            self.checkpoint.write(os.path.join(private, "ckpt"))
            shutil.rmtree(private, ignore_errors=True)
            path = os.path.join(self.manager.directory, f"ckpt-{t}")
        self.saved_t = t
        return path

    def save_if_due(self, t):
        """After an `update`: a save every `checkpoint_every` updates."""
        if self.every and t % self.every == 0:
            self.save()

    def save_if_changed(self):
        """At `finalize`: a last save when updates were made since the newest."""
        if self.manager is not None and int(self.inference.t.numpy()) != self.saved_t:
            self.save()
