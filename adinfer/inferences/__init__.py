from adinfer.inferences.inference import Inference
from adinfer.inferences.gan import GANInference
from adinfer.inferences.bigan import BiGANInference
