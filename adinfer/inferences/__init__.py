from adinfer.inferences.inference import Inference
from adinfer.inferences.gan import GANInference
from adinfer.inferences.bigan import BiGANInference
from adinfer.inferences.wgan import WGANInference
from adinfer.inferences.implicit_klqp import ImplicitKLqp
