"""adinfer: adversarial inference in TensorFlow 2, the successor of Edward's
GAN inferences and of TF-GAN.
"""

from adinfer import augment, datasets, distribute, layers, losses, metrics
from adinfer.data import Placeholder, placeholder
from adinfer.distribute import replica_part
from adinfer.engine.schedule import GANTrainSteps
from adinfer.inferences import (
    ACGANInference,
    ALICEInference,
    BiGANInference,
    CycleGANInference,
    GANInference,
    ImplicitKLqp,
    Inference,
    InfoGANInference,
    LatentInference,
    StarGANInference,
    WGANInference,
)
from adinfer.inferences.inference import NonFiniteError
from adinfer.scopes import add_loss, clear_losses, scope

__version__ = "0.1.0"

__all__ = [
    "ACGANInference",
    "ALICEInference",
    "BiGANInference",
    "CycleGANInference",
    "GANTrainSteps",
    "GANInference",
    "ImplicitKLqp",
    "InfoGANInference",
    "Inference",
    "LatentInference",
    "StarGANInference",
    "NonFiniteError",
    "WGANInference",
    "Placeholder",
    "add_loss",
    "augment",
    "clear_losses",
    "datasets",
    "distribute",
    "layers",
    "losses",
    "metrics",
    "placeholder",
    "replica_part",
    "scope",
]
