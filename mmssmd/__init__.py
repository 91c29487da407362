"""mmssmd: SSMD, semi-supervised medical image detection, on MMDetection 3.x.

Importing the package registers its modules in mmdet's registries, and lets
``torch.load`` read mmengine checkpoints under torch >= 2.6.
"""
from .utils import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from . import visualization  # noqa: E402,F401

__all__ = ['__version__']
