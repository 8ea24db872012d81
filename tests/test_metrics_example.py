"""examples/metrics_digits.py: the numbers move the way the definitions say."""

import pytest
from examples_loader import load_example, run_main


@pytest.mark.slow  # 7 s of CPU, among the costliest of the fast selection
def test_weak_and_strong_generators(tmp_path, capsys):
    out = tmp_path / "metrics_digits.png"
    rows = run_main(load_example("metrics_digits"), "--out", str(out))
    printed = capsys.readouterr().out
    assert "precision" in printed and "coverage" in printed and f"wrote {out}" in printed
    assert out.stat().st_size > 1000

    strong, collapsed, noisy = rows.values()
    # The held-out real digits: best on every count.
    assert strong["frechet"] < min(collapsed["frechet"], noisy["frechet"]) / 10
    assert strong["precision"] > 0.8 and strong["recall"] > 0.8
    assert 0.8 < strong["density"] < 1.2 and strong["coverage"] > 0.9
    # Mode collapse: faithful samples (high precision, density), little diversity.
    assert collapsed["precision"] > 0.8 and collapsed["density"] > 0.8
    assert collapsed["recall"] < 0.3 and collapsed["coverage"] < 0.3
    # Noise: samples off the real manifold (low precision, density); coverage low
    # too, while recall is inflated by the noisy samples' wide balls.
    assert noisy["precision"] < 0.3 and noisy["density"] < 0.3
    assert noisy["coverage"] < 0.3 and noisy["recall"] > collapsed["recall"]
