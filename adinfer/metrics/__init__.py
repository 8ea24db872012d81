"""Sample-quality metrics for generative models, exact and offline.

Which question each answers:

* fidelity (are the samples like real ones?): :func:`precision_recall`'s
  precision, :func:`density_coverage`'s density;
* diversity (do they cover what is real?): recall, coverage,
  :func:`mode_coverage` on toy mixtures;
* both in one number: :func:`frechet_distance` (FID with Inception features),
  :func:`kernel_distance` (KID), :func:`sliced_wasserstein_distance` (on
  images), :func:`classifier_score` (Inception score).

Features come from any network you have; :func:`inception_features` computes
Inception-v3 pool features from a weights file on disk, and nothing here ever
downloads anything. :class:`FrechetDistance` and :class:`KernelDistance`
accumulate batch by batch (with :func:`sample_and_run`, or inside
``inference.run(evaluate=...)``), so 50,000 generated samples are evaluated
without holding them; both subclass :class:`StreamingDistance`.

Return conventions:

* The distribution metrics -- :func:`frechet_distance`,
  :func:`frechet_distance_from_samples`, :func:`kernel_distance`,
  :func:`classifier_score`, :func:`classifier_score_and_std`,
  :func:`precision_recall`, :func:`density_coverage`,
  :func:`sliced_wasserstein_distance` and the accumulators' ``result()`` --
  compute in ``float64`` and return scalar ``tf.Tensor``\\ s of dtype
  ``tf.float64`` (as TF-GAN does); use ``float(x)`` or ``x.numpy()`` to get
  Python/NumPy values. Pairs are Python tuples (named tuples for
  :class:`PrecisionRecall` and :class:`DensityCoverage`) of such scalars.
* :func:`mode_coverage` is NumPy-based and returns a :class:`ModeCoverage`
  dataclass of Python / NumPy values.
* :func:`sample_and_run` returns the concatenated outputs of ``fn`` with
  ``fn``'s structure (``tf.Tensor`` leaves stay tensors, NumPy leaves stay
  arrays), or None when ``fn`` returns None.
* :func:`image_grid` and :func:`to_uint8` return NumPy arrays,
  :func:`save_image_grid` the path of the PNG it wrote; :func:`inception_features` and
  :func:`inception_inputs` float32 tensors.

Bad input raises ``TypeError`` (wrong type / dtype) or ``ValueError`` (wrong
rank, mismatched feature dimensions, too few samples, NaN or Inf, ...), naming
the offending argument in `adinfer.validate`'s style ("<name> must be
<expected>, got <given>."). Shape checks are done on static shapes; in graph
mode with unknown shapes the rank and sample-count checks of
:func:`frechet_distance` and :func:`classifier_score` become runtime
assertions.
"""

from adinfer.metrics.classifier import classifier_score, classifier_score_and_std
from adinfer.metrics.frechet import (
    FrechetDistance,
    frechet_distance,
    frechet_distance_from_samples,
)
from adinfer.metrics.image_files import save_image_grid, to_uint8
from adinfer.metrics.images import image_grid
from adinfer.metrics.inception import inception_features, inception_inputs
from adinfer.metrics.kernel import KernelDistance, kernel_distance
from adinfer.metrics.manifold import (
    DensityCoverage,
    PrecisionRecall,
    density_coverage,
    precision_recall,
)
from adinfer.metrics.mixtures import ModeCoverage, mode_coverage
from adinfer.metrics.sampling import sample_and_run
from adinfer.metrics.sliced_wasserstein import laplacian_pyramid, sliced_wasserstein_distance
from adinfer.metrics.streaming import StreamingDistance

__all__ = [
    "frechet_distance",
    "frechet_distance_from_samples",
    "FrechetDistance",
    "kernel_distance",
    "KernelDistance",
    "StreamingDistance",
    "precision_recall",
    "PrecisionRecall",
    "density_coverage",
    "DensityCoverage",
    "sliced_wasserstein_distance",
    "laplacian_pyramid",
    "inception_features",
    "inception_inputs",
    "classifier_score",
    "classifier_score_and_std",
    "ModeCoverage",
    "mode_coverage",
    "sample_and_run",
    "image_grid",
    "to_uint8",
    "save_image_grid",
]
