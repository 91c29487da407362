"""Train a detector with an mmssmd (or plain mmdet) config.

The arguments are those of MMDetection's ``tools/train.py``. Differences: the
``mmssmd`` modules are registered before the config is read, and on machines
without CUDA a distributed launch (``tools/dist_train.sh``) uses ``gloo``.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Any, Iterator, List, Optional

import torch
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, DictAction
from mmengine.dist import get_rank
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmssmd  # noqa: F401  (registers modules, checkpoint safe globals)
from mmssmd.utils import (PretrainedWeightsUnavailable, destroy_process_group,
                          keep_freed_host_memory, setup_cpu_distributed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def keys_holding(value: Any, node: Any, prefix: str = '') -> Iterator[str]:
    """Dotted config keys whose value is ``value`` (lists by index)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, (list, tuple)) else ()
    for key, child in items:
        path = f'{prefix}.{key}' if prefix else str(key)
        if child == value:
            yield path
        else:
            yield from keys_holding(value, child, path)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if (args.resume not in (None, 'auto') and '://' not in args.resume
            and not osp.isfile(args.resume)):
        raise SystemExit(f'error: --resume checkpoint {args.resume} not '
                         'found (--resume without a path resumes from the '
                         'latest checkpoint of the work dir)')
    setup_cache_size_limit_of_dynamo()
    if not torch.cuda.is_available() and keep_freed_host_memory():
        # CPU training re-allocates its activations every step; glibc would
        # page-fault them anew (docs/benchmarks.md: SSMD + IAP 22% faster)
        print_log('host memory: freed memory stays in the process (glibc '
                  'mallopt, keep_freed_host_memory)', logger='current')

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')

    # resume: an explicit checkpoint > the latest one in work_dir
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    setup_cpu_distributed(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    try:
        runner.train()
    except PretrainedWeightsUnavailable as error:
        # one line from rank 0 instead of a network stack trace per rank
        keys = list(keys_holding(f'torchvision://{error.name}', cfg.model,
                                 'model'))
        if get_rank() == 0:
            print(f'error: {error.hint(keys[0]) if keys else error}',
                  file=sys.stderr, flush=True)
        raise SystemExit(1)
    finally:
        destroy_process_group()


if __name__ == '__main__':
    main()
