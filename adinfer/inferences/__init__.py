from adinfer.inferences.acgan import ACGANInference
from adinfer.inferences.alice import ALICEInference
from adinfer.inferences.bigan import BiGANInference
from adinfer.inferences.cyclegan import CycleGANInference
from adinfer.inferences.gan import GANInference
from adinfer.inferences.implicit_klqp import ImplicitKLqp
from adinfer.inferences.inference import Inference
from adinfer.inferences.infogan import InfoGANInference
from adinfer.inferences.latent import LatentInference
from adinfer.inferences.stargan import StarGANInference
from adinfer.inferences.wgan import WGANInference

__all__ = [
    "ACGANInference",
    "ALICEInference",
    "BiGANInference",
    "CycleGANInference",
    "GANInference",
    "ImplicitKLqp",
    "InfoGANInference",
    "Inference",
    "LatentInference",
    "StarGANInference",
    "WGANInference",
]
