"""Likelihood-free variational inference (Tran, Ranganath & Blei, 2017)."""

import tensorflow as tf
import tensorflow_probability as tfp

from adinfer import validate
from adinfer.inferences import contracts
from adinfer.inferences.inference import Inference

tfd = tfp.distributions


class ImplicitKLqp(Inference):
    """Variational inference with implicit probabilistic models and implicit
    variational families (Tran, Ranganath & Blei, 2017, "Hierarchical implicit
    models and likelihood-free variational inference").

    A hierarchical model p(β) Π_n p(x_n, z_n | β) with global variables β and
    local variables z_n, and a variational family q(β) Π_n q(z_n | x_n, β).
    Densities of the model's likelihood and of the local variational factors
    are never evaluated: a ratio estimator r(x, z, β) ≈ log p(x_n, z_n | β) −
    log q(x_n, z_n | β) is trained to tell model pairs (x', z') ~ p(x, z | β)
    from variational pairs (x_n, z_n ~ q(z | x_n, β)), both with β ~ q(β):

      log loss:   loss_d = mean(CE(1, r_p) + CE(0, r_q)) + Σ reg("Disc")
      hinge loss: loss_d = mean(relu(1 − r_p) + relu(1 + r_q)) + Σ reg("Disc")

    with r_p = r(x', z', β) and r_q = r(x_n, z_n, β). The variational
    parameters ("Gen") minimise the negative ELBO with the log-likelihood
    ratio replaced by the estimator (Eq. 6 of the paper):

      loss = −(Σ log p(β) − Σ log q(β) + Σ_n scale · r_q − Σ reg("Gen"))

    β drawn from q(β) with reparameterization, so gradients reach q(β) through
    the sample and through r. `scale` (e.g. N/M for minibatches of M of N data
    points) weights the local terms, as in Edward.

    #### Binding (TF2 programs in place of Edward's random variables)

    * `global_vars={p_beta: q_beta}`: a prior and its variational factor, both
      TFP distributions; q_beta must be fully reparameterized, its parameters
      `tf.Variable`s (or `tfp.util.TransformedVariable`/`DeferredTensor`, so
      that they are read at every step): a factor that reads no trainable
      variable, such as `tfd.Normal(tf.Variable(x) + 1.0, 1.0)` (the sum is
      computed once), is refused; write `tfp.util.DeferredTensor(tf.Variable(x),
      lambda v: v + 1.0)`. Several pairs are allowed.
    * `latent_vars={p_z: q_z}`: local variables. `p_z` is a TFP distribution
      (sampled `p_z.sample(n)` for a batch of n observations, `p_z.sample()`
      without data) or a program `p_z(n, beta) -> z`; `q_z` is a TFP
      distribution (sampled likewise) or a program `q_z(x, beta) -> z` (the
      variational encoder q(z | x, β)). A program may return a distribution,
      which is then sampled. As in Edward, a key also in `global_vars` is
      global only, so Edward's `ImplicitKLqp({w: qw}, ..., global_vars={w: qw})`
      ports as it is.
    * `data={x_model: x_observed}`: the observations (an array, tensor,
      dataset or placeholder, batched as in `GANInference`) and a program
      `x_model(x, z, beta) -> x'` simulating a batch like the observed batch
      `x` from p(x | z, β). It receives `x` for the batch size and for columns
      the model conditions on (covariates of a regression), never to copy
      what it simulates.
    * `discriminator(x, z, beta) -> r`: the ratio estimator, one value per
      data point ([n] or [n, 1]; a scalar without data).

    Where a program or the discriminator receives `z` or `beta`, one pair gives
    its tensor, several a tuple in the dict's order, none `None`; `x` is `None`
    without data. "Disc" holds the ratio estimator's variables; "Gen" all that
    the programs and distributions read (variational parameters, and the
    model's own parameters, which are learned with the same objective).

    #### Examples

    Bayesian linear regression y ~ N(X w, 1), w ~ N(0, I), data columns [X, y]:

    ```python
    p_w = tfd.Normal(tf.zeros(D), tf.ones(D))
    q_w = tfd.Normal(tf.Variable(tf.zeros(D)),
                     tfp.util.TransformedVariable(tf.ones(D), tfp.bijectors.Softplus()))

    def simulate(x, z, w):                      # x' ~ p(x | w): same X, new y
        X = x[:, :D]
        y = tf.linalg.matvec(X, w) + tf.random.normal([tf.shape(X)[0]])
        return tf.concat([X, y[:, None]], axis=1)

    net = keras.Sequential([keras.layers.Dense(64, "relu"), keras.layers.Dense(1)])
    def ratio(x, z, w):                          # r(x, w), one value per data point
        return net(tf.concat([x, tf.tile(w[None], [tf.shape(x)[0], 1])], axis=1))

    inference = adinfer.ImplicitKLqp({}, data={simulate: xy_train}, discriminator=ratio,
                                     global_vars={p_w: q_w}, batch_size=M)
    inference.run(n_iter=5000, n_critic=5, scale=N / M)
    ```
    """

    def __init__(
        self,
        latent_vars,
        data=None,
        discriminator=None,
        global_vars=None,
        batch_size=None,
        seed=None,
    ):
        """
        Args:
          latent_vars: `{p_z: q_z}` (or None / `{}`): local variables.
          data: `{x_model: x_observed}` or None.
          discriminator: the ratio estimator `r(x, z, beta)`.
          global_vars: `{p_beta: q_beta}` (or None): global variables.
          batch_size: observations per update drawn from arrays and unbatched
            datasets; without data, the number of local draws (None: one).
          seed: seed of the data shuffling.
        """
        # Validate arguments.
        validate.function(
            discriminator, "discriminator", "function, the ratio estimator r(x, z, beta)"
        )
        latent_vars = _as_dict(latent_vars, "latent_vars")
        global_vars = _as_dict(global_vars, "global_vars")
        for p, q in global_vars.items():
            for name, dist in (("key (the prior)", p), ("value (the variational factor)", q)):
                if not isinstance(dist, tfd.Distribution):
                    raise TypeError(
                        f"global_vars: each {name} must be a TFP distribution, "
                        f"got {type(dist).__name__}."
                    )
            if q.reparameterization_type != tfd.FULLY_REPARAMETERIZED:
                raise TypeError(
                    f"global_vars: the variational factor {q.name} must be fully "
                    "reparameterized: ImplicitKLqp differentiates through its samples."
                )
            contracts.check_trainable(q, "global_vars")
        local_vars = {p: q for p, q in latent_vars.items() if not _contains(global_vars, p)}
        for p, q in local_vars.items():
            contracts.check_program_key(
                p,
                "latent_vars",
                "p_z(n, beta) -> z",
                "wrap the network: lambda n, beta: network(...).",
            )
            if not isinstance(q, tfd.Distribution) and not callable(q):
                raise TypeError(
                    "latent_vars: each value must be a TFP distribution or a program "
                    f"q_z(x, beta) -> z, got {type(q).__name__}."
                )
            if isinstance(q, tfd.Distribution):
                contracts.check_trainable(q, "latent_vars")
        for key in data if isinstance(data, dict) else ():
            contracts.check_program_key(
                key,
                "data",
                "x_model(x, z, beta) -> x' simulating a batch like x",
                "wrap the network: data={lambda x, z, beta: network(...): x_train}.",
            )
        super().__init__(data, batch_size=batch_size, seed=seed)
        self.latent_vars = latent_vars
        self.global_vars = global_vars
        self.local_vars = local_vars
        self.discriminator = discriminator
        self.model = next(iter(data)) if data else None
        # Programs called in "Gen", made once so each is traced under one identity.
        self._log_probs = [(p, q, p.log_prob, q.log_prob) for p, q in global_vars.items()]
        self.ratio_loss = _log_loss
        self.scale = 1.0

    _objective_args = ("ratio_loss", "scale")

    def initialize(self, ratio_loss="log", *args, scale=None, **kwargs):
        """
        Args:
          ratio_loss: "log" (cross-entropy), "hinge", or a callable
            `fn(r_p, r_q)` returning the loss per data point (or its mean).
          scale: weight of the local terms Σ_n r_q: a positive number, or
            Edward's `{x_model: number}`; 1 by default.
          *args, **kwargs: passed to `Inference.initialize`.
        """
        expected = "'log', 'hinge' or a callable fn(r_p, r_q)"
        if isinstance(ratio_loss, str) and ratio_loss not in _RATIO_LOSSES:
            validate.fail(ValueError, "ratio_loss", expected, ratio_loss)
        ratio_loss_fn = _RATIO_LOSSES.get(ratio_loss) if isinstance(ratio_loss, str) else None
        if ratio_loss_fn is None and not callable(ratio_loss):
            validate.fail(TypeError, "ratio_loss", expected, ratio_loss)
        ratio_loss_fn = ratio_loss_fn or ratio_loss
        scale = self._check_scale(scale)
        self._initialize_with({"ratio_loss": ratio_loss_fn, "scale": scale}, *args, **kwargs)

    def _check_scale(self, scale):
        if scale is None:
            return 1.0
        if isinstance(scale, dict):
            if len(scale) != 1 or self.model is None or not _contains(scale, self.model):
                raise ValueError(
                    "scale: a dict must hold one entry keyed by the data key (the model program)."
                )
            (scale,) = scale.values()
        return validate.positive(scale, "scale", allow_none=False)

    def objectives(self, x_true):
        n = self.batch_size if x_true is None else self.batch_size_of(x_true)
        count = () if n is None else (n,)

        # β ~ q(β), and log p(β), log q(β) at the draw.
        betas, log_p, log_q = [], [], []
        for _, q, p_log_prob, q_log_prob in self._log_probs:
            beta = self.call("Gen", q)
            betas.append(beta)
            log_p.append(tf.reduce_sum(self.call("Gen", p_log_prob, beta)))
            log_q.append(tf.reduce_sum(self.call("Gen", q_log_prob, beta)))
        beta = _one_or_tuple(betas)

        # z' ~ p(z | β) and z ~ q(z | x, β).
        z_p, z_q = [], []
        for p, q in self.local_vars.items():
            z_p.append(
                self.call("Gen", p, *count)
                if isinstance(p, tfd.Distribution)
                else self.call("Gen", p, n, beta)
            )
            z_q.append(
                self.call("Gen", q, *count)
                if isinstance(q, tfd.Distribution)
                else self.call("Gen", q, x_true, beta)
            )
        z_p, z_q = _one_or_tuple(z_p), _one_or_tuple(z_q)

        # x' ~ p(x | z', β); the variational side pairs the observations with z.
        x_p = None
        if self.model is not None:
            if isinstance(self.model, tfd.Distribution):
                x_p = self.call("Gen", self.model, n)
            else:
                x_p = self.call("Gen", self.model, x_true, z_p, beta)

        r_p = tf.convert_to_tensor(self.call("Disc", self.discriminator, x_p, z_p, beta))
        r_q = tf.convert_to_tensor(self.call("Disc", self.discriminator, x_true, z_q, beta))
        for r in (r_p, r_q):
            if x_true is not None:  # one value per data point
                contracts.check_logits(
                    r, x_true, "discriminator (the ratio estimator r(x, z, beta))"
                )
            elif not r.dtype.is_floating:
                raise TypeError(
                    "discriminator (the ratio estimator r(x, z, beta)) must return "
                    f"floating-point values, got dtype {r.dtype.name}."
                )
        if r_p.shape.rank is not None and r_p.shape.rank == 2 and r_p.shape[1] == 1:
            r_p, r_q = r_p[:, 0], r_q[:, 0]
        dtype = r_q.dtype
        loss_d = tf.reduce_mean(self.ratio_loss(r_p, r_q))
        total = lambda terms: (
            tf.add_n([tf.cast(t, dtype) for t in terms]) if terms else tf.zeros([], dtype)
        )
        scaled_ratio = tf.reduce_sum(tf.cast(self.scale, dtype) * r_q)
        loss = -(total(log_p) - total(log_q) + scaled_ratio)
        return (
            loss,
            tf.cast(loss_d, dtype),
            tf.concat([tf.reshape(r_p, [-1]), tf.reshape(r_q, [-1])], axis=0),
        )


def _log_loss(r_p, r_q):
    """CE(1, r_p) + CE(0, r_q), per data point."""
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(r_p), logits=r_p
    ) + tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(r_q), logits=r_q)


def _hinge_loss(r_p, r_q):
    """relu(1 − r_p) + relu(1 + r_q), per data point."""
    return tf.nn.relu(1.0 - r_p) + tf.nn.relu(1.0 + r_q)


_RATIO_LOSSES = {"log": _log_loss, "hinge": _hinge_loss}


def _as_dict(value, name):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must have type dict, got {validate.describe(value)}.")
    return dict(value)


def _contains(mapping, key):
    return any(k is key for k in mapping)


def _one_or_tuple(values):
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)
