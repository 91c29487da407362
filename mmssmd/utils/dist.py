"""Distributed launch on machines without CUDA.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` (which
raises on a CPU build of torch) and ``Runner.wrap_model`` passes
``device_ids=[LOCAL_RANK]`` to DDP (which DDP rejects for CPU modules). With
these two adjustments ``tools/dist_train.sh`` and ``tools/dist_test.sh`` run
with the ``gloo`` backend on CPU-only machines instead of failing.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare ``cfg`` and the process group for a CPU-only multi-process run.

    Does nothing when CUDA is available or when ``launcher`` is ``'none'``.

    Args:
        cfg (Config): The full config; ``env_cfg.dist_cfg.backend`` and
            ``model_wrapper_cfg`` are updated in place.
        launcher (str): The job launcher (``'none'``, ``'pytorch'``, ...).

    Returns:
        bool: Whether the CPU/gloo set-up was applied.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher {launcher!r} needs CUDA; on a CPU-only machine use '
            "tools/dist_train.sh (torchrun, launcher 'pytorch').")
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    return True


def destroy_process_group() -> None:
    """Destroy the default process group, if one was initialised.

    Called when a tool finishes: gloo's threads must stop before the
    interpreter exits, otherwise a rank can abort at exit ('terminate called
    without an active exception', seen with 2-process CPU runs of both
    ``tools/train.py`` and ``tools/test.py``).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
