"""benchmarks/inference_quality.py (issue 29): the toy's exact-posterior score,
the 1-NN accuracy, the section writer, the toy part's `--quick` run in this
process; and benchmarks/quality.py's `--merge` of one method's rows."""

import os
import re
import sys
import tempfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import inference_quality as iq  # noqa: E402
import quality  # noqa: E402


def test_toy_inception_score_is_exact():
    # Equally many samples on each mean: a one-hot posterior, a uniform marginal.
    assert iq.toy_inception_score(np.repeat(iq.TOY_MEANS, 20, axis=0)) == pytest.approx(5.0, 1e-6)
    # All on one mode: 1.
    assert iq.toy_inception_score(np.repeat(iq.TOY_MEANS[:1], 50, axis=0)) == pytest.approx(1.0)
    # Half-way between (0, 0) and (2, 2): every posterior (1/2, 1/2), so 1 again.
    assert iq.toy_inception_score(np.ones((30, 2), np.float32)) == pytest.approx(1.0, 1e-6)
    # Two modes, each sample certain: 2.
    two = np.concatenate([np.repeat(iq.TOY_MEANS[1:2], 25, 0), np.repeat(iq.TOY_MEANS[2:3], 25, 0)])
    assert iq.toy_inception_score(two) == pytest.approx(2.0, 1e-6)


def test_one_nn_accuracy():
    f_train = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    y_train = np.array([0, 1, 2])
    f_test = np.array([[1.0, 1.0], [9.0, 1.0], [1.0, 9.0], [6.0, 0.0]])
    assert iq.one_nn_accuracy(f_train, y_train, f_test, np.array([0, 1, 2, 0])) == 0.75


def test_write_results_rewrites_only_its_parts():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "RESULTS.md")
        with open(path, "w") as f:
            f.write("# Results\n\n## Other\nkeep me\n")
        iq.write_results({"toy": "toy table\n"}, path)
        iq.write_results({"fmnist": "fmnist table\n"}, path)
        iq.write_results({"toy": "new toy table\n"}, path)
        with open(path) as f:
            text = f.read()
    assert "keep me" in text and "new toy table" in text and "fmnist table" in text
    assert "toy table\n" not in text.replace("new toy table\n", "")
    assert text.count("<!-- inference-quality:start -->\n## Inference quality") == 1
    assert "_grid: not measured yet._" in text


OLD_PART = """Measured then.
Command: `python benchmarks/quality.py --only grid`; seeds 0, 1.

| data set | method | modes covered | high-quality % | reverse KL | wall time (s) |
|---|---|---|---|---|---|
| grid (25 modes) | GAN | 24.60 ± 0.24 | 88.49 ± 1.15 | 0.25 ± 0.07 | 157.8 |
| grid (25 modes) | GAN + EMA | 24.60 ± 0.24 | 88.28 ± 1.40 | 0.25 ± 0.07 | 157.8 |
| grid (25 modes) | GAN (pack 2) | 24.40 ± 0.24 | 92.39 ± 1.00 | 0.11 ± 0.03 | 122.4 |
| grid (25 modes) | GAN (pack 2) + EMA | 24.20 ± 0.37 | 92.58 ± 0.99 | 0.11 ± 0.03 | 122.4 |
| grid (25 modes) | BiGAN | 24.20 ± 0.80 | 88.38 ± 1.74 | 0.15 ± 0.06 | 398.6 |

| row | modes covered | high-quality % | reverse KL | updates |
|---|---|---|---|---|
| PacGAN4 (Lin et al., 2018) | 24.8 | 93.6 | - | 400,000 |
| GAN (pack 2) (here) | 24.40 | 92.39 | 0.11 | 36,000 |
"""
NEW_PART = """Measured now.
Command: `python benchmarks/quality.py --only grid --methods GAN (pack 4) --merge`.

| data set | method | modes covered | high-quality % | reverse KL | wall time (s) |
|---|---|---|---|---|---|
| grid (25 modes) | GAN (pack 4) | 25.00 ± 0.00 | 94.00 ± 0.50 | 0.02 ± 0.01 | 130.0 |
| grid (25 modes) | GAN (pack 4) + EMA | 25.00 ± 0.00 | 94.50 ± 0.50 | 0.02 ± 0.01 | 130.0 |

| row | modes covered | high-quality % | reverse KL | updates |
|---|---|---|---|---|
| PacGAN4 (Lin et al., 2018) | 24.8 | 93.6 | - | 400,000 |
| GAN (pack 4) + EMA (here) | 25.00 | 94.50 | 0.02 | 36,000 |
"""


def test_quality_merge_keeps_other_rows():
    merged = quality.merge_part(OLD_PART, NEW_PART, ["GAN (pack 4)"]).splitlines()
    methods = [line.split("|")[2].strip() for line in merged if line.startswith("| grid")]
    assert methods == [
        "GAN",
        "GAN + EMA",
        "GAN (pack 2)",
        "GAN (pack 2) + EMA",
        "GAN (pack 4)",
        "GAN (pack 4) + EMA",
        "BiGAN",
    ]
    assert merged[2] == "Rows GAN (pack 4), GAN (pack 4) + EMA: Measured now."
    assert merged[0] == "Measured then."  # the other rows' run is still described
    here = [line for line in merged if "(here)" in line]
    assert here == [
        "| GAN (pack 2) (here) | 24.40 | 92.39 | 0.11 | 36,000 |",
        "| GAN (pack 4) + EMA (here) | 25.00 | 94.50 | 0.02 | 36,000 |",
    ]
    assert sum("PacGAN4" in line for line in merged) == 1


def test_quality_merge_again_replaces_its_run_lines_and_takes_the_description():
    """A second merge of the same rows replaces the first merge's "Rows ...:"
    lines (not kept beside them) and the part's description paragraph."""
    old = OLD_PART.replace(
        "Command: `python benchmarks/quality.py --only grid`; seeds 0, 1.\n",
        "Command: `python benchmarks/quality.py --only grid`; seeds 0, 1.\n\n"
        "**Mode coverage, grid** — GAN (pack 4) at batch 256.\n",
    )
    new = NEW_PART.replace(
        "--merge`.\n", "--merge`.\n\n**Mode coverage, grid** — GAN (pack 4) at batch 512.\n"
    )
    once = quality.merge_part(old, new, ["GAN (pack 4)"])
    twice = quality.merge_part(
        once, new.replace("Measured now.", "Measured later."), ["GAN (pack 4)"]
    )
    lines = twice.splitlines()
    rows_lines = [line for line in lines if line.startswith("Rows GAN (pack 4)")]
    assert rows_lines == [
        "Rows GAN (pack 4), GAN (pack 4) + EMA: Measured later.",
        "Rows GAN (pack 4), GAN (pack 4) + EMA: Command: "
        "`python benchmarks/quality.py --only grid --methods GAN (pack 4) --merge`.",
    ]
    described = [line for line in lines if line.startswith("**Mode coverage")]
    assert described == ["**Mode coverage, grid** — GAN (pack 4) at batch 512."]
    assert sum("| grid (25 modes) | GAN (pack 4) |" in line for line in lines) == 1


@pytest.mark.slow  # 4 small networks built and traced: ~10 s on a quiet machine
def test_toy_part_quick(capsys):
    """The toy part's smoke run (every row, 3 updates) prints a well-formed table."""
    iq.main(["--quick", "--only", "toy", "--n-iter", "3"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    rows = [
        line
        for line in lines
        if line.startswith("| ") and line.split("|")[1].strip() in iq.TOY_ROWS
    ]
    assert [r.split("|")[1].strip() for r in rows] == list(iq.TOY_ROWS)
    assert any(
        line.startswith("| ALICE (Li et al., 2017), λ = 1 | 0.022 ± 0.029") for line in lines
    )
    number = r"-?\d+\.\d+ ± \d+\.\d+"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 8, row
        for c in cells[1:7]:
            assert re.fullmatch(number, c), row
        assert 1.0 - 1e-6 <= float(cells[6].split(" ±")[0]) <= 5.0 + 1e-6  # inception score
        assert 0 <= float(cells[4].split(" ±")[0]) <= 5  # modes
    assert "`python benchmarks/inference_quality.py --quick --only toy --n-iter 3`" in out
