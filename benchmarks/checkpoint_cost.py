"""What checkpointing costs: milliseconds per save, and the slowdown of `run()`.

    python benchmarks/checkpoint_cost.py            # prints the figures
    python benchmarks/checkpoint_cost.py --write    # ... and rewrites its section of RESULTS.md
    python benchmarks/checkpoint_cost.py --quick    # smoke run, figures not meaningful

The model is the speed benchmark's MLP GAN (2-128-128, Adam, batch 64, an array
of 10,000 examples read through adinfer's pipeline). Each repeat trains two
fresh inferences of the same networks for the same number of iterations, one
with `checkpoint_dir` and `checkpoint_every=1000`, one without, in rotated
order; the slowdown is the median over repeats of their time ratio. The cost of
one save is the median time of `inference.save()` (networks, both optimizers,
the data iterator and the noise stream: everything `run` saves).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # _results, and adinfer from this checkout

import _results  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import adinfer  # noqa: E402

SECTION = "## Checkpoint cost"  # no markers: from this heading to the next heading or marker


def make_inference():
    keras.utils.set_random_seed(0)
    noise = keras.random.SeedGenerator(0)
    x = np.random.default_rng(0).normal(size=(10000, 2)).astype(np.float32)
    dense = keras.layers.Dense
    generator = keras.Sequential([dense(128, "relu"), dense(128, "relu"), dense(2)])
    critic = keras.Sequential([dense(128, "relu"), dense(128, "relu"), dense(1)])
    fake = lambda n: generator(keras.random.normal([n, 2], seed=noise))
    inference = adinfer.GANInference({fake: x}, critic, batch_size=64, seed=0)
    return inference, {
        "optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5),
        "optimizer_d": keras.optimizers.Adam(2e-4, beta_1=0.5),
    }


def timed_run(n_iter, checkpoint_dir):
    inference, optimizers = make_inference()
    inference.run(n_iter=20, n_print=0, **optimizers)  # warm-up: tracing
    kwargs = {"checkpoint_dir": checkpoint_dir, "checkpoint_every": 1000} if checkpoint_dir else {}
    start = time.perf_counter()
    inference.run(n_iter=n_iter, n_print=0, **optimizers, **kwargs)
    return time.perf_counter() - start, inference


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    n_iter, repeats, saves = (1000, 1, 3) if args.quick else (10000, 5, 30)
    load_start = os.getloadavg()[0]
    ratios, inference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            times = {}
            for kind in ("plain", "checkpointed") if r % 2 == 0 else ("checkpointed", "plain"):
                directory = os.path.join(tmp, f"run{r}") if kind == "checkpointed" else None
                times[kind], trained = timed_run(n_iter, directory)
                if kind == "checkpointed":
                    inference = trained
            ratios.append(times["checkpointed"] / times["plain"])
            print(
                f"repeat {r}: plain {times['plain']:.2f} s, checkpointed "
                f"{times['checkpointed']:.2f} s, ratio {ratios[-1]:.3f}"
            )
        inference.initialize(n_iter=1, checkpoint_dir=os.path.join(tmp, "saves"), max_to_keep=2)
        save_ms = []
        for _ in range(saves):
            start = time.perf_counter()
            inference.save()
            save_ms.append(1000 * (time.perf_counter() - start))
        size = sum(
            os.path.getsize(os.path.join(tmp, "saves", f))
            for f in os.listdir(os.path.join(tmp, "saves"))
            if f.startswith(os.path.basename(inference.save()))
        )
    lines = [
        SECTION,
        "",
        f"Written by `{_results.command(__file__)}`"
        + (" (--quick: not meaningful)" if args.quick else "")
        + f" on {_results.machine()}; {_results.load_average(load_start)}.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| one `save()` (MLP GAN 2-128-128: networks, Adam slots, data iterator, noise stream; "
        f"{size / 1024:.0f} KiB) | {statistics.median(save_ms):.1f} ms (median of {saves}) |",
        f"| `run(n_iter={n_iter})` with `checkpoint_every=1000` / without | "
        f"{statistics.median(ratios):.3f}× (median of {repeats}; "
        f"{', '.join(f'{x:.3f}' for x in ratios)}) |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        _results.write_section((SECTION, None), "\n".join(lines[1:]))


if __name__ == "__main__":
    main()
