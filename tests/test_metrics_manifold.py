"""precision_recall and density_coverage against the reference implementation
`prdc` (Naeem et al.'s own package, PyPI 0.2), and at the edges."""

import contextlib
import io

import numpy as np
import prdc
import pytest
import tensorflow as tf

from adinfer import metrics


def reference(real, fake, k):
    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the set sizes
        return prdc.compute_prdc(real, fake, nearest_k=k)


def feature_sets(seed, n, m, d):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    real = rng.normal(size=(n, d)) @ mixing
    fake = 1.2 * rng.normal(size=(m, d)) @ mixing + 0.3
    return real, fake


SIZES = [(0, 8, 11, 2), (1, 60, 45, 5), (2, 300, 200, 16), (3, 700, 900, 32)]


@pytest.mark.parametrize("seed, n, m, d", SIZES)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_equal_to_prdc(seed, n, m, d, k):
    real, fake = feature_sets(seed, n, m, d)
    expected = reference(real, fake, k)
    precision, recall = metrics.precision_recall(real, fake, k=k)
    density, coverage = metrics.density_coverage(real, fake, k=k)
    for value in (precision, recall, density, coverage):
        assert isinstance(value, tf.Tensor) and value.dtype == tf.float64 and value.shape == ()
    np.testing.assert_allclose(float(precision), expected["precision"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(float(recall), expected["recall"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(float(density), expected["density"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(float(coverage), expected["coverage"], rtol=0, atol=1e-6)


def test_blocks_of_any_size_give_the_same_values():
    real, fake = feature_sets(4, 97, 131, 6)
    expected = reference(real, fake, 3)
    for batch_size in (1, 7, 96, 97, 1000):
        pr = metrics.precision_recall(real, fake, batch_size=batch_size)
        dc = metrics.density_coverage(real, fake, k=3, batch_size=batch_size)
        np.testing.assert_allclose(
            [float(pr.precision), float(pr.recall), float(dc.density), float(dc.coverage)],
            [expected[key] for key in ("precision", "recall", "density", "coverage")],
            rtol=0,
            atol=1e-6,
        )


def test_float32_input_and_a_large_common_offset():
    """Distances do not change under a shift: features offset by 1e4 (float64)
    give prdc's values for the unshifted ones, and float32 features prdc's
    values for the same numbers in float64."""
    real, fake = feature_sets(5, 200, 250, 8)
    expected = reference(real, fake, 5)
    dc = metrics.density_coverage(real + 1e4, fake + 1e4)
    assert float(dc.density) == pytest.approx(expected["density"], abs=1e-6)
    assert float(dc.coverage) == pytest.approx(expected["coverage"], abs=1e-6)
    real32, fake32 = real.astype(np.float32), fake.astype(np.float32)
    expected = reference(real32.astype(np.float64), fake32.astype(np.float64), 3)
    pr = metrics.precision_recall(tf.constant(real32), fake32)
    assert float(pr.precision) == pytest.approx(expected["precision"], abs=1e-6)
    assert float(pr.recall) == pytest.approx(expected["recall"], abs=1e-6)


def test_identical_sets():
    real, _ = feature_sets(6, 150, 1, 10)
    precision, recall = metrics.precision_recall(real, real)
    _, coverage = metrics.density_coverage(real, real)
    assert float(precision) == 1.0 and float(recall) == 1.0 and float(coverage) == 1.0


def test_the_definitions_move_the_right_way():
    """Fakes collapsed on a few real points: high precision, low recall and
    coverage. Fakes far from every real point: precision = density = 0."""
    rng = np.random.default_rng(7)
    real = rng.normal(size=(400, 4))
    collapsed = real[:5] + 0.01 * rng.normal(size=(5, 4))
    precision, recall = metrics.precision_recall(real, np.repeat(collapsed, 20, axis=0))
    _, coverage = metrics.density_coverage(real, collapsed)
    assert float(precision) == 1.0 and float(recall) < 0.05 and float(coverage) < 0.15
    far = real + 100.0
    assert float(metrics.precision_recall(real, far).precision) == 0.0
    assert float(metrics.density_coverage(real, far).density) == 0.0


def test_bad_inputs_name_the_argument():
    real, fake = feature_sets(8, 10, 10, 3)
    with pytest.raises(ValueError, match=r"^real_features must be .*at least k \+ 1 = 4 rows"):
        metrics.precision_recall(real[:3], fake)
    with pytest.raises(ValueError, match=r"^fake_features must be .*at least k \+ 1 = 4 rows"):
        metrics.precision_recall(real, fake[:3])
    with pytest.raises(ValueError, match=r"^real_features must be .*at least k \+ 1 = 6 rows"):
        metrics.density_coverage(real[:5], fake)
    metrics.density_coverage(real, fake[:1])  # one fake sample is enough there
    with pytest.raises(ValueError, match=r"^fake_features must be .*same number of features"):
        metrics.precision_recall(real, fake[:, :2])
    with pytest.raises(ValueError, match=r"^fake_features must be .*same number of features"):
        metrics.density_coverage(real, np.zeros((10, 4)))
    with_nan = real.copy()
    with_nan[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"^real_features must be finite.*\(2, 1\)"):
        metrics.precision_recall(with_nan, fake)
    with pytest.raises(ValueError, match=r"^fake_features must be finite"):
        metrics.density_coverage(real, np.where(fake > 1, np.inf, fake))
    with pytest.raises(ValueError, match=r"^real_features must be a rank-2 array"):
        metrics.precision_recall(real[0], fake)
    with pytest.raises(ValueError, match=r"^k must be a positive int, got 0"):
        metrics.precision_recall(real, fake, k=0)
    with pytest.raises(TypeError, match=r"^k must be an int"):
        metrics.density_coverage(real, fake, k=2.5)
    with pytest.raises(TypeError, match=r"^fake_features must be a numeric"):
        metrics.density_coverage(real, "features")
    with pytest.raises(ValueError, match=r"^batch_size must be a positive int"):
        metrics.precision_recall(real, fake, batch_size=0)
