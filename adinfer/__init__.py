"""adinfer: adversarial inference in TensorFlow 2, the successor of Edward's
GAN inferences and of TF-GAN."""
from adinfer import losses
from adinfer.data import Placeholder, placeholder
from adinfer.inferences import BiGANInference, GANInference, Inference
from adinfer.scopes import add_loss, clear_losses, scope

__version__ = "0.1.0"

__all__ = ["BiGANInference", "GANInference", "Inference", "Placeholder", "add_loss",
           "clear_losses", "losses", "placeholder", "scope"]
