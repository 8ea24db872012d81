"""Fidelity and diversity apart: precision, recall, density and coverage beside FD.

On scikit-learn's 8x8 digits (`load_digits`, shipped with scikit-learn: nothing
is downloaded), a small classifier (an MLP trained on one half of the digits)
gives 64-d features: its hidden layer. Three stand-in "generators" are compared
with that half, in those features:

- strong: the other half of the real digits (held out);
- collapsed: held-out digits of one class only (mode collapse);
- noisy: the held-out digits under heavy pixel noise (poor samples of every class).

The Frechet distance ranks the two weak ones as bad without saying why; the
four manifold metrics say it: the collapsed set keeps high precision and
density (each sample looks real) with low recall and coverage (most of the
real digits have nothing near them), the noisy set low precision and density
(its samples lie off the real manifold). The noisy set's recall stays high: its
scattered samples have wide k-NN balls that swallow real digits, the weakness
of recall to outliers that coverage (built on the real balls only) corrects.
Runs in a few seconds on a CPU.

    python examples/metrics_digits.py [--out metrics_digits.png]
"""

import argparse
import warnings

import numpy as np

from adinfer import metrics

COLUMNS = ("frechet", "precision", "recall", "density", "coverage")


def evaluate_generators(seed=0, collapsed_class=3, noise_std=6.0):
    """{generator name: {metric: float}} and the sets, for the three stand-ins."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    digits = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits.data))
    real_idx, held_idx = order[:900], order[900:]
    pixels = digits.data / 16.0  # in [0, 1]
    real, held = pixels[real_idx], pixels[held_idx]

    classifier = MLPClassifier((64,), max_iter=300, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(real, digits.target[real_idx])

    def features(x):
        return np.maximum(x @ classifier.coefs_[0] + classifier.intercepts_[0], 0.0)

    sets = {
        "strong (held-out real)": held,
        f"collapsed (class {collapsed_class} only)": held[
            digits.target[held_idx] == collapsed_class
        ],
        f"noisy (pixel noise sd {noise_std:g}/16)": np.clip(
            held + rng.normal(scale=noise_std / 16.0, size=held.shape), 0.0, 1.0
        ),
    }
    real_features = features(real)
    rows = {}
    for name, fake in sets.items():
        fake_features = features(fake)
        precision, recall = metrics.precision_recall(real_features, fake_features, k=3)
        density, coverage = metrics.density_coverage(real_features, fake_features, k=5)
        rows[name] = {
            "n": len(fake),
            "frechet": float(metrics.frechet_distance(real_features, fake_features)),
            "precision": float(precision),
            "recall": float(recall),
            "density": float(density),
            "coverage": float(coverage),
        }
    return rows, real, sets


def format_table(rows):
    head = f"{'generator':<30} {'n':>4} " + " ".join(f"{c:>9}" for c in COLUMNS)
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        values = " ".join(f"{row[c]:>9.3f}" for c in COLUMNS)
        lines.append(f"{name:<30} {row['n']:>4} {values}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write a PNG of each set's first digits")
    args = parser.parse_args()

    rows, real, sets = evaluate_generators(args.seed)
    print("Against 900 real digits, in a 64-d MLP feature space (k = 3 for precision/recall,")
    print("k = 5 for density/coverage); frechet: Frechet distance of the features.\n")
    print(format_table(rows))
    print(
        "\nprecision, density: fidelity (are the samples like real ones?)"
        "\nrecall, coverage:   diversity (is every kind of real digit generated?)"
    )
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        named = {"real": real, **sets}
        fig, axes = plt.subplots(1, len(named), figsize=(3 * len(named), 3.3))
        for ax, (name, x) in zip(axes, named.items()):
            ax.imshow(metrics.image_grid(x[:36].reshape(-1, 8, 8), (6, 6)), cmap="gray_r")
            ax.set_title(name.split(" (")[0])
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(args.out, dpi=100)
        print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
