"""The "Gen" and "Disc" groups of one inference: calls, discovery, regularization.

Every program an objective runs goes through `Groups.call(group, program, ...)`:
inside the group's name scope (so lazily built networks name their variables
`Gen/...`, `Disc/...`), sampling TFP distributions, casting half-precision
outputs to float32, and collecting the activity losses of that call. The
first, eager pass over the objective (`build`) also records which variables
each group reads; they become the groups unless `var_list` says otherwise.
`forward` then sums each group's regularization into its objective, once.
"""

import contextlib
import inspect

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import scopes, validate
from adinfer.engine import state

GROUPS = scopes.GROUPS
VAR_LIST_ARGUMENT = {"Gen": "var_list", "Disc": "var_list_d"}


class Groups:
    """Program calls and the variables, networks and losses of each group."""

    def __init__(self):
        self.programs = {}  # id(program) -> (program, the Keras layers it reaches)
        self.networks = {group: {} for group in GROUPS}  # id(layer) -> layer, found by `build`
        self.activity = {group: [] for group in GROUPS}  # activity losses of the current pass
        self.discovery = None  # group -> [(variables read, layers)] during `build`
        self.found = None  # group -> {id(raw variable): variable}, after `build`
        self.read = set()  # id(raw variable) of every trainable variable the objective reads
        self.loss_dtype = None
        self.training = True  # what programs taking `training` get (None: not passed)

    @property
    def built(self):
        return self.found is not None

    @property
    def building(self):
        """True during the first, eager pass over the objective."""
        return self.discovery is not None

    def call(self, group, program, *args):
        """`program(*args)` as part of `group`; see `Inference.call`."""
        entry = self.programs.get(id(program))
        if entry is None:
            layers = scopes.find_layers(program)
            entry = self.programs[id(program)] = (program, layers, takes_training(program))
        # Only losses this call produced: a program's closure may reach networks
        # of the other group, whose losses from earlier calls are still held.
        held = scopes.activity_losses(entry[1])
        with scopes.scope(group), contextlib.ExitStack() as stack:
            tape = stack.enter_context(tf.GradientTape()) if self.building else None
            if isinstance(program, tfp.distributions.Distribution):
                out = program.sample(*args)
            else:
                training = entry[2] and self.training is not None
                out = program(*args, training=self.training) if training else program(*args)
                if isinstance(out, tfp.distributions.Distribution):
                    out = out.sample()
            validate.program_output(out, program, group, args)
            if keras.mixed_precision.global_policy().name.startswith("mixed_"):
                # Objectives in float32 under a mixed policy: networks compute in
                # half precision, their outputs are cast back once.
                out = tf.nest.map_structure(to_float32_if_half, out)
            if tape is not None:
                self.discovery[group].append((tape.watched_variables(), entry[1]))
                for layer in entry[1]:
                    self.networks[group].setdefault(id(layer), layer)
        self.activity[group].extend(
            term for term in scopes.activity_losses(entry[1]) if not any(term is h for h in held)
        )
        return out

    @contextlib.contextmanager
    def mode(self, training):
        """Programs taking Keras's `training` keyword get `training` inside
        (True while training; the caller's value when serving).
        """
        before, self.training = self.training, training
        try:
            yield
        finally:
            self.training = before

    def forward(self, objectives, x_true, variables):
        """`objectives(x_true)` with each group's regularization summed in, once;
        none while building (the groups are not known yet).
        """
        self.activity = {group: [] for group in GROUPS}
        loss, loss_d, d_outputs = objectives(x_true)
        if not self.building:
            loss = loss + self.regularization("Gen", loss.dtype, variables)
            loss_d = loss_d + self.regularization("Disc", loss_d.dtype, variables)
        return loss, loss_d, d_outputs

    def regularization(self, group, dtype, variables):
        """Weight regularizers of the group's variables, the activity losses of
        its calls in this pass, and what `adinfer.add_loss` added to it.
        """
        terms = (
            scopes.weight_regularization(variables.get(group, []))
            + self.activity[group]
            + scopes.added_losses(group)
        )
        return tf.add_n([tf.cast(term, dtype) for term in terms]) if terms else tf.zeros([], dtype)

    def build(self, objectives, x_example):
        """Runs the objective once, eagerly, to build lazily created networks
        under their group's scope and to see which variables each group reads.
        """
        if self.built:
            return
        self.discovery = {group: [] for group in GROUPS}
        self.networks = {group: {} for group in GROUPS}
        try:
            with tf.GradientTape() as tape:  # every trainable variable read, in a call or not
                loss, loss_d, _ = self.forward(objectives, x_example, {})
            discovered = self.discovery
        finally:
            self.discovery = None
        self.read = {
            id(scopes.raw_variable(state.distributed(v))) for v in tape.watched_variables()
        }
        if loss.dtype != loss_d.dtype or loss.shape.rank != 0 or loss_d.shape.rank != 0:
            raise ValueError(
                f"objectives must return two scalars of one dtype, got {loss!r}, {loss_d!r}."
            )
        self.loss_dtype = loss.dtype
        found = {}
        for group in GROUPS:
            by_id = {}
            for watched, layers in discovered[group]:
                keras_vars = scopes.keras_variables(layers)
                for v in map(state.distributed, watched):  # a mirrored copy: its variable
                    v = keras_vars.get(id(v), v)
                    if scopes.is_trainable(v):
                        by_id[id(scopes.raw_variable(v))] = v
            found[group] = by_id
        self.found = found

    def variables(self, groups, var_lists):
        """`{group: variables}` for the trained `groups`: those found by
        `build`, or the group's `var_list`. Raises before anything changes.
        """
        chosen = {}
        for group in groups:
            var_list = var_lists[group]
            if var_list is None:
                chosen[group] = list(self.found[group].values())
                continue
            if not isinstance(var_list, (list, tuple)) or not all(
                isinstance(v, (tf.Variable, keras.Variable)) for v in var_list
            ):
                raise TypeError(
                    f"{VAR_LIST_ARGUMENT[group]} must be a list of variables, "
                    f"got {type(var_list).__name__}."
                )
            unread = [v for v in var_list if id(scopes.raw_variable(v)) not in self.read]
            if unread:
                validate.fail(
                    ValueError,
                    VAR_LIST_ARGUMENT[group],
                    "a list of trainable variables the objective reads",
                    given=f"{len(unread)} it never reads (or that are not trainable), such as "
                    f"{scopes.name_of(unread[0])!r}; no step could change them",
                )
            chosen[group] = list(var_list)
        if len(groups) == 2 and all(var_lists[g] is None for g in groups):
            shared = set(self.found["Gen"]) & set(self.found["Disc"])
            if shared:
                names = sorted(scopes.name_of(self.found["Gen"][k]) for k in shared)
                raise ValueError(
                    f"variables {names} are read by both the generative side and the "
                    f"discriminator; pass var_list and var_list_d to say which group owns them."
                )
        for group in groups:
            if not chosen[group]:
                side = (
                    "the generative programs read" if group == "Gen" else "the discriminator reads"
                )
                raise ValueError(
                    f'the "{group}" group has no trainable variables: {side} none (constants '
                    f"or frozen layers); give it trainable weights or pass "
                    f"{VAR_LIST_ARGUMENT[group]}."
                )
        return chosen

    def network_list(self):
        """`{group: [networks]}`: the Keras networks each group's programs reach,
        programs in the order of their first call (a checkpoint's `networks`).
        """
        return {group: list(self.networks[group].values()) for group in GROUPS}

    def network_variables(self):
        """Every variable of every network, once."""
        return state.unique(
            scopes.raw_variable(v)
            for nets in self.network_list().values()
            for net in nets
            for v in net.variables
        )

    def state_variables(self, objectives, x_example, trained):
        """Every variable the objective reads, trainable or not, found by tracing
        it once, plus the `trained` ones; in creation order, which is the same
        in every process that runs the same program.
        """
        self.activity = {group: [] for group in GROUPS}
        traced = tf.function(lambda: objectives(x_example), autograph=False)
        # Under a strategy the trace reads one copy of a mirrored variable.
        read = [state.distributed(v) for v in traced.get_concrete_function().variables]
        trained = [scopes.raw_variable(v) for v in trained]
        return sorted(state.unique(read + trained), key=state.creation_order)


def takes_training(program):
    """True for a program (not a Keras layer, whose caller passes `training`)
    with a `training` parameter, `def fake(n, training=True)`.
    """
    if isinstance(program, (keras.layers.Layer, tfp.distributions.Distribution)):
        return False
    try:
        return "training" in inspect.signature(program).parameters
    except (TypeError, ValueError):
        return False


def to_float32_if_half(x):
    if tf.is_tensor(x) and x.dtype in (tf.float16, tf.bfloat16):
        return tf.cast(x, tf.float32)
    return x
