"""Test (and evaluate) a detector with an mmssmd (or plain mmdet) config.

The arguments are those of MMDetection's ``tools/test.py``. Differences: the
``mmssmd`` modules are registered before the config is read (so checkpoints
load under torch >= 2.6), and on machines without CUDA a distributed launch
(``tools/dist_test.sh``) uses ``gloo``.
"""
import argparse
import os
import os.path as osp
import warnings
from copy import deepcopy
from typing import List, Optional

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmdet.registry import RUNNERS
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine import ConfigDict
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

import mmssmd  # noqa: F401  (registers modules, checkpoint safe globals)
from mmssmd.utils import (atomic_write_json, destroy_process_group,
                          setup_cpu_distributed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='MMDet test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. '
        'If specified, it will be automatically saved '
        'to the work_dir/timestamp/show_dir')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
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
    parser.add_argument(
        '--metrics-out',
        help='also write the test metrics to this JSON file (atomically)')
    parser.add_argument('--tta', action='store_true')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def use_ct_window(cfg: Config) -> None:
    """Draw CT slices in the loader's HU window.

    mmdet's visualization hook reads DeepLesion's 16-bit slices as 8-bit
    colour (8 grey levels across the window); when the test pipeline loads
    them (``LoadDeepLesionSlices``), the hook becomes
    ``CTWindowVisualizationHook`` with the loader's ``hu_range``.
    """
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    loaders = [t for t in dataset.get('pipeline', [])
               if t.get('type') == 'LoadDeepLesionSlices']
    hook = cfg.default_hooks.visualization
    if loaders and hook.get('type') in ('DetVisualizationHook',
                                        'mmdet.DetVisualizationHook'):
        hook['type'] = 'CTWindowVisualizationHook'
        for key in ('hu_range', 'hu_offset'):
            if key in loaders[0]:
                hook[key] = loaders[0][key]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    # fail before building anything (the runner would only notice after
    # building the model and the datasets)
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint {args.checkpoint} not found')
    setup_cache_size_limit_of_dynamo()

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
        use_ct_window(cfg)

    if args.tta:
        if 'tta_model' not in cfg:
            warnings.warn('Cannot find ``tta_model`` in config, '
                          'we will set it as default.')
            cfg.tta_model = dict(
                type='DetTTAModel',
                tta_cfg=dict(
                    nms=dict(type='nms', iou_threshold=0.5),
                    max_per_img=cfg.model.test_cfg.get('max_per_img', 100)))
        if 'tta_pipeline' not in cfg:
            warnings.warn('Cannot find ``tta_pipeline`` in config, '
                          'we will set it as default.')
            test_data_cfg = cfg.test_dataloader.dataset
            while 'dataset' in test_data_cfg:
                test_data_cfg = test_data_cfg['dataset']
            cfg.tta_pipeline = deepcopy(test_data_cfg.pipeline)
            flip_tta = dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(type='RandomFlip', prob=1.),
                        dict(type='RandomFlip', prob=0.)
                    ],
                    [
                        dict(
                            type='PackDetInputs',
                            meta_keys=('img_id', 'img_path', 'ori_shape',
                                       'img_shape', 'scale_factor', 'flip',
                                       'flip_direction'))
                    ],
                ])
            cfg.tta_pipeline[-1] = flip_tta
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    setup_cpu_distributed(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.out is not None:
        assert args.out.endswith(('.pkl', '.pickle')), \
            'The dump file must be a pkl file.'
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))

    try:
        metrics = runner.test()
        if args.metrics_out is not None and is_main_process():
            atomic_write_json(
                {k: float(v) if isinstance(v, (int, float)) else v
                 for k, v in metrics.items()}, args.metrics_out, indent=2)
    finally:
        destroy_process_group()


if __name__ == '__main__':
    main()
