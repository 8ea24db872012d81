"""Smoke run of benchmarks/speed.py --quick: it runs, and its table is well formed.

Timings are never asserted (they belong to the benchmark); only the structure
and that every figure is a positive measurement."""

import importlib.util
import os
import re
import subprocess
import sys
import unittest

import pytest

pytestmark = pytest.mark.slow  # runs the speed benchmark's smoke mode in a subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "speed.py")
RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS.md")


class SpeedBenchmarkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(RESULTS) as f:
            cls.results_before = f.read()
        cls.proc = subprocess.run(
            [sys.executable, SCRIPT, "--quick"],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )

    def test_exits_cleanly(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr[-3000:])

    def test_table_rows(self):
        rows = re.findall(
            r"^\| \((\w+)\) ([^|]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", self.proc.stdout, re.M
        )
        keys = [row[0] for row in rows]
        expected = ["a", "b", "c", "d", "e"]
        if importlib.util.find_spec("torch") is not None:
            expected.append("f")
        self.assertEqual(keys, expected, self.proc.stdout)
        for _key, _, ms, vs_a, vs_b in rows:
            self.assertGreater(float(ms), 0.0)
            self.assertGreater(float(vs_a), 0.0)
            self.assertGreater(float(vs_b), 0.0)
        self.assertEqual(float(rows[0][3]), 1.0)  # (a) against itself
        self.assertEqual(float(rows[1][4]), 1.0)  # (b) against itself

    def test_ratios_are_the_last_lines(self):
        tail = self.proc.stdout.strip().splitlines()
        start = tail.index("Ratios:")
        lines = tail[start + 1 :]
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^ratio .+ = \d+\.\d+$")
        self.assertTrue(any("update()/(a)" in line for line in lines))
        self.assertTrue(any("run()/(b)" in line for line in lines))
        self.assertTrue(lines[-1].startswith("ratio memory"))

    def test_machine_and_memory_described(self):
        self.assertRegex(
            self.proc.stdout, r"Machine: .+ cores; Python 3\.\d+\.\d+, TensorFlow \d+\.\d+"
        )
        self.assertRegex(
            self.proc.stdout, r"Peak resident memory .+ MiB at 100 steps, .+ MiB at 1000 steps"
        )

    def test_quick_run_leaves_results_alone(self):
        with open(RESULTS) as f:
            self.assertEqual(f.read(), self.results_before)


if __name__ == "__main__":
    unittest.main()
