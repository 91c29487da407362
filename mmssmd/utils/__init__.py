from .checkpoint import (checkpoint_safe_globals,
                         register_checkpoint_safe_globals)
from .dist import setup_cpu_distributed
from .io import atomic_write_json, atomic_write_many
from .torchvision_weights import (PretrainedWeightsUnavailable,
                                  load_from_torchvision,
                                  torchvision_model_urls)

__all__ = [
    'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
    'setup_cpu_distributed', 'atomic_write_json', 'atomic_write_many',
    'PretrainedWeightsUnavailable', 'load_from_torchvision',
    'torchvision_model_urls'
]
