"""Smoke run of benchmarks/speed.py --quick (every contender at a tiny budget): it
runs, and its tables are well formed.

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
HAS_TORCH = importlib.util.find_spec("torch") is not None
NUMBER = r"\d+\.\d+"


def cpu_model():
    """The CPU's model name in /proc/cpuinfo, or None (the header then names no model)."""
    try:
        with open("/proc/cpuinfo") as f:
            match = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
    except OSError:
        return None
    return match.group(1).strip() if match else None


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
        cls.out = cls.proc.stdout

    def section(self, title):
        """The lines of the Markdown table that follows the paragraph starting `title`."""
        start = self.out.index(title)
        lines = self.out[start:].splitlines()[2:]
        table = []
        for line in lines:
            if not line.startswith("|"):
                break
            table.append(line)
        self.assertGreater(len(table), 2, title)
        return table[2:]  # past the header and the alignment row

    def contender_rows(self, title):
        rows = []
        for line in self.section(title):
            match = re.fullmatch(
                rf"\| \(([\w+]+)\) ([^|]+) \| ({NUMBER}) \| ({NUMBER}|–) \| (\([\w+]+\)|–) \|",
                line,
            )
            self.assertIsNotNone(match, line)
            key, _, ms, r, to = match.groups()
            self.assertGreater(float(ms), 0.0, line)
            if to != "–":  # a ratio of two positive times; 2 decimals may round it to 0.00
                self.assertGreaterEqual(float(r), 0.0, line)
            rows.append((key, to))
        return rows

    def test_exits_cleanly(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr[-3000:])

    def test_update_table(self):
        rows = self.contender_rows("**MLP GAN 2-128-128, batch 64: one step fed a NumPy batch**")
        self.assertEqual(
            rows,
            [
                ("a", "–"),
                ("c", "(a)"),
                ("a+check", "(a)"),
                ("c1", "(a)"),
                ("c0", "(a)"),
                ("a0", "(a)"),
            ],
        )

    def test_run_table(self):
        rows = self.section("**MLP GAN 2-128-128, batch 64: run() against the hand loop (b)**")
        configs = []
        for line in rows:
            cells = [c.strip() for c in line.strip("|").split("|")]
            self.assertEqual(len(cells), 7, line)
            n_iter, n_critic, every, repeats = cells[:4]
            configs.append((int(n_iter), n_critic))
            self.assertEqual(int(every), max(1, int(n_iter) // 100))
            self.assertGreater(int(repeats), 0)
            for cell in cells[4:]:
                self.assertGreater(float(cell), 0.0, line)
        self.assertEqual(sorted({c for _, c in configs}), ["5", "–"])  # n_critic 5 and None
        self.assertEqual(len(configs), 4)

    def test_other_table(self):
        rows = self.contender_rows("**MLP GAN 2-128-128, batch 64: run(n_iter=")
        expected = [("b", "–"), ("d", "(b)"), ("b+check", "(b)"), ("b+objcheck", "(b)")]
        expected.append(("b+sum", "(b)"))
        for key in ("xla", "bf16", "f16"):
            expected += [(f"b+{key}", "–"), (f"d+{key}", f"(b+{key})")]
        expected.append(("e", "(d)"))
        if HAS_TORCH:
            expected += [("f", "(d)"), ("f1", "(d)")]  # --quick skips torch.compile
        self.assertEqual(rows, expected)

    def test_scale_table(self):
        rows = self.section("**Scale: adinfer / hand-written, and peak memory**")
        self.assertEqual(len(rows), 2)  # --quick: the MLP GAN and the DCGAN at batch 64
        self.assertIn("MLP GAN 2-128-128, batch 64", rows[0])
        self.assertIn("DCGAN 28x28, batch 64", rows[1])
        for i, line in enumerate(rows):
            cells = [c.strip() for c in line.strip("|").split("|")]
            self.assertEqual(len(cells), 9, line)
            for cell in cells[1:5]:
                self.assertGreater(float(cell), 0.0, line)
            if i:  # --quick measures the memory of the MLP GAN only
                self.assertEqual(cells[6:], ["–", "–", "–"], line)
                continue
            self.assertRegex(cells[6], r"^\d+ MiB$")
            self.assertRegex(cells[7], r"^\d+ MiB$")
            self.assertGreater(float(cells[8]), 0.0)

    @unittest.skipUnless(HAS_TORCH, "PyTorch (the extra 'bench') is not installed")
    def test_torch_scale_table(self):
        rows = self.section("**Scale: PyTorch against adinfer's run()**")
        self.assertEqual(len(rows), 1)  # --quick: the DCGAN at batch 64, no torch.compile
        cells = [c.strip() for c in rows[0].strip("|").split("|")]
        self.assertEqual(cells[0], "DCGAN 28x28, batch 64")
        for cell in cells[1:4]:
            self.assertGreater(float(cell), 0.0, rows[0])
        self.assertEqual(cells[4:], ["–", "–"])

    def test_machine_memory_and_targets_described(self):
        self.assertRegex(self.out, r"Machine: .+ cores.*; Python 3\.\d+\.\d+, TensorFlow \d+\.\d+")
        if cpu_model():
            self.assertIn(f"Machine: {cpu_model()}", self.out)
        self.assertIn("No GPU", self.out)
        self.assertRegex(self.out, rf"Load average \(1/5/15 min\) at start {NUMBER}/")
        self.assertRegex(self.out, r"run\(\) .+ MiB at 20 steps, .+ MiB at 40 steps")
        targets = self.out[self.out.index("**Targets**") :].split("Ratios:")[0]
        bullets = [line for line in targets.splitlines() if line.startswith("- ")]
        self.assertEqual(len(bullets), 4 if HAS_TORCH else 3)
        for line in bullets:
            self.assertRegex(line, r": (met|missed)")

    def test_ratios_are_the_last_lines(self):
        tail = self.out.strip().splitlines()
        lines = tail[tail.index("Ratios:") + 1 :]
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, rf"^ratio .+ = {NUMBER}$")
            self.assertGreater(float(line.rsplit("=", 1)[1]), 0.0)
        for what in ("update()/(a)", "run(n_iter=", "(b+check)/(b)", "memory growth"):
            self.assertTrue(any(what in line for line in lines), what)
        self.assertTrue(lines[-1].startswith("ratio memory adinfer/hand"))

    def test_quick_run_leaves_results_alone(self):
        with open(RESULTS) as f:
            self.assertEqual(f.read(), self.results_before)


if __name__ == "__main__":
    unittest.main()
