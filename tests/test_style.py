"""The tree keeps one style: `ruff format --check` and `ruff check` are clean.

Run `ruff format . && ruff check --fix .` to fix what this test reports.
"""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ruff():
    """The ruff of this environment (the `test` extra installs it)."""
    exe = os.path.join(os.path.dirname(sys.executable), "ruff")
    return exe if os.path.exists(exe) else shutil.which("ruff")


@pytest.mark.parametrize(
    "args", [("format", "--check", "--diff"), ("check", "--output-format", "concise")]
)
def test_ruff(args):
    ruff = _ruff()
    assert ruff is not None, 'ruff is missing: pip install -e ".[test]"'
    result = subprocess.run(
        [ruff, *args, "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"`ruff {' '.join(args)} .` failed; run `ruff format . && ruff check --fix .`\n"
        + result.stdout[-5000:]
        + result.stderr[-2000:]
    )
