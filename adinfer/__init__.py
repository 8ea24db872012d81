"""adinfer: adversarial inference in TensorFlow 2, the successor of Edward's
GAN inferences and of TF-GAN.
"""

from adinfer import datasets, losses, metrics
from adinfer.data import Placeholder, placeholder
from adinfer.inferences import (
    BiGANInference,
    GANInference,
    ImplicitKLqp,
    Inference,
    LatentInference,
    WGANInference,
)
from adinfer.inferences.inference import NonFiniteError
from adinfer.scopes import add_loss, clear_losses, scope

__version__ = "0.1.0"

__all__ = [
    "BiGANInference",
    "GANInference",
    "ImplicitKLqp",
    "Inference",
    "LatentInference",
    "NonFiniteError",
    "WGANInference",
    "Placeholder",
    "add_loss",
    "clear_losses",
    "datasets",
    "losses",
    "metrics",
    "placeholder",
    "scope",
]
