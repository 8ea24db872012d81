"""The schedule of `run()`: where it returns to Python, and how long each call is.

`run()` fuses iterations into compiled calls (like Keras's
`steps_per_execution`) and returns to Python only where it must: at
evaluations, checkpoints and the end (`Schedule.stops`). Progress is exact
anyway, as each call records the losses of every iteration it runs
(`Schedule.info`). The length of a call adapts to the cost of a step
(`ChunkSizer`).
"""

import contextlib
import time

import tensorflow as tf

from adinfer.engine import step


class Schedule:
    """The stop points of one `run()`.

    Args:
      n_iter: iterations of the run.
      n_critic: None (one simultaneous update per iteration) or k ("Disc" k
        times, then "Gen": k + 1 updates per iteration).
      evaluate_every: iterations between evaluations (None: none).
      checkpoint_every: updates between checkpoints (None: at the end only),
        rounded up to whole iterations.
      checkpointing: whether checkpoints are written at all.
    """

    def __init__(self, n_iter, n_critic, evaluate_every, checkpoint_every, checkpointing):
        self.n_iter = n_iter
        self.updates_per_iteration = upi = 1 if n_critic is None else n_critic + 1
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
