"""Every example runs end to end (few iterations) and writes its picture."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # runs every example in a subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = {
    "gan_synthetic_data.py": ["--n-iter", "20", "--n-iter-recipe", "10"],
    "bigan_grid.py": ["--n-iter", "20"],
    "wgan_gp_ring.py": ["--n-iter", "10"],
    "bayesian_linear_regression_implicitklqp.py": ["--n-iter", "10"],
    "conditional_gan_digits.py": ["--n-iter", "20"],
    "infogan_digits.py": ["--n-iter", "20"],
    "latent_inpainting.py": ["--n-iter", "10", "--n-iter-gan", "20"],
    "pix2pix.py": ["--n-iter", "20", "--dataset", "digits"],
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_writes_png(name, tmp_path):
    script = os.path.join(ROOT, "examples", name)
    if not os.path.exists(script):
        pytest.skip(f"{name} not present")
    out = tmp_path / "figure.png"
    result = subprocess.run(
        [sys.executable, script, *EXAMPLES[name], "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert out.exists() and out.stat().st_size > 1000
    assert f"wrote {out}" in result.stdout
