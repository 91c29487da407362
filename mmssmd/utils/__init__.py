from .checkpoint import (checkpoint_safe_globals,
                         register_checkpoint_safe_globals)
from .dist import destroy_process_group, setup_cpu_distributed
from .dsb_rle import rle_decode, rle_encode
from .host_memory import keep_freed_host_memory
from .io import atomic_write_json, atomic_write_many
from .torchvision_weights import (PretrainedWeightsUnavailable,
                                  load_from_torchvision,
                                  torchvision_model_urls)

__all__ = [
    'checkpoint_safe_globals', 'register_checkpoint_safe_globals',
    'setup_cpu_distributed', 'destroy_process_group', 'rle_decode',
    'rle_encode', 'keep_freed_host_memory',
    'atomic_write_json', 'atomic_write_many',
    'PretrainedWeightsUnavailable', 'load_from_torchvision',
    'torchvision_model_urls'
]
