"""The schedule of `run()`: where it returns to Python, and how long each call is.

`run()` fuses iterations into compiled calls (like Keras's
`steps_per_execution`) and returns to Python only where it must: at
evaluations, checkpoints and the end (`Schedule.stops`). Progress is exact
anyway, as each call records the losses of every iteration it runs
(`Schedule.info`). The length of a call adapts to the cost of a step
(`ChunkSizer`).
"""

import collections
import contextlib
import time

import tensorflow as tf

from adinfer import validate
from adinfer.engine import step


class GANTrainSteps(
    collections.namedtuple("GANTrainSteps", ["generator_train_steps", "discriminator_train_steps"])
):
    """TF-GAN's `GANTrainSteps`: one iteration of `run(train_steps=...)` makes
    `discriminator_train_steps` "Disc" updates, then `generator_train_steps`
    "Gen" updates, each on its own batch; `t` counts every update, so an
    iteration moves `t` by their sum. `n_critic=k` is `GANTrainSteps(1, k)`.

    TF-GAN's sequential hooks run the generator's steps first; here the
    discriminator's come first, as in `n_critic` (and ALICE's schedule: one
    discriminator step, then several generator steps).
    """

    __slots__ = ()


def train_steps(n_critic, steps, inference_name, groups):
    """`run()`'s update schedule from its `n_critic` and `train_steps`
    arguments: None (simultaneous updates) or a checked `GANTrainSteps`.
    """
    n_critic = validate.integer(n_critic, "n_critic", allow_none=True)
    if steps is not None:
        if not isinstance(steps, tuple) or len(steps) != 2:
            validate.fail(
                TypeError,
                "train_steps",
                "adinfer.GANTrainSteps(generator_train_steps, discriminator_train_steps) or None",
                steps,
            )
        if n_critic is not None:
            raise ValueError("give n_critic or train_steps, not both.")
        steps = GANTrainSteps(
            *(
                validate.integer(k, f"train_steps.{name}")
                for k, name in zip(steps, GANTrainSteps._fields)
            )
        )
    elif n_critic is not None:
        steps = GANTrainSteps(1, n_critic)
    if steps is not None and "Disc" not in groups:
        argument = f"n_critic={n_critic!r}" if n_critic is not None else f"train_steps={steps}"
        raise ValueError(
            f'{argument}: {inference_name} has no "Disc" group to update; leave n_critic and '
            "train_steps None."
        )
    return steps


class Schedule:
    """The stop points of one `run()`.

    Args:
      n_iter: iterations of the run.
      steps: None (one simultaneous update per iteration) or `GANTrainSteps`
        (its discriminator steps, then its generator steps: their sum of
        updates per iteration).
      evaluate_every: iterations between evaluations (None: none).
      checkpoint_every: updates between checkpoints (None: at the end only),
        rounded up to whole iterations.
      checkpointing: whether checkpoints are written at all.
    """

    def __init__(self, n_iter, steps, evaluate_every, checkpoint_every, checkpointing):
        self.n_iter = n_iter
        self.updates_per_iteration = upi = 1 if steps is None else sum(steps)
        every = lambda k: set(range(k, n_iter + 1, k)) if k else set()
        self.evaluate = every(evaluate_every) | ({n_iter} if evaluate_every else set())
        saved = {n_iter}
        if checkpoint_every is not None:
            saved |= {
                -(-k * checkpoint_every // upi)
                for k in range(1, n_iter * upi // checkpoint_every + 1)
            }
        self.checkpoint = saved if checkpointing else set()
        self.stops = sorted(e for e in self.evaluate | saved | {n_iter} if e > 0)

    def calls(self, loop, fed, t, chunks, is_print_point):
        """Runs `loop(n, *fed)` (the fused loop) call after call up to each stop;
        yields `(None, info)` for every print point a call passed and `(stop,
        info)` at each stop. Raises `NonFiniteError` after the call that failed.
        """
        done = self.iterations_done(int(t.numpy()))
        for end in (stop for stop in self.stops if stop > done):
            while done < end:
                start, t_start = done, int(t.numpy())
                with chunks.timed(end - done) as n:
                    t_end, losses, failed = loop(tf.constant(n, tf.int32), *fed)
                losses = losses.numpy()
                done += self.iterations_done(int(t_end) - t_start)
                for j in range(start + 1, done + 1):
                    if is_print_point(j) and j != end:
                        yield None, self.info(t_start, j - start, losses)
                step.raise_if_failed(failed, int(t.numpy()))
            yield end, self.info(t_start, done - start, losses)

    def iterations_done(self, t):
        return t // self.updates_per_iteration

    def info(self, t_start, k, losses):
        """Progress of the k-th iteration of a compiled call that began at
        update `t_start` and recorded `losses` ([n, 2]).
        """
        upi = self.updates_per_iteration
        t = t_start + k * upi
        loss, loss_d = (float(x) for x in losses[k - 1])
        return {"t": t, "loss": loss, "loss_d": loss_d, "iteration": t // upi}


class ChunkSizer:
    """Iterations per compiled call of `run`: enough that Python's share of the
    time is small, few enough that progress shows about every `SECONDS`;
    measured from the calls themselves, the first (tracing) one excluded.
    Without `by_clock` (several workers, which must make the same calls) the
    lengths are 1, 8, 40, then `UNTIMED_MOST`.
    """

    SECONDS = 0.5
    UNTIMED_MOST = 100  # the longest call when lengths may not depend on time

    def __init__(self, most=None, by_clock=True):
        self.most = most or (None if by_clock else self.UNTIMED_MOST)
        self.by_clock = by_clock
        self.size = 1  # the first call traces: one iteration
        self.calls = 0

    @contextlib.contextmanager
    def timed(self, left):
        n = min(left, self.size, self.most or left)
        start = time.perf_counter()
        yield n
        seconds = time.perf_counter() - start
        self.calls += 1
        if self.calls == 1:
            self.size = 8
        elif not self.by_clock:
            self.size = 4 * self.size + 8
        else:
            per_iteration = max(seconds / n, 1e-7)
            self.size = int(min(max(self.SECONDS / per_iteration, 1), 4 * self.size + 8))
