"""Data-parallel training on `tf.distribute`: how a global batch is split.

An inference built inside `strategy.scope()` trains on R replicas (devices) of
W workers (hosts). Every batch the inference reads is split the same way:

* the **global batch** (`batch_size`, or the batch fed) is what one update
  averages over, whatever W and R are;
* a worker reads only its **worker batch**, 1/W of it: for arrays and unbatched
  datasets it reads its own shard of the shuffled stream (`Dataset.shard`, as
  `strategy.distribute_datasets_from_function` does), so the W worker batches
  of a step are exactly the global batch a single process would read;
* each of a worker's L = R/W replicas takes its contiguous 1/L of the worker
  batch.

Each replica's objective is divided by R and the gradients are summed over
replicas (by the Keras optimizer), so the update is the one a single device
makes for the same global batch, up to floating-point order; regularization
terms, added to every replica's objective and divided by R, count once.

adinfer keeps a plain `tf.data` iterator per worker rather than
`strategy.experimental_distribute_dataset`'s distributed iterator, because
`tf.train.Checkpoint` cannot hold a distributed iterator (it is not
trackable) and checkpoints must hold the data position.
"""

import contextlib
import tempfile

import tensorflow as tf


class Replicas:
    """The replicas and workers of a strategy, and the split of a batch.

    Args:
      strategy: a `tf.distribute.Strategy` (the default one: one replica).
    """

    def __init__(self, strategy):
        self.strategy = strategy
        # Built in a strategy's scope (not TF's default strategy): run the
        # steps through it, even with a single replica.
        self.distributed = tf.distribute.has_strategy() and strategy is tf.distribute.get_strategy()
        self.count = strategy.num_replicas_in_sync  # R
        resolver = getattr(strategy, "cluster_resolver", None)
        spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
        self.workers = max(1, sum(len(spec.get(job, [])) for job in ("chief", "worker")))  # W
        task_type = getattr(resolver, "task_type", None)
        task_id = getattr(resolver, "task_id", None) or 0
        # Workers in TF's order: a "chief" task first, then the "worker" tasks.
        self.worker_index = task_id + (1 if "chief" in spec and task_type == "worker" else 0)
        self.is_chief = self.worker_index == 0 and task_type in (None, "chief", "worker")
        self.local = self.count // self.workers  # L, replicas on this worker

    def check_batch(self, batch_size, name="batch_size"):
        """`batch_size` (a global batch) must split evenly over the replicas."""
        if batch_size is not None and batch_size % self.count:
            raise ValueError(
                f"{name}={batch_size} must be a multiple of the {self.count} replicas of "
                f"{type(self.strategy).__name__}: each replica takes an equal part of the "
                "global batch."
            )

    def worker_part(self, batch):
        """This worker's contiguous 1/W of a global batch (a structure)."""
        if self.workers == 1:
            return batch
        return tf.nest.map_structure(lambda x: _part(x, self.worker_index, self.workers), batch)

    def local_part(self, batch):
        """Inside a replica: its contiguous 1/L of this worker's batch."""
        if self.local == 1:
            return batch
        ctx = tf.distribute.get_replica_context()
        index = ctx.replica_id_in_sync_group % self.local
        return tf.nest.map_structure(lambda x: _part(x, index, self.local), batch)

    def run(self, fn, *args):
        """`fn(*args)` on every replica (`strategy.run`); just a call with one."""
        if not self.distributed:
            return fn(*args)
        return self.strategy.run(fn, args=args)

    def sum(self, value):
        """The sum over replicas of per-replica values (a structure), in
        cross-replica context; `value` itself with one replica.
        """
        if not self.distributed:
            return value
        # One reduction per tensor: a multi-worker strategy packs a structure
        # into one tensor, which needs components of one shape.
        return tf.nest.map_structure(
            lambda x: self.strategy.reduce(tf.distribute.ReduceOp.SUM, x, axis=None), value
        )

    def scalars(self, values):
        """Inside a replica: scalars of one dtype, ready for `sum_scalars`
        (stacked under a strategy: one all-reduce for them all).
        """
        return tf.stack(values) if self.distributed else tuple(values)

    def sum_scalars(self, scalars):
        """In cross-replica context: the sums over replicas of `scalars`."""
        if not self.distributed:
            return scalars
        return tf.unstack(self.strategy.reduce(tf.distribute.ReduceOp.SUM, scalars, axis=None))

    def concat(self, value):
        """This worker's per-replica tensors, concatenated along the batch."""
        if not self.distributed or value is None:
            return value
        return tf.concat(self.strategy.experimental_local_results(value), axis=0)

    def scope(self):
        """The strategy's scope (nothing to enter for the default strategy)."""
        return self.strategy.scope() if self.distributed else contextlib.nullcontext()

    def private_dir(self):
        """A temporary directory for what a non-chief worker must write but not
        keep: every worker takes part in a checkpoint save (and writes the same
        summaries, so that their graphs match), only the chief's files are kept.
        """
        return tempfile.mkdtemp(prefix=f"adinfer_worker{self.worker_index}_")


def replica_part(draw, n):
    """`n` draws of `draw(m)` for this replica, cut from one draw for all of them.

    `draw(n · R)` split like the data: replica i of R takes rows
    `[i·n, (i+1)·n)`. With a seeded stream whose state every replica shares
    (a `keras.random.SeedGenerator`), the R replicas together see exactly the
    draw a single device makes for the global batch, so the trajectory does not
    depend on the number of replicas. Outside a strategy it is `draw(n)`.

    ```python
    seeds = keras.random.SeedGenerator(0)
    prior = lambda n: adinfer.replica_part(
        lambda m: keras.random.normal([m, d], seed=seeds), n)
    ```

    Args:
      draw: `draw(m) -> [m, ...]` tensor (or structure of them).
      n: rows this replica needs (its part of the batch).
    """
    ctx = tf.distribute.get_replica_context()
    count = 1 if ctx is None else ctx.num_replicas_in_sync
    if count == 1:
        return draw(n)
    index = ctx.replica_id_in_sync_group
    return tf.nest.map_structure(lambda x: x[index * n : (index + 1) * n], draw(n * count))


def _part(x, index, parts):
    size = (x.shape[0] // parts) if x.shape[0] is not None else tf.shape(x)[0] // parts
    return x[index * size : (index + 1) * size]
