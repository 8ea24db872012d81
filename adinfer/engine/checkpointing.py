"""Checkpoints of the training state: what they hold, resume, warm start, saves,
and the defence of the directory a run's days of training live in.

The format is TensorFlow's own (`tf.train.Checkpoint` under a
`tf.train.CheckpointManager`); `adinfer.checkpoints` documents its named
objects (`t`, `networks`, `variables`, `state`, `optimizer`, `optimizer_d`,
`averages`, `data`). Under `tf.distribute` every worker takes part in a save;
only the chief's files are kept.

The directory defends itself:

* it is checked at `initialize` (a directory, creatable, writable);
* a lock file (`adinfer.lock`: pid, host, start time) keeps a second run out
  until `finalize`; the lock of a process that is gone is taken over, one of
  another host or unreadable is reported with its override (delete the file);
* resume is all or nothing: the newest checkpoint that reads back whole is
  restored in a trial first, into the inference's own objects and put back,
  so a damaged or mismatching checkpoint raises before anything changed;
  damaged ones are skipped (moved to `damaged/`, never overwritten), and a
  state file that cannot be parsed is an error, never a silent fresh start;
* a save failing inside `update()` warns (the update was applied and stays),
  and no checkpoint is written from non-finite weights.
"""

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
import warnings

import tensorflow as tf

from adinfer import checkpoints, scopes, validate
from adinfer.engine import state
from adinfer.engine.step import NonFiniteError

OPTIMIZER_ARGUMENT = {"Gen": "optimizer", "Disc": "optimizer_d"}
LOCK_FILE = "adinfer.lock"
DAMAGED = "damaged"  # where skipped checkpoints are moved, never overwritten

logger = logging.getLogger("adinfer")


def check_arguments(checkpoint_dir, checkpoint_every, max_to_keep, warm_start_from):
    """Validates `initialize`'s checkpoint arguments, creating `checkpoint_dir`;
    returns the warm-start checkpoint path (or None).
    """
    validate.writable_directory(checkpoint_dir, "checkpoint_dir")
    if checkpoint_dir is not None and "://" not in os.fspath(checkpoint_dir):
        DirectoryLock(os.fspath(checkpoint_dir)).check()  # another process's: fail fast
    validate.integer(checkpoint_every, "checkpoint_every", allow_none=True)
    validate.integer(max_to_keep, "max_to_keep", allow_none=True)
    if checkpoint_every is not None and checkpoint_dir is None:
        raise ValueError("checkpoint_every needs checkpoint_dir.")
    if warm_start_from is None:
        return None
    return checkpoints.resolve(warm_start_from, "warm_start_from")


class DirectoryLock:
    """`directory/adinfer.lock`, created atomically (a hard link of a written
    file, so it is never seen half-written), holding its writer's identity.
    """

    def __init__(self, directory):
        self.path = os.path.join(directory, LOCK_FILE)
        self.token = uuid.uuid4().hex

    def held(self):
        return self.read() == self.identity()

    def identity(self):
        return {"pid": os.getpid(), "host": socket.gethostname(), "token": self.token}

    def read(self):
        """The lock file's identity (without its time), None when absent, or
        "unreadable".
        """
        try:
            with open(self.path) as f:
                record = json.load(f)
            return {k: record[k] for k in ("pid", "host", "token")}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return "unreadable"

    def acquire(self, take_over=True):
        """Takes the lock; True when it was not held already. A ValueError
        naming `checkpoint_dir` when another live run holds it; with
        `take_over` (at `initialize`), a stale lock is taken over.
        """
        if self.held():
            return False
        for _ in range(3):
            if self.create():
                return True
            holder = self.read()
            stale = self.stale(holder) if take_over else None
            if stale is None:
                self.refuse(holder)
            # Taken over by a rename (atomic) of the very file judged stale.
            aside = f"{self.path}.stale-{self.token}"
            try:
                os.replace(self.path, aside)
            except FileNotFoundError:
                continue
            if self.read_file(aside) != holder:  # another run took it meanwhile
                os.replace(aside, self.path)
                continue
            os.remove(aside)
            logger.warning("took over the stale lock %s (%s)", self.path, stale)
        self.refuse(self.read())

    def check(self):
        """Refuses a lock held by a live process other than this one."""
        holder = self.read()
        if holder == "unreadable" or (
            holder is not None and holder["pid"] != os.getpid() and self.stale(holder) is None
        ):
            self.refuse(holder)

    def create(self):
        record = {**self.identity(), "since": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        written = f"{self.path}.{self.token}"
        with open(written, "w") as f:
            json.dump(record, f)
        try:
            os.link(written, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            os.remove(written)

    def read_file(self, path):
        try:
            with open(path) as f:
                record = json.load(f)
            return {k: record[k] for k in ("pid", "host", "token")}
        except (OSError, ValueError, KeyError, TypeError):
            return "unreadable"

    def stale(self, holder):
        """Why the lock of `holder` is stale, or None when it may be live."""
        if holder is None:
            return "removed meanwhile"
        if holder == "unreadable" or holder["host"] != socket.gethostname():
            return None
        if holder["pid"] == os.getpid():
            # This process's own (a cell run again, say): the earlier inference
            # can no longer save here, as each save checks the lock first.
            return "held by an earlier inference of this process, which can no longer save here"
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return f"process {holder['pid']} is no longer running"
        except PermissionError:
            return None
        return None

    def refuse(self, holder):
        if holder == "unreadable":
            who = "a lock file that cannot be read"
        elif holder["pid"] == os.getpid() and holder["host"] == socket.gethostname():
            who = "a later inference of this process, which took it over"
        else:
            who = f"process {holder['pid']} on host {holder['host']!r}"
        validate.fail(
            ValueError,
            "checkpoint_dir",
            "a directory no other run writes",
            given=f"{os.path.dirname(self.path)!r}, locked by {who}. If that run is gone "
            f"(a crash on another host, say), delete {self.path!r} and try again",
        )

    def release(self):
        if self.held():
            os.remove(self.path)


@dataclasses.dataclass
class Plan:
    """What `open` does, decided by `prepare` before anything changed."""

    resume: str = None  # the checkpoint to resume from
    skipped: list = dataclasses.field(default_factory=list)  # (path, why) of damaged ones
    warm_start_from: str = None


class Checkpointing:
    """The checkpoint of one inference's training state, and its directory."""

    def __init__(self, inference):
        self.inference = inference
        self.checkpoint = None
        self.manager = None
        self.every = None
        self.saved_t = 0
        self.lock = None

    def tracked(self, optimizers, variables, state_variables, averages):
        """The named objects of the checkpoint (the data position aside)."""
        inference = self.inference
        tracked = {
            "t": inference.t,
            "networks": inference.grouping.network_list(),
            "variables": {g: [scopes.raw_variable(v) for v in variables[g]] for g in variables},
            "state": state_variables,
            **{OPTIMIZER_ARGUMENT[g]: optimizers[g] for g in optimizers},
        }
        if averages is not None:
            tracked["averages"] = averages
        return tracked

    def prepare(self, checkpoint_dir, warm_start_from, optimizers, variables, ema_decay):
        """In `initialize`'s checks, before anything changes: locks
        `checkpoint_dir`, finds the checkpoint to resume from (the newest that
        reads back whole) and restores it in a trial into this inference's own
        objects, which are put back; so is a warm start. Returns the `Plan` for
        `open`; raises ValueError naming the checkpoint when it does not fit.
        """
        for group, opt in optimizers.items():  # first: Keras would find it at the first update
            validate.optimizer_variables(opt, variables[group], OPTIMIZER_ARGUMENT[group])
        inference = self.inference
        plan = Plan(warm_start_from=warm_start_from)
        locked = False
        if (
            checkpoint_dir is not None
            and inference.replicas.is_chief
            and "://" not in str(checkpoint_dir)
        ):
            if self.lock is None or self.lock.path != os.path.join(checkpoint_dir, LOCK_FILE):
                self.release()
                self.lock = DirectoryLock(os.fspath(checkpoint_dir))
            locked = self.lock.acquire()
        try:
            found = (
                checkpoints.candidates(os.fspath(checkpoint_dir), "checkpoint_dir")
                if (checkpoint_dir is not None)
                else []
            )
            for path in found:
                reason = checkpoints.damage(path)
                if reason is None:
                    plan.resume = path
                    break
                plan.skipped.append((path, reason))
            if found and plan.resume is None:
                raise ValueError(
                    f"checkpoint_dir: no checkpoint of {os.fspath(checkpoint_dir)!r} reads back "
                    f"whole: {described(plan.skipped)}. Nothing was changed or overwritten; "
                    "move them away to start afresh."
                )
            if plan.resume is None and warm_start_from is None:
                return plan
            for group, opt in optimizers.items():
                if not opt.built:
                    opt.build(variables[group])
            if plan.resume is not None:
                self.trial(plan.resume, optimizers, variables, ema_decay)
            else:
                self.warm_start(warm_start_from, variables, kept=True)
            return plan
        except BaseException:
            if locked:
                self.release()
            raise

    def trial(self, path, optimizers, variables, ema_decay):
        """Restores `path` into the objects a resume fills, then puts them back;
        a ValueError naming the first mismatch when it does not fit.
        """
        inference = self.inference
        trained = [v for g in variables for v in variables[g]]
        state_variables = inference.grouping.state_variables(
            inference.objectives, inference.stream.example_batch(inference.batch_size), trained
        )
        averages = None
        if ema_decay is not None:
            averages = [tf.Variable(scopes.raw_variable(v)) for v in variables["Gen"]]
        tracked = self.tracked(optimizers, variables, state_variables, averages)
        kept = state.unique(
            [inference.t]
            + [scopes.raw_variable(v) for v in trained]
            + inference.grouping.network_variables()
            + list(state_variables)
            + [scopes.raw_variable(v) for opt in optimizers.values() for v in opt.variables]
        )
        try:
            with state.kept(kept):
                status = tf.train.Checkpoint(**tracked).read(path).expect_partial()
                status.assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            raise ValueError(
                f"checkpoint_dir: the checkpoint {path!r} does not fit this inference: "
                f"{mismatch(e)}. Nothing was restored or changed. Resume with networks and "
                "optimizers built as the ones saved, or use another checkpoint_dir."
            ) from None

    def warm_start(self, path, variables, kept=False):
        """Copies the networks of `path` in (a trial, put back, with `kept`)."""
        inference = self.inference
        trained = [scopes.raw_variable(v) for g in variables for v in variables[g]]
        networks = inference.grouping.network_list()
        written = state.unique(trained + inference.grouping.network_variables())
        raws = {g: [scopes.raw_variable(v) for v in variables[g]] for g in variables}
        with state.kept(written) if kept else contextlib.nullcontext():
            checkpoints.restore_matched(
                tf.train.Checkpoint(networks=networks, variables=raws),
                path,
                "warm_start_from",
                written,
            )

    def open(self, checkpoint_dir, checkpoint_every, max_to_keep, plan):
        """Builds the checkpoint of the training state; resumes as `plan`
        (from `prepare`) says, or else warm-starts.
        """
        inference = self.inference
        self.every = checkpoint_every
        averages = inference.averages if inference.ema_decay is not None else None
        tracked = self.tracked(
            inference.optimizers, inference.variables, inference.state_variables, averages
        )
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
            directory = os.fspath(checkpoint_dir)
            if inference.replicas.is_chief:
                tidy(directory, plan)
            self.manager = tf.train.CheckpointManager(
                self.checkpoint, directory, max_to_keep, checkpoint_name="ckpt"
            )
        if plan.resume is not None:
            self.resume(plan.resume, tracked, data)
        elif plan.warm_start_from is not None:
            self.warm_start(plan.warm_start_from, inference.variables)
        self.saved_t = int(inference.t.numpy())

    def resume(self, newest, tracked, data):
        # Two restores (the data alone may not match); each reads a part.
        variables = [v for part in tracked.values() for v in tf.nest.flatten(part)]
        variables = [v for v in variables if isinstance(v, tf.Variable)] + [
            scopes.raw_variable(v)
            for g in self.inference.groups
            for v in self.inference.optimizers[g].variables
        ]
        with state.kept(variables, on_error_only=True):
            restored = tf.train.Checkpoint(**tracked).restore(newest).expect_partial()
            restored.assert_existing_objects_matched()
        note = ""
        if data:
            try:
                restored = tf.train.Checkpoint(**data).restore(newest).expect_partial()
                restored.assert_existing_objects_matched()
            except AssertionError:
                note = " (the data position was saved with another number of workers: not restored)"
            except (tf.errors.OpError, ValueError, IndexError) as e:
                note = f" (the data position does not read back, {mismatch(e)}: not restored)"
        t = int(self.inference.t.numpy())
        logger.log(
            logging.WARNING if note else logging.INFO, "resumed from %s at t=%d%s", newest, t, note
        )

    def save(self):
        """See `Inference.save`: the lock is checked (and taken again after
        `finalize`), the weights must be finite, and a failure to write names
        `checkpoint_dir`.
        """
        if self.manager is None:
            raise ValueError("save() needs initialize(checkpoint_dir=...).")
        replicas = self.inference.replicas
        t = int(self.inference.t.numpy())
        self.check_finite(t)
        try:
            if replicas.is_chief:
                if self.lock is not None:
                    os.makedirs(self.manager.directory, exist_ok=True)
                    self.lock.acquire(take_over=False)
                path = self.manager.save(checkpoint_number=t)
            else:  # every worker takes part in a save; only the chief's is kept
                private = replicas.private_dir()
                self.checkpoint.write(os.path.join(private, "ckpt"))
                shutil.rmtree(private, ignore_errors=True)
                path = os.path.join(self.manager.directory, f"ckpt-{t}")
        except (OSError, tf.errors.OpError) as e:
            reason = (getattr(e, "message", None) or str(e)).strip().splitlines()[0]
            raise OSError(
                f"checkpoint_dir: the save at t={t} to {self.manager.directory!r} failed "
                f"({reason}); the newest checkpoint is still {self.manager.latest_checkpoint}."
            ) from None
        self.saved_t = t
        return path

    def check_finite(self, t):
        """A NonFiniteError, and no save, when a trained weight or average is not finite."""
        inference = self.inference
        variables = [
            scopes.raw_variable(v) for g in inference.groups for v in inference.variables[g]
        ]
        variables += (
            list(inference.averaging.of(inference.variables["Gen"]))
            if (inference.ema_decay is not None)
            else []
        )
        floating = [v for v in variables if v.dtype.is_floating]
        if not floating or bool(
            tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in floating])
        ):
            return
        names = [v.name for v in floating if not bool(tf.reduce_all(tf.math.is_finite(v)))]
        raise NonFiniteError(
            f"t={t}: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''} hold NaN or Inf, "
            f"so no checkpoint was written; the newest is still {self.manager.latest_checkpoint}."
        )

    def save_if_due(self, t):
        """After an `update`: a save every `checkpoint_every` updates. The
        update was applied, so a save that fails warns rather than raises; the
        next one tries again.
        """
        if self.every and t % self.every == 0:
            try:
                self.save()
            except (OSError, ValueError) as e:
                warnings.warn(f"{e} Training goes on; the next save tries again.", stacklevel=3)

    def save_if_changed(self):
        """At `finalize`: a last save when updates were made since the newest;
        the lock is released in any case. Non-finite weights are not saved,
        with a warning, so that `finalize` still closes what it must (a run
        stopping at a non-finite update raises its own error).
        """
        try:
            if self.manager is not None and int(self.inference.t.numpy()) != self.saved_t:
                self.save()
        except NonFiniteError as e:
            logger.warning("%s", e)
        finally:
            self.release()

    def release(self):
        if self.lock is not None:
            self.lock.release()


def tidy(directory, plan):
    """Before the manager reads `directory`: removes the temporary files of
    saves a kill interrupted, moves damaged checkpoints to `damaged/` (never
    overwritten by a later save), and points the state file at the checkpoint
    resumed from when it named another or was missing.
    """
    for temp in os.listdir(directory):
        if re.fullmatch(r"ckpt-\d+_temp", temp):
            shutil.rmtree(os.path.join(directory, temp), ignore_errors=True)
    for path, reason in plan.skipped:
        moved = []
        for file in checkpoints.files_of(path):
            if os.path.dirname(os.path.abspath(file)) == os.path.abspath(directory):
                os.makedirs(os.path.join(directory, DAMAGED), exist_ok=True)
                os.replace(file, os.path.join(directory, DAMAGED, os.path.basename(file)))
                moved.append(file)
        where = f"; moved to {os.path.join(directory, DAMAGED)}" if moved else ""
        logger.warning("skipped the checkpoint %s: %s%s", path, reason, where)
    if plan.resume is not None:
        state_file = tf.train.get_checkpoint_state(directory)
        if state_file is None or os.path.normpath(state_file.model_checkpoint_path) != (
            os.path.normpath(plan.resume)
        ):
            older = [
                p
                for p in reversed(checkpoints.prefixes(directory))
                if checkpoints.number(p) < checkpoints.number(plan.resume)
            ]
            tf.compat.v1.train.update_checkpoint_state(
                directory, plan.resume, all_model_checkpoint_paths=older + [plan.resume]
            )


def described(skipped):
    return "; ".join(f"{os.path.basename(p)}: {why}" for p, why in skipped)


def mismatch(error):
    """The first mismatch a failed restore reports, in our words."""
    text = str(error)
    shapes = re.search(
        r"incompatible tensor with shape (\([^)]*\)) when attempting to restore variable "
        r"with shape (\([^)]*\)) and name (\S+?)(:0)?\.",
        text,
    )
    if shapes:
        theirs, ours, name = shapes.group(1), shapes.group(2), shapes.group(3)
        return f"our variable {name!r} has shape {ours}, the checkpoint's {theirs}"
    unmatched = re.findall(r"<tf\.Variable '([^']+)' shape=(\([^)]*\))", text)
    unmatched += re.findall(r"<Variable path=([^,]+), shape=(\([^)]*\))", text)
    if unmatched:
        count = re.search(r"Found (\d+) Python objects", text)
        count = count.group(1) if count else len(unmatched)
        names = ", ".join(f"{n} {s}" for n, s in unmatched[:3])
        return f"the checkpoint lacks {count} variables of ours, such as {names}"
    return text.splitlines()[0][:300]
