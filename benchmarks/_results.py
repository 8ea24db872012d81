"""What the benchmark scripts of this folder share: the description of the machine
that measured, the command line, and the rewrite of one section of RESULTS.md.

Not a benchmark itself (hence the underscore: `python benchmarks/*.py` are the
scripts); each script imports it as `import _results`, this folder being on its
path. It imports neither adinfer nor PyTorch, and TensorFlow only inside
`machine()`, so that the processes that must not load them (speed.py's memory
children, distribute_cost.py's parent until it reports) can import it.

A section of RESULTS.md lies between two lines, `<!-- NAME:start -->` and
`<!-- NAME:end -->` (`markers(NAME)`), or, for a section written before the
markers, from its heading line (`## Checkpoint cost`) to the next heading or
marker. A script rewrites only its own section; a section not there yet is
appended at the end of the file.
"""

import os
import platform
import re
import shlex
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")

# The vector extensions that decide which CPU kernels TensorFlow's oneDNN and
# Eigen run (x86 `flags`, Arm `Features` in /proc/cpuinfo), widest last.
VECTOR_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_bf16",
    "asimd",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
)


def cpu():
    """The CPU model and its vector extensions: `AMD EPYC (avx2 fma avx512f)`;
    `platform.processor()` (or the architecture) where /proc/cpuinfo is not."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    model = re.search(r"^(?:model name|Hardware|Model)\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", info, re.M)
    name = model.group(1).strip() if model else platform.processor() or platform.machine()
    present = set(flags.group(1).split()) if flags else set()
    vector = [flag for flag in VECTOR_FLAGS if flag in present]
    return f"{name} ({' '.join(vector)})" if vector else name


def cores():
    """`2 CPU cores`: the cores this process may run on (`2 of 16 CPU cores`
    where that is fewer than the machine has)."""
    total = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = total
    return f"{usable} CPU cores" if usable == total else f"{usable} of {total} CPU cores"


def memory():
    """`24 GiB memory`, or None where /proc/meminfo is not."""
    try:
        with open("/proc/meminfo") as f:
            kib = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return None
    return f"{kib / 2**20:.0f} GiB memory"


def gpus(tf):
    """`no GPU`, `1 GPU (NVIDIA H100 80GB HBM3)`, ...: the GPUs TensorFlow sees."""
    found = tf.config.list_physical_devices("GPU")
    if not found:
        return "no GPU"
    names = []
    for gpu in found:
        try:
            names.append(tf.config.experimental.get_device_details(gpu).get("device_name", "?"))
        except (RuntimeError, ValueError):
            names.append("?")
    return f"{len(found)} GPU{'s' if len(found) > 1 else ''} ({', '.join(names)})"


def machine(*software):
    """One line naming the hardware and the software that measured:
    `AMD EPYC (avx2 fma avx512f), 2 CPU cores, 24 GiB memory, no GPU, Linux
    x86_64; Python 3.11.7, TensorFlow 2.21.0, Keras 3.15.1`, then `software`
    (more "name version" strings) after Keras."""
    import keras
    import tensorflow as tf

    hardware = [cpu(), cores(), memory(), gpus(tf), f"{platform.system()} {platform.machine()}"]
    versions = [
        f"Python {platform.python_version()}",
        f"TensorFlow {tf.__version__}",
        f"Keras {keras.__version__}",
        *software,
    ]
    return ", ".join(h for h in hardware if h) + "; " + ", ".join(versions)


def load_average(start):
    """`load average 0.83 at start, 1.57 at end`: `start`, the 1-minute load
    average when the measurement began (`os.getloadavg()[0]`), and now's."""
    return f"load average {start:.2f} at start, {os.getloadavg()[0]:.2f} at end"


def command(script, argv=None):
    """The command line that ran `script` (its `__file__`) with `argv` (default:
    this process's arguments), as `python benchmarks/NAME.py ARGS`, quoted for
    a shell so that it runs as pasted (`--methods 'GAN (pack 4)'`)."""
    argv = sys.argv[1:] if argv is None else argv
    return shlex.join(["python", f"benchmarks/{os.path.basename(script)}", *argv])


def markers(name):
    """The lines that open and close the section `name`."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_between(text, bounds, body):
    """`text` with the section `bounds` holding `body`.

    Args:
      text: the Markdown.
      bounds: (begin, end): the section's first and last lines (`markers(name)`),
        both kept; end None: from the line `begin` (a heading) to the next line
        that opens a heading (`## `) or a marker (`<!-- `), or to the end.
      body: the section's new content, or a function from its old content (""
        where the section is missing) to the new one. Trailing newlines are
        dropped: one newline separates it from `end`.

    Returns:
      The new text; a missing section is appended at the end, after a blank line.
    """
    begin, end = bounds
    if end is None:
        pattern = re.compile(rf"^{re.escape(begin)}\n?(.*?)(?=\n(?:## |<!-- )|\Z)", re.S | re.M)
    else:
        pattern = re.compile(rf"{re.escape(begin)}\n?(.*?)\n?{re.escape(end)}", re.S)
    found = pattern.search(text)
    new = body(found.group(1) if found else "") if callable(body) else body
    block = begin + "\n" + new.rstrip("\n") + "\n" + (end or "")
    if found is None:
        return text.rstrip("\n") + "\n\n" + block + ("\n" if end else "")
    return text[: found.start()] + block + text[found.end() :]


def write_section(bounds, body, path=None):
    """Rewrites the section `bounds` of the file `path` (RESULTS.md) to hold
    `body` (see `replace_between`), leaving everything else alone."""
    path = path or RESULTS
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(replace_between(text, bounds, body))
