"""The examples as modules, for the tests that check what they print and plot."""

import importlib.util
import os
import sys
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_example(name):
    """`examples/<name>.py`, imported (its `main` not run)."""
    path = os.path.join(ROOT, "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"{name}_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(example, *args):
    """`python examples/<name>.py ARGS` for a loaded `example`, in this process;
    returns what its `main` returns."""
    with mock.patch.object(sys, "argv", [os.path.basename(example.__file__), *args]):
        return example.main()
