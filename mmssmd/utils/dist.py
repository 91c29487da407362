"""Distributed launch on machines without CUDA.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` (which
raises on a CPU build of torch) and ``Runner.wrap_model`` passes
``device_ids=[LOCAL_RANK]`` to DDP (which DDP rejects for CPU modules). With
these two adjustments ``tools/dist_train.sh`` and ``tools/dist_test.sh`` run
with the ``gloo`` backend on CPU-only machines instead of failing. The
``slurm`` launcher (``tools/slurm_train.sh``) is handled the same way: its
``SLURM_*`` variables are read as mmengine's ``_init_dist_slurm`` reads them
(which also calls ``torch.cuda.set_device``).
"""
import os
import re
import shutil
import subprocess

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
    if launcher not in ('pytorch', 'slurm'):
        raise RuntimeError(
            f'launcher {launcher!r} needs CUDA; on a CPU-only machine use '
            "tools/dist_train.sh (torchrun, launcher 'pytorch') or "
            "tools/slurm_train.sh (launcher 'slurm').")
    if launcher == 'slurm':
        slurm_to_torch_env()
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


def slurm_to_torch_env() -> None:
    """Set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
    ``MASTER_PORT`` from Slurm's variables, as mmengine's
    ``_init_dist_slurm`` does.

    ``SLURM_PROCID`` -> rank, ``SLURM_NTASKS`` -> world size,
    ``SLURM_LOCALID`` -> local rank (default: the rank), the first host of
    ``SLURM_NODELIST`` (``scontrol show hostname``; a single plain host
    name is used as is) -> ``MASTER_ADDR`` unless set, ``MASTER_PORT``
    29500 unless set.

    Raises:
        RuntimeError: A Slurm variable is missing, or the master address
            cannot be found.
    """
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f"launcher 'slurm' needs {', '.join(missing)} "
                           '(run it with srun, e.g. tools/slurm_train.sh)')
    rank = os.environ['SLURM_PROCID']
    os.environ['RANK'] = rank
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', rank)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = first_slurm_host(
            os.environ['SLURM_NODELIST'])


def first_slurm_host(node_list: str) -> str:
    """The first host of a Slurm node list (``scontrol show hostname``)."""
    if re.fullmatch(r'[\w.-]+', node_list):
        return node_list
    if shutil.which('scontrol'):
        hosts = subprocess.run(['scontrol', 'show', 'hostname', node_list],
                               capture_output=True, text=True).stdout.split()
        if hosts:
            return hosts[0]
    raise RuntimeError(f'cannot resolve the first host of SLURM_NODELIST='
                       f'{node_list!r} (no scontrol); set MASTER_ADDR')


def destroy_process_group() -> None:
    """Destroy the default process group, if one was initialised.

    Called when a tool finishes: gloo's threads must stop before the
    interpreter exits, otherwise a rank can abort at exit ('terminate called
    without an active exception', seen with 2-process CPU runs of both
    ``tools/train.py`` and ``tools/test.py``).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
