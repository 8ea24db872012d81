"""A catalogue of bad inputs, one line each: every one raises adinfer's
TypeError or ValueError naming the argument, before anything changed, and the
inference it was given to trains on with `t` and every weight as they were.

The cases share a few small inferences built once (a GAN, a WGAN and a BiGAN
on 2-D data, initialized with SGD); each case is a call on a context `c`
(`c.gan`, `c.x`, `c.nets`, ...). After each case on a live inference, its `t`,
network weights, optimizer variables and optimizers must be those before the
call, and one `update()` must then train (t + 1, finite losses).
"""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import adinfer
from adinfer import losses, metrics

tfd = tfp.distributions
N, BATCH = 32, 8


class Context:
    """The inferences, networks and paths the cases use, built once."""

    def __init__(self):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        self.x = rng.normal(4.0, 0.5, size=(N, 2)).astype(np.float32)
        self.gen = keras.Sequential([keras.layers.Dense(2)])
        self.disc = keras.Sequential([keras.layers.Dense(1)])
        self.enc = keras.Sequential([keras.layers.Dense(2)])
        self.joint_disc = keras.Sequential([keras.layers.Dense(1)])
        self.fake = lambda n: self.gen(tf.random.normal([n, 2]))
        self.prior = lambda n: tf.random.normal([n, 2])
        self.joint = lambda x, z: self.joint_disc(tf.concat([x, z], -1))[:, 0]
        self.root = tempfile.mkdtemp()
        self.a_file = os.path.join(self.root, "a_file")
        with open(self.a_file, "w") as f:
            f.write("not a directory")
        self.empty_dir = os.path.join(self.root, "empty")
        os.makedirs(self.empty_dir)
        self.gan = adinfer.GANInference({self.fake: self.x}, self.disc, batch_size=BATCH, seed=0)
        self.gan.initialize(n_print=0, **sgd())
        self.wgan = adinfer.WGANInference({self.fake: self.x}, self.disc, batch_size=BATCH)
        self.wgan.initialize(n_print=0, **sgd())
        self.bigan = adinfer.BiGANInference(
            {self.prior: self.enc}, {self.gen: self.x}, self.joint, batch_size=BATCH
        )
        self.bigan.initialize(n_print=0, **sgd())
        self.live = {"gan": self.gan, "wgan": self.wgan, "bigan": self.bigan}
        for inference in self.live.values():
            inference.update()
        self.networks = [self.gen, self.disc, self.enc, self.joint_disc]
        self.features = rng.normal(size=(16, 3)).astype(np.float32)


def sgd(rate=0.01):
    return dict(optimizer=keras.optimizers.SGD(rate), optimizer_d=keras.optimizers.SGD(rate))


def acgan(c, labels, discriminator=None, **kwargs):
    """An ACGAN on c.x with `labels`; its discriminator returns 3 class logits."""
    gen, disc = keras.Sequential([keras.layers.Dense(2)]), keras.Sequential([keras.layers.Dense(4)])
    fake = lambda n, y: gen(
        tf.concat([tf.random.normal([n, 2]), tf.cast(y[:, None], tf.float32)], -1)
    )
    d = discriminator or (lambda x: (disc(x)[:, 0], disc(x)[:, 1:]))
    return adinfer.ACGANInference({fake: (c.x, labels)}, d, batch_size=BATCH, **kwargs).initialize(
        n_print=0, **sgd()
    )


def infogan(c, discriminator):
    """An InfoGAN on c.x with one N(0, 1) code and `discriminator(net)` (net: Dense(2))."""
    gen, net = keras.Sequential([keras.layers.Dense(2)]), keras.Sequential([keras.layers.Dense(2)])
    fake = lambda n, codes: gen(tf.concat([tf.random.normal([n, 2]), codes[0][:, None]], -1))
    inference = adinfer.InfoGANInference(
        {fake: c.x}, discriminator(net), codes=tfd.Normal(0.0, 1.0), batch_size=BATCH
    )
    return inference.initialize(n_print=0, **sgd())


def latent_sample(c, n):
    """`sample(n)` of a LatentInference training 4 codes."""
    loss = lambda model, y: tf.reduce_mean(tf.square(model.generated_data - y))
    return adinfer.LatentInference(c.gen, loss, target=c.x[:4], z_shape=[2]).sample(n)


def nan_features(c):
    features = c.features.copy()
    features[2, 1] = np.nan
    return features


# (inference the call is given or None, call, exception, regex the message matches)
# fmt: off
CASES = [
    # -- Construction: the model side of data / latent_vars -------------------------
    (None, lambda c: adinfer.GANInference([c.fake, c.x], c.disc), TypeError, r"data must have type dict"),
    (None, lambda c: adinfer.GANInference(None, c.disc), TypeError, r"data must have type dict.*NoneType"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x, c.prior: c.x}, c.disc), ValueError, r"data must hold exactly one pair"),
    (None, lambda c: adinfer.WGANInference({}, c.disc), ValueError, r"data must hold exactly one pair.*0 pairs"),
    (None, lambda c: adinfer.GANInference({"fake": c.x}, c.disc), TypeError, r"data keys must be programs"),
    (None, lambda c: adinfer.GANInference({c.gen: c.x}, c.disc), TypeError, r"data: the key is a Keras Sequential"),
    (None, lambda c: adinfer.WGANInference({c.gen: c.x}, c.disc), TypeError, r"data: the key is a Keras"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, "D"), TypeError, r"discriminator must be a callable"),
    (None, lambda c: adinfer.WGANInference({c.fake: c.x}, None), TypeError, r"discriminator must be a callable.*NoneType"),
    (None, lambda c: adinfer.BiGANInference((c.prior, c.enc), {c.gen: c.x}, c.joint), TypeError, r"latent_vars must have type dict"),
    (None, lambda c: adinfer.BiGANInference({c.prior: c.enc, c.fake: c.enc}, {c.gen: c.x}, c.joint), ValueError, r"latent_vars must hold exactly one pair"),
    (None, lambda c: adinfer.BiGANInference({c.enc: c.prior}, {c.gen: c.x}, c.joint), TypeError, r"latent_vars looks reversed"),
    (None, lambda c: adinfer.BiGANInference({c.prior: tfd.Normal(0.0, 1.0)}, {c.gen: c.x}, c.joint), TypeError, r"latent_vars looks reversed"),
    (None, lambda c: adinfer.BiGANInference({c.prior: c.enc}, {c.gen: c.x}, c.disc), TypeError, r"discriminator: a Keras Sequential"),
    (None, lambda c: adinfer.BiGANInference({c.prior: c.enc}, {c.gen: c.x}, 3), TypeError, r"discriminator must be a callable"),
    (None, lambda c: adinfer.BiGANInference({c.prior: "enc"}, {c.gen: c.x}, c.joint), TypeError, r"latent_vars: the value must be the encoder"),
    (None, lambda c: adinfer.BiGANInference({3.0: c.enc}, {c.gen: c.x}, c.joint), TypeError, r"latent_vars: the key must be the prior"),
    (None, lambda c: adinfer.BiGANInference({c.prior: c.enc}, {tfd.Normal(0.0, 1.0): c.x}, c.joint), TypeError, r"data: the key must be the decoder"),
    (None, lambda c: adinfer.ImplicitKLqp([1], discriminator=lambda x, z, b: x), TypeError, r"latent_vars must have type dict"),
    (None, lambda c: adinfer.ImplicitKLqp({tfd.Normal(0.0, 1.0): tfd.Normal(0.0, 1.0)}), TypeError, r"discriminator must be a callable"),
    (None, lambda c: adinfer.ImplicitKLqp({c.enc: tfd.Normal(0.0, 1.0)}, {c.fake: c.x}, lambda x, z, b: x), TypeError, r"latent_vars: the key is a Keras Sequential.*p_z\(n, beta\)"),
    (None, lambda c: adinfer.ImplicitKLqp({}, {c.gen: c.x}, lambda x, z, b: x), TypeError, r"data: the key is a Keras Sequential.*x_model\(x, z, beta\)"),
    (None, lambda c: adinfer.ImplicitKLqp({}, {"model": c.x}, lambda x, z, b: x), TypeError, r"data keys must be programs x_model.*got str"),
    # -- Construction: the observed side and the batch ------------------------------
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size=0), ValueError, r"batch_size must be a positive int"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size=-4), ValueError, r"batch_size must be a positive int"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size=2.5), TypeError, r"batch_size must be an int"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size="8"), TypeError, r"batch_size must be an int"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size=True), TypeError, r"batch_size must be an int or None, got bool"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, batch_size=N + 1), ValueError, r"batch_size=33 exceeds the 32 examples"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, seed="0"), TypeError, r"seed must be an int or None"),
    (None, lambda c: adinfer.GANInference({c.fake: "x"}, c.disc), TypeError, r"data value must be a NumPy array"),
    (None, lambda c: adinfer.GANInference({c.fake: np.array([["a", "b"]])}, c.disc), TypeError, r"data value must hold numbers"),
    (None, lambda c: adinfer.GANInference({c.fake: np.zeros((0, 2), np.float32)}, c.disc), ValueError, r"data value holds no examples"),
    (None, lambda c: adinfer.GANInference({c.fake: np.float32(1.0)}, c.disc), ValueError, r"data value must have a first axis"),
    (None, lambda c: adinfer.GANInference({c.fake: np.where(c.x > 4.5, np.nan, c.x)}, c.disc), ValueError, r"data value holds \d+ non-finite entries"),
    (None, lambda c: adinfer.GANInference({c.fake: tf.constant(np.where(c.x > 4.5, np.inf, c.x))}, c.disc), ValueError, r"data value holds \d+ non-finite"),
    (None, lambda c: adinfer.GANInference({c.fake: tf.data.Dataset.from_tensor_slices(c.x[:0])}, c.disc, batch_size=2), ValueError, r"data value is an empty tf.data.Dataset"),
    (None, lambda c: adinfer.GANInference({c.fake: tf.data.Dataset.from_tensor_slices(c.x[:, 0])}, c.disc), ValueError, r"without batch_size, a dataset is used as batched"),
    (None, lambda c: adinfer.GANInference({c.fake: tf.data.Dataset.from_tensor_slices(c.x)}, c.disc, batch_size=40), ValueError, r"batch_size=40 exceeds the 32 examples"),
    # -- Construction: objective arguments ---------------------------------------------
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, loss="nope"), ValueError, r"loss"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, loss=3), TypeError, r"loss"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, pack=0), ValueError, r"pack must be a positive int"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, pack="2"), TypeError, r"pack must be an int, got str '2'"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, non_adversarial_loss=lambda m: 0.0, weight_factor=-1.0), ValueError, r"weight_factor must be a finite non-negative number, got -1.0"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, gradient_penalty_weight=-1.0), ValueError, r"gradient_penalty_weight must be"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, gradient_penalty_weight="1"), TypeError, r"gradient_penalty_weight must be"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, gradient_penalty_weight=np.nan), ValueError, r"gradient_penalty_weight must be"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, r1_penalty_weight=-1.0), ValueError, r"r1_penalty_weight must be"),
    (None, lambda c: adinfer.GANInference({c.fake: c.x}, c.disc, gradient_penalty_target=0.0), ValueError, r"gradient_penalty_target must be"),
    (None, lambda c: adinfer.WGANInference({c.fake: c.x}, c.disc, gradient_penalty_one_sided="yes"), TypeError, r"gradient_penalty_one_sided must be a bool"),
    (None, lambda c: adinfer.InfoGANInference({c.fake: c.x}, c.disc, codes=tfd.Normal(0.0, 1.0), mutual_information_penalty_weight=-1.0), ValueError, r"mutual_information_penalty_weight must be"),
    (None, lambda c: adinfer.InfoGANInference({c.fake: c.x}, c.disc, codes="c"), TypeError, r"codes"),
    (None, lambda c: adinfer.ACGANInference({c.fake: (c.x, np.zeros(N, np.int32))}, c.disc, label_smoothing=1.5), ValueError, r"label_smoothing must be"),
    (None, lambda c: adinfer.ACGANInference({c.fake: (c.x, np.zeros(N, np.int32))}, c.disc, aux_cond_generator_weight=-1.0), ValueError, r"aux_cond_generator_weight must be"),
    # -- What programs return, checked when the objective is first traced -------------
    (None, lambda c: adinfer.GANInference({lambda n: None: c.x}, c.disc, batch_size=BATCH).initialize(n_print=0, **sgd()), TypeError, r"the Gen program '<lambda>' must return a tensor or a nest of tensors, got None"),
    (None, lambda c: adinfer.GANInference({lambda n: (c.gen(tf.random.normal([n, 2])), None): c.x}, c.disc, batch_size=BATCH).initialize(n_print=0, **sgd()), TypeError, r"the Gen program '<lambda>' must return a tensor"),
    (None, lambda c: adinfer.GANInference({lambda n: c.gen(tf.random.normal([4, 2])): c.x}, c.disc, batch_size=BATCH).initialize(n_print=0, **sgd()), ValueError, r"the Gen program '<lambda>' must return a batch of 8 examples, as it is called with the batch size 8, got shape \(4, 2\)"),
    (None, lambda c: adinfer.WGANInference({lambda n: c.gen(tf.random.normal([4, 2])): c.x}, c.disc, batch_size=BATCH).initialize(n_print=0, **sgd()), ValueError, r"must return a batch of 8 examples"),
    (None, lambda c: adinfer.GANInference({lambda n: c.gen(tf.random.normal([4, 2])): c.x}, c.disc, pack=2, batch_size=BATCH).initialize(n_print=0, **sgd()), ValueError, r"must return a batch of \d+ examples"),
    (None, lambda c: adinfer.BiGANInference({lambda n: tf.random.normal([3, 2]): c.enc}, {c.gen: c.x}, c.joint, batch_size=BATCH).initialize(n_print=0, **sgd()), ValueError, r"the Gen program '<lambda>' must return a batch of 8 examples"),
    (None, lambda c: adinfer.BiGANInference({c.prior: keras.Sequential([keras.layers.Dense(3)])}, {c.gen: c.x}, c.joint, batch_size=BATCH).initialize(n_print=0, **sgd()), TypeError, r"latent_vars: the encoder's output encoder\(x\) has shape \(8, 3\) but the prior's draws"),
    (None, lambda c: acgan(c, np.arange(N, dtype=np.int32) % 5), ValueError, r"data value\[1\] must be integer classes in \[0, 3\) for the 3 class logits the discriminator returns, got labels in \[0, 4\]"),
    (None, lambda c: acgan(c, np.arange(N, dtype=np.int32) % 3 - 1), ValueError, r"data value\[1\] must be integer classes in \[0, 3\).*got labels in \[-1, 1\]"),
    (None, lambda c: acgan(c, np.arange(N, dtype=np.int32) % 3, condition=tfd.Categorical(logits=tf.zeros(4))), ValueError, r"condition: its draws must be integer classes in \[0, 3\)"),
    (None, lambda c: acgan(c, np.arange(N, dtype=np.int32) % 3, keras.Sequential([keras.layers.Dense(1)])), TypeError, r"discriminator must be a program or network returning a pair \(logits, class_logits\), got .*Tensor \(logits only\?\)"),
    (None, lambda c: infogan(c, lambda net: keras.Sequential([keras.layers.Dense(1)])), TypeError, r"discriminator must be a program or network returning a pair \(logits, \[q_1, ..., q_k\]\)"),
    (None, lambda c: infogan(c, lambda net: lambda x: (net(x)[:, 0], tfd.Normal(net(x)[:, 1:], 1.0))), ValueError, r"discriminator: its distribution q\[0\] must be a distribution over code 0.*\(8,\), got batch shape \(8, 1\)"),
    (None, lambda c: infogan(c, lambda net: lambda x: (net(x)[:, 0], tfd.Normal(net(x)[:4, 1], 1.0))), ValueError, r"discriminator: its distribution q\[0\].*got batch shape \(4,\)"),
    (None, lambda c: infogan(c, lambda net: lambda x: (net(x)[:, 0], [])), ValueError, r"discriminator: returned 0 distributions for 1 codes"),
    # -- initialize, on live inferences: nothing changes, then it trains -------------
    ("gan", lambda c: c.gan.initialize(n_iter=-1), ValueError, r"n_iter must be a non-negative int, got -1"),
    ("gan", lambda c: c.gan.initialize(n_iter="10"), TypeError, r"n_iter must be an int, got str"),
    ("gan", lambda c: c.gan.initialize(n_iter=1.5), TypeError, r"n_iter must be an int"),
    ("gan", lambda c: c.gan.initialize(n_iter=True), TypeError, r"n_iter must be an int.*bool"),
    ("gan", lambda c: c.gan.initialize(n_print=-1), ValueError, r"n_print must be a non-negative int"),
    ("gan", lambda c: c.gan.initialize(n_print="x"), TypeError, r"n_print must be an int or None"),
    ("gan", lambda c: c.gan.initialize(optimizer="nope"), ValueError, r"optimizer: unknown optimizer 'nope'"),
    ("gan", lambda c: c.gan.initialize(optimizer_d="nope"), ValueError, r"optimizer_d: unknown optimizer"),
    ("gan", lambda c: c.gan.initialize(optimizer=keras.optimizers.SGD), TypeError, r"optimizer must be a keras.optimizers.Optimizer instance, got the class SGD"),
    ("gan", lambda c: c.gan.initialize(optimizer=3), TypeError, r"optimizer must be a keras.optimizers.Optimizer"),
    ("gan", lambda c: c.gan.initialize(optimizer_d=tf.Module()), TypeError, r"optimizer_d must be a keras.optimizers.Optimizer"),
    ("gan", lambda c: c.gan.initialize(**dict.fromkeys(["optimizer", "optimizer_d"], keras.optimizers.SGD(0.1))), ValueError, r"optimizer and optimizer_d must be distinct objects"),
    ("gan", lambda c: c.gan.initialize(optimizer=keras.optimizers.SGD(np.nan)), ValueError, r"optimizer's learning rate must be a finite non-negative number, got nan"),
    ("gan", lambda c: c.gan.initialize(optimizer_d=keras.optimizers.SGD(np.inf)), ValueError, r"optimizer_d's learning rate must be a finite non-negative number, got inf"),
    ("gan", lambda c: c.gan.initialize(optimizer=keras.optimizers.Adam(-1e-3)), ValueError, r"optimizer's learning rate must be a finite non-negative number, got -0.001"),
    ("wgan", lambda c: c.wgan.initialize(optimizer_d=keras.optimizers.RMSprop(np.nan)), ValueError, r"optimizer_d's learning rate must be"),
    ("gan", lambda c: c.gan.initialize(var_list="x"), TypeError, r"var_list"),
    ("gan", lambda c: c.gan.initialize(var_list=[3.0]), TypeError, r"var_list"),
    ("gan", lambda c: c.gan.initialize(var_list=c.gen.trainable_variables + [tf.Variable(1.0, name="unread")]), ValueError, r"var_list must be a list of trainable variables the objective reads, got 1 it never reads.*'unread"),
    ("gan", lambda c: c.gan.initialize(var_list_d=[tf.Variable(1.0, name="unread")]), ValueError, r"var_list_d must be a list of trainable variables the objective reads"),
    ("gan", lambda c: c.gan.initialize(optimizer=c.bigan.optimizers["Disc"], optimizer_d=keras.optimizers.SGD(0.01)), ValueError, r"optimizer must be a new optimizer, or one built for this inference's variables, got a SGD already built for other variables"),
    ("bigan", lambda c: c.bigan.initialize(optimizer=keras.optimizers.SGD(0.01), optimizer_d=c.gan.optimizers["Disc"]), ValueError, r"optimizer_d must be a new optimizer, or one built for this inference's variables"),
    ("gan", lambda c: c.gan.initialize(logdir=""), ValueError, r"logdir must be a non-empty path"),
    ("gan", lambda c: c.gan.initialize(logdir=3), TypeError, r"logdir must be a path"),
    ("gan", lambda c: c.gan.initialize(logdir=c.a_file), ValueError, r"logdir must be a directory, got '.*a_file', a file"),
    ("gan", lambda c: c.gan.initialize(logdir=os.path.join(c.a_file, "x")), ValueError, r"logdir must be a directory you can write"),
    ("gan", lambda c: c.gan.initialize(steps_per_execution=0), ValueError, r"steps_per_execution must be a positive int"),
    ("gan", lambda c: c.gan.initialize(steps_per_execution="8"), TypeError, r"steps_per_execution must be an int"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=""), ValueError, r"checkpoint_dir must be a non-empty path, got ''"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=3), TypeError, r"checkpoint_dir must be a path"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=b"ckpt"), TypeError, r"checkpoint_dir must be a path"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=c.a_file), ValueError, r"checkpoint_dir must be a directory, got '.*a_file', a file"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=os.path.join(c.a_file, "x")), ValueError, r"checkpoint_dir must be a directory you can write.*cannot be created"),
    ("gan", lambda c: c.gan.initialize(checkpoint_every=5), ValueError, r"checkpoint_every needs checkpoint_dir"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=c.empty_dir, checkpoint_every=0), ValueError, r"checkpoint_every must be a positive int"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=c.empty_dir, checkpoint_every="5"), TypeError, r"checkpoint_every must be an int"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=c.empty_dir, max_to_keep=0), ValueError, r"max_to_keep must be a positive int"),
    ("gan", lambda c: c.gan.initialize(checkpoint_dir=c.empty_dir, max_to_keep="5"), TypeError, r"max_to_keep must be an int"),
    ("gan", lambda c: c.gan.initialize(warm_start_from=3), TypeError, r"warm_start_from must be a directory or checkpoint path"),
    ("gan", lambda c: c.gan.initialize(warm_start_from=c.empty_dir), ValueError, r"warm_start_from: no checkpoint at"),
    ("gan", lambda c: c.gan.initialize(warm_start_from=os.path.join(c.root, "missing")), ValueError, r"warm_start_from: no checkpoint at"),
    ("gan", lambda c: c.gan.initialize(ema_decay=0.0), ValueError, r"ema_decay must be a number in \(0, 1\)"),
    ("gan", lambda c: c.gan.initialize(ema_decay=1.0), ValueError, r"ema_decay must be a number in \(0, 1\)"),
    ("gan", lambda c: c.gan.initialize(ema_decay=1.5), ValueError, r"ema_decay must be"),
    ("gan", lambda c: c.gan.initialize(ema_decay=np.nan), ValueError, r"ema_decay must be"),
    ("gan", lambda c: c.gan.initialize(ema_decay="0.9"), TypeError, r"ema_decay must be"),
    ("gan", lambda c: c.gan.initialize(ema_decay=True), TypeError, r"ema_decay must be"),
    ("bigan", lambda c: c.bigan.initialize(n_iter=-5), ValueError, r"n_iter must be a non-negative int"),
    ("bigan", lambda c: c.bigan.initialize(optimizer=keras.optimizers.SGD(-0.5)), ValueError, r"optimizer's learning rate must be"),
    ("bigan", lambda c: c.bigan.initialize(checkpoint_dir=c.a_file), ValueError, r"checkpoint_dir must be a directory"),
    ("wgan", lambda c: c.wgan.initialize(ema_decay=2), ValueError, r"ema_decay must be"),
    # -- update, run, sample, export --------------------------------------------------
    ("gan", lambda c: c.gan.update(variables="Foo"), ValueError, r'variables must be None or "Gen" or "Disc", got \'Foo\''),
    ("gan", lambda c: c.gan.update(variables=3), TypeError, r"variables must be None or \"Gen\" or \"Disc\", got int"),
    ("gan", lambda c: c.gan.update(variables=["Gen"]), TypeError, r"variables must be None"),
    ("gan", lambda c: c.gan.update(feed_dict={"x": c.x}), (TypeError, ValueError), r"feed_dict"),
    ("bigan", lambda c: c.bigan.update(variables="gen"), ValueError, r"variables must be None or"),
    ("gan", lambda c: c.gan.run(n_critic=0), ValueError, r"n_critic must be a positive int"),
    ("gan", lambda c: c.gan.run(n_critic=-1), ValueError, r"n_critic must be a positive int"),
    ("gan", lambda c: c.gan.run(n_critic="5"), TypeError, r"n_critic must be an int"),
    ("gan", lambda c: c.gan.run(n_critic=1.5), TypeError, r"n_critic must be an int"),
    ("gan", lambda c: c.gan.run(evaluate=3), TypeError, r"evaluate must be a callable"),
    ("gan", lambda c: c.gan.run(evaluate=lambda i: {}, evaluate_every=0), ValueError, r"evaluate_every must be a positive int"),
    ("gan", lambda c: c.gan.run(evaluate_every="x"), TypeError, r"evaluate_every must be an int"),
    ("gan", lambda c: c.gan.run(n_iter=-1), ValueError, r"n_iter must be a non-negative int"),
    ("gan", lambda c: c.gan.run(n_iter=3, checkpoint_dir=c.a_file), ValueError, r"checkpoint_dir must be a directory"),
    ("gan", lambda c: c.gan.run(n_iter=3, optimizer=keras.optimizers.SGD(np.nan)), ValueError, r"optimizer's learning rate must be"),
    ("gan", lambda c: c.gan.sample(-1), ValueError, r"n must be a non-negative int"),
    ("gan", lambda c: c.gan.sample("4"), TypeError, r"n must be an int"),
    ("gan", lambda c: c.gan.sample(1.5), TypeError, r"n must be an int"),
    ("gan", lambda c: c.gan.sample(None), TypeError, r"n must be an int"),
    ("gan", lambda c: c.gan.export(3), TypeError, r"path must be"),
    ("bigan", lambda c: c.bigan.sample(-2), ValueError, r"n must be a non-negative int"),
    (None, lambda c: latent_sample(c, 5), ValueError, r"n must be at most batch_size=4, the codes z trained, got 5"),
    # -- losses -------------------------------------------------------------------------
    (None, lambda c: losses.minimax_discriminator_loss(tf.zeros(4), tf.zeros(4), label_smoothing=1.5), ValueError, r"label_smoothing must be"),
    (None, lambda c: losses.minimax_discriminator_loss(tf.zeros(4), tf.zeros(4), label_smoothing=-0.1), ValueError, r"label_smoothing must be"),
    (None, lambda c: losses.minimax_discriminator_loss(tf.zeros(4), tf.zeros(4), label_smoothing="0.1"), TypeError, r"label_smoothing must be"),
    (None, lambda c: losses.minimax_discriminator_loss(tf.zeros(4), tf.zeros(4), label_smoothing=tf.constant(3.0)), ValueError, r"label_smoothing must be"),
    (None, lambda c: losses.minimax_generator_loss(tf.zeros(4), "a"), TypeError, r"d_fake"),
    (None, lambda c: losses.wasserstein_discriminator_loss(tf.zeros(4), tf.zeros([4], tf.int32)), TypeError, r"d_fake"),
    (None, lambda c: losses.least_squares_discriminator_loss(tf.zeros(4), tf.zeros(4), real_label="1"), TypeError, r"real_label"),
    (None, lambda c: losses.acgan_generator_loss(tf.zeros([4, 3]), tf.constant([0, 1, 2, 3])), ValueError, r"labels"),
    (None, lambda c: losses.gradient_penalty(c.disc, c.x[:8], c.x[:4]), ValueError, r"x_fake must be a batch of the size of x_real, 8.*got shape \(4, 2\)"),
    (None, lambda c: losses.gradient_penalty(c.joint, (c.x[:8], c.x[:8]), (c.x[:8], c.x[:3])), ValueError, r"x_fake\[1\] must be a batch of the size of x_real\[1\], 8"),
    (None, lambda c: losses.mutual_information_penalty(tf.zeros([8]), tfd.Normal(tf.zeros([8, 1]), 1.0)), ValueError, r"predicted_distributions\[0\] must be a distribution whose batch and event shapes broadcast to the shape of structured_inputs\[0\], \(8,\)"),
    (None, lambda c: losses.combine_adversarial_loss(tf.constant(1.0), tf.constant(2.0), weight_factor=-1), ValueError, r"weight_factor must be a finite non-negative number, got -1"),
    (None, lambda c: losses.get("nope"), ValueError, r"loss"),
    (None, lambda c: losses.get(3), TypeError, r"loss"),
    # -- metrics ------------------------------------------------------------------------
    (None, lambda c: metrics.frechet_distance(nan_features(c), c.features), ValueError, r"features_1 must be finite \(no NaN or Inf\), got 1 non-finite"),
    (None, lambda c: metrics.frechet_distance(c.features, nan_features(c)), ValueError, r"features_2 must be finite \(no NaN or Inf\), got 1 non-finite"),
    (None, lambda c: metrics.frechet_distance(c.features, c.features[:, :2]), ValueError, r"features_2"),
    (None, lambda c: metrics.frechet_distance(c.features[:, :0], c.features[:, :0]), ValueError, r"features_1 must be an array of at least 1 feature column, got 0 columns"),
    (None, lambda c: metrics.frechet_distance("a", c.features), TypeError, r"features_1"),
    (None, lambda c: metrics.kernel_distance(nan_features(c), c.features), ValueError, r"features_1 must be finite \(no NaN or Inf\), got 1 non-finite"),
    (None, lambda c: metrics.classifier_score(np.full((4, 3), np.nan)), ValueError, r"logits must be finite.*got 12 non-finite"),
    (None, lambda c: metrics.classifier_score(c.features, num_splits=0), ValueError, r"num_splits must be a positive int"),
    (None, lambda c: metrics.mode_coverage(c.features[:, :2], np.full((2, 2), np.nan), 0.1), ValueError, r"means must be finite"),
    (None, lambda c: metrics.precision_recall(c.features, c.features, k=0), ValueError, r"k must be a positive int"),
]
# fmt: on


def snapshot(c, inference):
    """What a refused call must leave as it was: `t`, every network weight, the
    optimizers (objects and variables) and the compiled functions.
    """
    optimizers = dict(inference.optimizers)
    return {
        "t": int(inference.t),
        "weights": [w.numpy().copy() for net in c.networks for w in net.weights],
        "optimizers": optimizers,
        "slots": [v.numpy().copy() for g in optimizers for v in optimizers[g].variables],
        "compiled": inference.compiled_functions(),
    }


class BadInputCatalogueTest(tf.test.TestCase):
    def test_catalogue(self):
        self.assertGreaterEqual(len(CASES), 100)
        c = Context()
        for index, (live, call, error, message) in enumerate(CASES):
            with self.subTest(case=index, message=message):
                inference = c.live.get(live)
                before = snapshot(c, inference) if inference is not None else None
                with self.assertRaisesRegex(error, message):
                    call(c)
                if inference is None:
                    continue
                after = snapshot(c, inference)
                self.assertEqual(after["t"], before["t"])
                self.assertEqual(after["optimizers"], before["optimizers"])
                self.assertEqual(after["compiled"], before["compiled"])
                for key in ("weights", "slots"):
                    for a, b in zip(before[key], after[key], strict=True):
                        self.assertAllEqual(a, b)
                info = inference.update()  # and it trains on
                self.assertEqual(info["t"], before["t"] + 1)
                self.assertTrue(np.isfinite(info["loss"]) and np.isfinite(info["loss_d"]))
