"""Time per update under tf.distribute against one device, on this machine.

    python benchmarks/distribute_cost.py           # prints the table
    python benchmarks/distribute_cost.py --write   # and rewrites its RESULTS.md section

The same MLP GAN (2-128-128, Adam, global batch 256, `run()` with default
progress) trains in three settings, each in fresh processes:
  single:    no strategy, one device;
  mirrored:  `MirroredStrategy` over 2 logical CPU devices of one process;
  2 workers: `MultiWorkerMirroredStrategy`, 2 processes on 127.0.0.1.
Each process warms up (tracing) with a short `run()`, then times `run(n_iter)`
`--repeats` times; the table gives the median time per update. The trajectory
is the same in all three (tests/test_distribute.py); on a CPU-only machine the
replicas share its cores, so no speed-up can show here.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import _results  # noqa: E402  (TensorFlow only in machine(), once the children are done)

BATCH = 256


def worker(mode, n_iter, repeats):
    """Runs in a child process; prints one JSON line of seconds per run."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    sys.path.insert(0, ROOT)
    import adinfer

    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif mode == "workers":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        x = np.random.default_rng(0).normal(size=(10_000, 2)).astype("float32")
        mlp = lambda out: keras.Sequential(  # noqa: E731
            [
                keras.layers.Dense(128, "relu"),
                keras.layers.Dense(128, "relu"),
                keras.layers.Dense(out),
            ]
        )
        generator, critic = mlp(2), mlp(1)
        noise = keras.random.SeedGenerator(1)
        z = lambda n: adinfer.replica_part(  # noqa: E731
            lambda m: keras.random.normal([m, 2], seed=noise), n
        )
        inference = adinfer.GANInference(
            {lambda n: generator(z(n)): x}, critic, batch_size=BATCH, seed=0
        )
        optimizers = dict(
            optimizer=keras.optimizers.Adam(1e-4), optimizer_d=keras.optimizers.Adam(1e-4)
        )
    inference.run(n_iter=50, n_print=0, **optimizers)  # traces, sizes the calls
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        inference.run(n_iter=n_iter, **optimizers)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "replicas": strategy.num_replicas_in_sync}), flush=True)


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def measure(mode, n_iter, repeats):
    """Median ms per update of `mode` (the chief's, with workers)."""
    command = [sys.executable, os.path.abspath(__file__), "--child", mode]
    command += ["--n-iter", str(n_iter), "--repeats", str(repeats)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    envs = [env]
    if mode == "workers":
        cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
        envs = [
            {
                **env,
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": i}}
                ),
            }
            for i in range(2)
        ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        for e in envs
    ]
    try:
        outputs = [p.communicate(timeout=1800) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_, stderr) in zip(procs, outputs):
        if p.returncode:
            raise RuntimeError(f"{mode} failed:\n{stderr[-3000:]}")
    result = json.loads(outputs[0][0].strip().splitlines()[-1])
    seconds = sorted(result["seconds"])
    return 1000 * seconds[len(seconds) // 2] / n_iter, result["replicas"], result["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-iter", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return worker(args.child, args.n_iter, args.repeats)
    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    rows = {
        mode: measure(mode, args.n_iter, args.repeats) for mode in ("single", "mirrored", "workers")
    }
    total = time.perf_counter() - start
    base = rows["single"][0]
    lines = [
        f"Measured on {_results.machine()}; {_results.load_average(load_start)}. "
        f"Command: `{_results.command(__file__, argv)}` ({total:.0f} s). "
        f"MLP GAN 2-128-128, Adam, global batch {BATCH}, `run(n_iter={args.n_iter})` with default "
        f"progress, median of {args.repeats} runs after a warm-up run; the noise split with "
        "`adinfer.replica_part`, so all three follow the same trajectory.",
        "",
        "| setting | replicas | ms per update | ÷ single device |",
        "|---|---:|---:|---:|",
    ]
    names = {
        "single": "one device, no strategy",
        "mirrored": "`MirroredStrategy`, 2 logical CPU devices, 1 process",
        "workers": "`MultiWorkerMirroredStrategy`, 2 processes on 127.0.0.1 (the chief's time)",
    }
    for mode, (ms, replicas, _) in rows.items():
        lines.append(f"| {names[mode]} | {replicas} | {ms:.3f} | {ms / base:.2f} |")
    lines += [
        "",
        "Two replicas on the same 2 cores do the same arithmetic as one device, plus the "
        "all-reduce of every gradient (a collective per optimizer and step) and the "
        "cross-replica sums of the objectives and of the finiteness check: this measures that "
        "overhead, not a speed-up, which needs devices that do not share their cores.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        _results.write_section(_results.markers("distribute"), f"## tf.distribute cost\n\n{table}")


if __name__ == "__main__":
    main()
