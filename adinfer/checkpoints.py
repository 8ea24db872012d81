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
* `averages`: the generator's moving averages, with `initialize(ema_decay=...)`;
* `data`: the `tf.data` iterator, so the data order continues where it stopped
  (`data_W_workers` for a worker of W under `tf.distribute`: its shard's position).

A checkpoint's `networks` can also be read on their own, into networks built
alike (`networks_in`, `restore_network`).

A run's directory is read defensively (`candidates`, `damage`): its state file
(`checkpoint`) names the newest checkpoint; one whose files do not read back
whole (truncated, zeroed, a file missing) is skipped for the one before it,
and a state file that cannot be parsed is an error, never a fresh start.
"""

import glob
import os
import re

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from adinfer import scopes, validate
from adinfer.engine import state


def latest(path):
    """The newest checkpoint at `path`, a directory or a checkpoint prefix; or None."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return tf.train.latest_checkpoint(path)
    if tf.io.gfile.exists(path + ".index"):
        return path
    return None


STATE_FILE = "checkpoint"  # CheckpointManager's state file, in the directory


def number(path):
    """N of a checkpoint prefix `.../ckpt-N` (-1 for another name)."""
    match = re.search(r"-(\d+)$", os.fspath(path))
    return int(match.group(1)) if match else -1


def prefixes(directory, name="ckpt"):
    """The checkpoint prefixes `directory/name-N` whose files are present (an
    index or a data shard), newest first.
    """
    found = set()
    for file in glob.glob(os.path.join(glob.escape(directory), f"{name}-*")):
        match = re.fullmatch(
            rf"({re.escape(name)}-\d+)\.(index|data-\d+-of-\d+)", os.path.basename(file)
        )
        if match:
            found.add(os.path.join(directory, match.group(1)))
    return sorted(found, key=number, reverse=True)


def files_of(prefix):
    """The files of the checkpoint `prefix` (index and data shards)."""
    return sorted(
        glob.glob(glob.escape(prefix) + ".index") + glob.glob(glob.escape(prefix) + ".data-*")
    )


def damage(path):
    """None when every tensor of the checkpoint `path` reads back (TensorFlow
    verifies each one's checksum); else why not, in a line.
    """
    try:
        reader = tf.train.load_checkpoint(path)
        for key, dtype in reader.get_variable_to_dtype_map().items():
            if dtype != tf.variant:  # a data iterator's state is not read back alone
                reader.get_tensor(key)
    except (tf.errors.OpError, IndexError, ValueError, RuntimeError, OSError) as e:
        reason = (getattr(e, "message", None) or str(e) or type(e).__name__).strip()
        return reason.splitlines()[0][:200]
    return None


def candidates(directory, argument):
    """The checkpoints of a run's `directory` to resume from, newest first: the
    ones its state file lists, then older ones present but not listed (all that
    are present when there is no state file). A ValueError naming the state
    file when it exists but cannot be parsed, with the checkpoints found.
    """
    found = prefixes(directory)
    state_file = os.path.join(directory, STATE_FILE)
    if not os.path.exists(state_file):
        return found
    try:
        state = tf.train.get_checkpoint_state(directory)
    except (ValueError, tf.errors.OpError):
        state = None
    if state is None or not state.model_checkpoint_path:
        names = [os.path.basename(p) for p in found]
        raise ValueError(
            f"{argument}: its state file {state_file!r} cannot be read (it is empty or not "
            f"a checkpoint state); the checkpoints found: {names or 'none'}. Nothing was "
            "changed. Delete the state file to resume from the newest intact checkpoint "
            "found, or move the directory's files away to start afresh."
        )
    listed = [state.model_checkpoint_path, *reversed(state.all_model_checkpoint_paths)]
    listed = list(dict.fromkeys(os.path.normpath(p) for p in listed))
    newest = number(listed[0])
    older = [p for p in found if os.path.normpath(p) not in listed and number(p) <= newest]
    return listed + older


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
    try:
        with state.kept(variables, on_error_only=True):
            checkpoint.read(path).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as e:
        names = re.findall(r"path=([^,]+),", str(e)) or re.findall(r"name ([^ ]+):0", str(e))
        raise ValueError(
            f"{argument}: the checkpoint {path!r} lacks variables of this inference, or "
            "holds them with other shapes: "
            f"{sorted(set(names)) or str(e)}. Its networks must be built like the ones saved "
            "(same layers, called in the same order)."
        ) from None


def restore_network(path, argument, group, position, net, entries, same_layout):
    """Restores `net` from the entry of `group` in the checkpoint's `networks`
    whose variables all fit it (by shapes, then by a restore that must fill
    every variable of `net`).
    """
    role = {"Gen": "the generator", "Disc": "the discriminator"}[group]
    # The variables a checkpoint holds for `net` (not, e.g., dropout's random state).
    variables = {
        id(raw): raw
        for raw in (
            scopes.raw_variable(v)
            for v in tf.train.TrackableView(net).descendants()
            if isinstance(v, (tf.Variable, keras.Variable))
        )
    }
    variables = list(variables.values())
    shapes = sorted(tuple(v.shape) for v in variables)
    fits = {}
    for index, entry_shapes in entries.items():
        if entry_shapes != shapes:
            continue
        try:
            with state.kept(variables):
                status = tf.train.Checkpoint(networks={group: {str(index): net}}).read(path)
                status.expect_partial().assert_existing_objects_matched()
                fits[index] = [v.read_value() for v in variables]
        except (AssertionError, ValueError):
            pass
    if not fits:
        held = {f"networks/{group}/{i}": len(s) for i, s in sorted(entries.items())}
        raise ValueError(
            f"{argument}: no network of the checkpoint {path!r} fits {role} {net.name!r} "
            f"({len(shapes)} variables of shapes {shapes}); its {group!r} networks (variable "
            f"counts): {held or 'none'}."
        )
    same = all(
        all(np.array_equal(a, b) for a, b in zip(values, next(iter(fits.values()))))
        for values in fits.values()
    )
    # Ties between entries that fit but differ: the same position, if the
    # checkpoint's group has as many networks as this inference's.
    tie = position if same_layout and position in fits else None
    index = next(iter(fits)) if same else tie
    if index is None:
        raise ValueError(
            f"{argument}: networks/{group}/{sorted(fits)} of {path!r} all fit {role} "
            f"{net.name!r}; restore it yourself, e.g. tf.train.Checkpoint(networks="
            f'{{"{group}": {{"{sorted(fits)[0]}": net}}}}).read(path), and pass {argument}=None.'
        )
    for v, value in zip(variables, fits[index]):
        v.assign(value)


def networks_in(path, argument):
    """`{group: {index: sorted variable shapes}}` of the `networks` an adinfer
    checkpoint at `path` holds, read from its object graph.
    """
    reader = tf.train.load_checkpoint(path)
    if not reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
        raise ValueError(f"{argument}: {path!r} is not an object-based (TF2) checkpoint.")
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    shapes = reader.get_variable_to_shape_map()
    children = lambda node: {c.local_name: c.node_id for c in graph.nodes[node].children}
    networks = children(0).get("networks")
    if networks is None:
        raise ValueError(
            f"{argument}: {path!r} holds no networks; it was not written by an adinfer "
            "inference (initialize(checkpoint_dir=...))."
        )
    found = {}
    for group, node in children(networks).items():
        found[group] = {}
        for index, root in children(node).items():
            seen, stack, entry = set(), [root], []
            while stack:
                n = stack.pop()
                if n in seen:
                    continue
                seen.add(n)
                entry += [
                    tuple(shapes[a.checkpoint_key])
                    for a in graph.nodes[n].attributes
                    if a.name == "VARIABLE_VALUE"
                ]
                stack.extend(children(n).values())
            found[group][int(index)] = sorted(entry)
    return found


def resolve_weights(restore_from, argument="restore_from"):
    """`(path, directory)` of a checkpoint or a Keras `.weights.h5` file to
    restore networks from: the file, and the directory a training's own
    checkpoints must not be (None for a weights file).
    """
    if restore_from is None:
        return None, None
    if not isinstance(restore_from, (str, os.PathLike)):
        validate.fail(
            TypeError,
            argument,
            "a checkpoint directory or path, or a .weights.h5 file",
            restore_from,
        )
    path = os.fspath(restore_from)
    if path.endswith(".h5"):
        if not os.path.isfile(path):
            raise ValueError(f"{argument}: no weights file at {path!r}.")
        return path, None
    found = resolve(path, argument)
    return found, path if os.path.isdir(path) else os.path.dirname(found)


def restore_networks(path, networks, argument="restore_from", model=None):
    """Loads `networks` (`{group: [networks]}`) from an adinfer checkpoint at
    `path` (each network from the entry of its group whose variables all fit)
    or from a Keras `.weights.h5` file (into `model`, or the one Keras model of
    the "Gen" networks); all or nothing: a ValueError naming `argument` leaves
    every network as it was.
    """
    variables = state.unique(
        scopes.raw_variable(v) for nets in networks.values() for net in nets for v in net.variables
    )
    with state.kept(variables, on_error_only=True):
        if path.endswith(".h5"):
            models = (
                [model]
                if model is not None
                else [net for net in networks.get("Gen", []) if isinstance(net, keras.Model)]
            )
            if len(models) != 1:
                raise ValueError(
                    f"{argument}: a .weights.h5 file holds one model's weights, but the "
                    f"generator calls {len(models)} Keras models; load them yourself "
                    f"(model.load_weights) and pass {argument}=None."
                )
            try:
                models[0].load_weights(path)
            except (ValueError, KeyError) as e:
                raise ValueError(
                    f"{argument}: {path!r} does not fit the generator {models[0].name!r}: {e}"
                ) from None
            return
        entries = networks_in(path, argument)
        for group, nets in networks.items():
            held = entries.get(group, {})
            for position, net in enumerate(nets):
                restore_network(path, argument, group, position, net, held, len(held) == len(nets))
