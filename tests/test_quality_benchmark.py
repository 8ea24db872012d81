"""Smoke test of benchmarks/quality.py: `--quick` runs and prints a well-formed
table, and leaves RESULTS.md alone."""

import math
import os
import re
import subprocess
import sys
import unittest

import pytest

pytestmark = pytest.mark.slow  # runs the quality benchmark's smoke mode in a subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "quality.py")
RESULTS = os.path.join(ROOT, "benchmarks", "RESULTS.md")

NUMBER = r"(-?\d+(?:\.\d+)?|nan|inf)"  # inf: the reverse KL of a run that covers no mode
PM = re.compile(rf"^{NUMBER} ± {NUMBER}$")
TOY_MODES = {"ring": 8, "grid": 25}
METHODS = ("GAN", "GAN (pack 2)", "GAN (pack 4)", "BiGAN", "BiGAN (pack 2)", "WGAN-GP")
ROWS = METHODS + tuple(m + " + EMA" for m in METHODS)  # raw and averaged weights, same runs
DIGIT_ROWS = ("GAN", "GAN + EMA", "GAN + DiffAugment", "GAN + DiffAugment + EMA")


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def mean_pm(cell):
    match = PM.match(cell)
    if match is None:
        raise AssertionError(f"not 'mean ± se': {cell!r}")
    return float(match.group(1)), float(match.group(2))


class QualityBenchmarkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(RESULTS) as f:
            cls.results_before = f.read()
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        cls.proc = subprocess.run(
            [sys.executable, SCRIPT, "--quick"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        cls.lines = cls.proc.stdout.splitlines()

    def rows(self, header_start):
        """Data rows of every table whose header begins with `header_start`
        (the ring and the grid each have their own part and table)."""
        rows, found = [], False
        for i, line in enumerate(self.lines):
            if line.startswith(header_start):
                found = True
                self.assertTrue(re.match(r"^\|(---\|)+$", self.lines[i + 1]), self.lines[i + 1])
                for row in self.lines[i + 2 :]:
                    if not row.startswith("|"):
                        break
                    rows.append(cells(row))
        if not found:
            self.fail(
                f"no table {header_start!r} in:\n{self.proc.stdout}\n{self.proc.stderr[-3000:]}"
            )
        return rows

    def test_exits_cleanly(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr[-3000:])

    def test_describes_machine_and_command(self):
        self.assertRegex(self.proc.stdout, r"\d+ CPU cores")
        self.assertRegex(self.proc.stdout, r"load average \d+\.\d+ at start, \d+\.\d+ at end")
        self.assertRegex(self.proc.stdout, r"TensorFlow \d+\.\d+")
        self.assertIn("`python benchmarks/quality.py --quick`", self.proc.stdout)

    def test_mode_coverage_table(self):
        rows = self.rows("| data set | method | modes covered |")
        seen = set()
        for row in rows:
            self.assertEqual(len(row), 6, row)
            task = row[0].split()[0]
            self.assertIn(task, TOY_MODES)
            self.assertIn(row[1], ROWS)
            seen.add((task, row[1]))
            if row[2] == "not available":
                self.assertTrue(row[1].startswith("WGAN-GP"), row)
                continue
            self.assertEqual(row[0], f"{task} ({TOY_MODES[task]} modes)")
            modes, modes_se = mean_pm(row[2])
            self.assertTrue(0 <= modes <= TOY_MODES[task], row)
            self.assertEqual(modes, round(modes), row)  # one seed: an integer count
            self.assertEqual(modes_se, 0.0)
            quality, _ = mean_pm(row[3])
            self.assertTrue(0.0 <= quality <= 100.0, row)
            reverse_kl, _ = mean_pm(row[4])
            if modes > 0:
                # KL(p || uniform over K) lies in [0, log K]; the table rounds to 0.01.
                self.assertTrue(0.0 <= reverse_kl <= round(math.log(TOY_MODES[task]), 2), row)
            self.assertGreater(float(row[5]), 0.0)
        self.assertEqual(seen, {(t, m) for t in TOY_MODES for m in ROWS})

    def test_parts_have_headers(self):
        # One part per data set, each stating its own command, seeds and budget.
        for task in ("ring", "grid"):
            self.assertIn(f"**Mode coverage, {task}**", self.proc.stdout)
        self.assertEqual(
            self.proc.stdout.count("Command: `python benchmarks/quality.py --quick`"), 3
        )
        self.assertEqual(self.proc.stdout.count("budget: "), 3)

    def test_digits_table(self):
        rows = self.rows("| samples vs held-out | Frechet distance |")
        self.assertEqual(len(rows), 1 + len(DIGIT_ROWS), rows)
        floor, gans = rows[0], rows[1:]
        self.assertTrue(floor[0].startswith("real train split vs held-out"), floor)
        self.assertEqual([g[0].split(",")[0] for g in gans], list(DIGIT_ROWS))
        for row in rows:
            self.assertEqual(len(row), 5, row)
            fd = float(row[1].split(" ± ")[0])
            self.assertGreaterEqual(fd, 0.0)
            kd = float(row[2].split(" ± ")[0])
            self.assertTrue(-1.0 < kd < 1e4, row)
            cs = float(row[3].split(" ± ")[0])
            self.assertTrue(1.0 - 1e-6 <= cs <= 10.0 + 1e-6, row)
        for gan in gans:
            self.assertGreater(float(gan[4]), 0.0)

    def test_quick_run_leaves_results_alone(self):
        with open(RESULTS) as f:
            self.assertEqual(f.read(), self.results_before)


class WriteResultsTest(unittest.TestCase):
    """`--only TASK` rewrites TASK's part of the quality section and nothing else."""

    def test_parts_are_rewritten_alone(self):
        import importlib.util
        import tempfile

        spec = importlib.util.spec_from_file_location("quality_under_test", SCRIPT)
        quality = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(quality)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "RESULTS.md")
            before = "# Results\n\n<!-- quality:start -->\nold\n<!-- quality:end -->\n\n<!-- speed:start -->\nS\n<!-- speed:end -->\n"
            with open(path, "w") as f:
                f.write(before)
            quality.RESULTS = path
            quality.write_results({"ring": "ring 1\n"})
            quality.write_results({"digits": "digits 1\n"})
            quality.write_results({"ring": "ring 2\n"})
            with open(path) as f:
                text = f.read()
        self.assertIn("<!-- quality-ring:start -->\nring 2\n<!-- quality-ring:end -->", text)
        self.assertNotIn("ring 1", text)
        self.assertIn("<!-- quality-digits:start -->\ndigits 1\n<!-- quality-digits:end -->", text)
        self.assertIn("<!-- quality-grid:start -->", text)
        self.assertNotIn("old", text)
        self.assertTrue(text.endswith("<!-- speed:start -->\nS\n<!-- speed:end -->\n"), text)


class ResultsSectionTest(unittest.TestCase):
    """benchmarks/_results.py, the section writer all four scripts share."""

    @classmethod
    def setUpClass(cls):
        import importlib.util

        path = os.path.join(ROOT, "benchmarks", "_results.py")
        spec = importlib.util.spec_from_file_location("results_under_test", path)
        cls.results = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.results)

    def test_marked_section(self):
        r = self.results
        text = "# R\n\n<!-- a:start -->\nold\n<!-- a:end -->\n\ntail\n"
        self.assertEqual(
            r.replace_between(text, r.markers("a"), "new\n\n"),
            "# R\n\n<!-- a:start -->\nnew\n<!-- a:end -->\n\ntail\n",
        )
        self.assertEqual(  # a missing section is appended
            r.replace_between("# R\n", r.markers("b"), "B"),
            "# R\n\n<!-- b:start -->\nB\n<!-- b:end -->\n",
        )
        self.assertEqual(  # a function of the old content
            r.replace_between(text, r.markers("a"), lambda old: old.upper()),
            text.replace("\nold\n", "\nOLD\n"),
        )

    def test_heading_section_stops_at_the_next_marker(self):
        r = self.results
        text = (
            "# R\n\n## Checkpoint cost\n\nold\n\n"
            "<!-- distribute:start -->\n## tf.distribute cost\nD\n<!-- distribute:end -->\n"
        )
        new = r.replace_between(text, ("## Checkpoint cost", None), "\nnew\n")
        self.assertEqual(new, text.replace("\nold\n", "\nnew\n"))
        last = "# R\n\n## Checkpoint cost\n\nold\n"
        self.assertEqual(
            r.replace_between(last, ("## Checkpoint cost", None), "\nnew"), last[:-4] + "new\n"
        )

    def test_machine_names_the_cpu(self):
        line = self.results.machine()
        self.assertRegex(line, r"^.+, \d+ (of \d+ )?CPU cores, .*; Python 3\.\d+\.\d+, TensorFlow ")
        self.assertTrue(line.startswith(self.results.cpu()), line)


if __name__ == "__main__":
    unittest.main()
