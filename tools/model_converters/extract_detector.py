"""Extract a plain MMDetection detector from a semi-supervised checkpoint.

Usage::

    python tools/model_converters/extract_detector.py CONFIG CHECKPOINT OUT \
        [--model student|teacher]

writes ``OUT`` (a checkpoint with the ``state_dict`` of one plain detector,
e.g. RetinaNet, SSD, Faster R-CNN or Mask R-CNN, and the source's
``meta.dataset_meta``) and, next to it, ``OUT`` with ``.py``: a plain config
for it (``mmdet.apis.init_detector`` / ``DetInferencer`` /
``tools/test.py``). Handled: SSMD, TwoStageSSMD and mmdet's
``SemiBaseDetector`` (student and teacher, ``--model`` picks one; default:
``semi_test_cfg.predict_on``), CSD and FocalMix (one network: ``--model
student`` or nothing).
"""
import argparse
import copy
import os.path as osp
import sys
from typing import Any, Dict, Iterator, List, Optional, Tuple

import torch
from mmdet.models.detectors import SemiBaseDetector
from mmdet.registry import (DATA_SAMPLERS, DATASETS, HOOKS, METRICS, MODELS,
                            TASK_UTILS, TRANSFORMS, VISUALIZERS)
from mmdet.utils import register_all_modules
from mmengine.config import Config, ConfigDict
from mmengine.runner import save_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint

import mmssmd  # noqa: F401  (registers modules, checkpoint safe globals)
from mmssmd.models.detectors import SemiSingleStageDetector

# top-level keys of the training config that the plain config keeps
KEPT_KEYS = ('default_scope', 'test_pipeline', 'test_dataloader',
             'test_evaluator', 'default_hooks', 'env_cfg', 'vis_backends',
             'visualizer', 'log_processor', 'log_level')
# keys of single-network semi-supervised detectors that RetinaNet lacks
SEMI_KEYS = ('semi_train_cfg', 'semi_test_cfg', 'consistency_loss')
PERTURBATION_PREFIX = 'backbone.perturbations.'
_REGISTRIES = (MODELS, DATASETS, TRANSFORMS, METRICS, TASK_UTILS,
               DATA_SAMPLERS, HOOKS, VISUALIZERS)


class ExtractError(Exception):
    """Bad input; the message names the file."""


def model_class(model_cfg: dict, config: str) -> type:
    """The registered class of ``model_cfg['type']`` (mmdet scope)."""
    cls = MODELS.get(model_cfg.get('type'))
    if cls is None:
        raise ExtractError(f'{config}: unknown model type '
                           f'{model_cfg.get("type")!r}')
    return cls


def plain_model_cfg(model_cfg: dict, config: str,
                    network: Optional[str]) -> Tuple[dict, str, str]:
    """The plain detector config of one network of a training model.

    Args:
        model_cfg (dict): ``cfg.model`` of the training config.
        config (str): Its path (for error messages).
        network (str, optional): ``'student'``, ``'teacher'`` or None (the
            default of the method).

    Returns:
        tuple[dict, str, str]: The detector config, the state-dict prefix
        of its weights in the training checkpoint ('' for one network) and
        the network's name.

    Raises:
        ExtractError: Unknown model type or a network the method lacks.
    """
    cls = model_class(model_cfg, config)
    if issubclass(cls, SemiBaseDetector):
        if network is None:
            network = (model_cfg.get('semi_test_cfg') or {}).get(
                'predict_on', 'student')
        detector = copy.deepcopy(model_cfg['detector'])
        prefix = f'{network}.'
    elif issubclass(cls, SemiSingleStageDetector):
        if network not in (None, 'student'):
            raise ExtractError(
                f'{config}: {cls.__name__} trains one network; --model '
                f'{network} does not exist (use student or leave it out)')
        network = 'student'
        detector = {k: copy.deepcopy(v) for k, v in model_cfg.items()
                    if k not in SEMI_KEYS}
        detector['type'] = 'RetinaNet'
        prefix = ''
    else:
        raise ExtractError(
            f'{config}: model type {model_cfg["type"]!r} is not a '
            'semi-supervised detector (SSMD, TwoStageSSMD, '
            'SemiBaseDetector, CSD, FocalMix); a plain detector needs no '
            'extraction')
    preprocessor = detector.get('data_preprocessor') or model_cfg.get(
        'data_preprocessor')
    while preprocessor is not None and 'data_preprocessor' in preprocessor:
        preprocessor = preprocessor['data_preprocessor']  # MultiBranch
    detector['data_preprocessor'] = copy.deepcopy(preprocessor)
    backbone = detector['backbone']
    if backbone.get('type') == 'NoisyResNet':
        backbone['type'] = 'ResNet'
    backbone.pop('perturbation', None)
    backbone.pop('init_cfg', None)  # the weights come from the checkpoint
    return detector, prefix, network


def iter_types(node: Any) -> Iterator[str]:
    """Every ``type`` string in a nested config."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield node['type']
        for value in node.values():
            yield from iter_types(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from iter_types(value)


def mmssmd_types(node: Any) -> List[str]:
    """The ``type`` names in ``node`` that only mmssmd registers."""
    found = []
    for name in iter_types(node):
        for registry in _REGISTRIES:
            cls = registry.get(name)
            if cls is not None:
                if cls.__module__.startswith('mmssmd'):
                    found.append(name)
                break
    return sorted(set(found))


def plain_config(cfg: Config, detector: dict) -> Config:
    """The plain config: ``detector`` as ``model`` and the training
    config's test data, evaluator and runtime (:data:`KEPT_KEYS`);
    ``custom_imports`` of mmssmd only when an mmssmd type remains."""
    out = {k: copy.deepcopy(cfg[k]) for k in KEPT_KEYS if k in cfg}
    out['model'] = detector
    out['test_cfg'] = dict(type='TestLoop')
    if mmssmd_types(out):
        out['custom_imports'] = dict(imports=['mmssmd'],
                                     allow_failed_imports=False)
    return Config(out)


def extract_state_dict(checkpoint: dict, prefix: str) -> Dict[str, Any]:
    """The weights under ``prefix`` (removed), without perturbation
    modules (training-only noise in ``backbone.perturbations.*``)."""
    state = checkpoint.get('state_dict', checkpoint)
    out = {}
    for key, value in state.items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix):]
        if not key.startswith(PERTURBATION_PREFIX):
            out[key] = value
    return out


def check_loads(model_cfg: dict, state_dict: Dict[str, Any],
                checkpoint: str) -> None:
    """Build the plain model and load ``state_dict`` into it; raise
    :class:`ExtractError` on any missing or unexpected key."""
    leftover = [k for k in state_dict if 'perturbations.' in k]
    if leftover:
        raise ExtractError(f'{checkpoint}: perturbation weights left in the '
                           f'extracted state dict: {leftover[:3]}')
    model = MODELS.build(copy.deepcopy(model_cfg))
    result = model.load_state_dict(state_dict, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ExtractError(
            f'{checkpoint}: the extracted weights do not match the plain '
            f'detector: missing {result.missing_keys[:5]} '
            f'({len(result.missing_keys)}), unexpected '
            f'{result.unexpected_keys[:5]} '
            f'({len(result.unexpected_keys)})')


def extract(config: str, checkpoint: str, out: str,
            network: Optional[str] = None) -> Tuple[str, str]:
    """Write the plain detector checkpoint ``out`` and its config.

    Args:
        config (str): The training config.
        checkpoint (str): A checkpoint of it (local path or URL).
        out (str): The output checkpoint (``.pth``); the config is written
            as ``out`` with the suffix ``.py``.
        network (str, optional): ``'student'`` or ``'teacher'``; None: the
            network ``model.semi_test_cfg.predict_on`` names (student for
            single-network methods).

    Returns:
        tuple[str, str]: The checkpoint and config paths written.

    Raises:
        ExtractError: A missing file, an unsupported model type or a
            network the method lacks, or weights that do not load into
            the plain detector; nothing is written then.
    """
    for path, what in ((config, 'config'), (checkpoint, 'checkpoint')):
        if '://' not in path and not osp.isfile(path):
            raise ExtractError(f'{path}: {what} not found')
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    detector, prefix, network = plain_model_cfg(cfg.model, config, network)
    try:
        source = _load_checkpoint(checkpoint, map_location='cpu')
    except Exception as err:  # noqa: BLE001 (report which file)
        raise ExtractError(f'{checkpoint}: cannot read the checkpoint '
                           f'({type(err).__name__}: {err})') from err
    if not isinstance(source, dict):
        raise ExtractError(f'{checkpoint}: not an mmengine checkpoint')
    state_dict = extract_state_dict(source, prefix)
    if not state_dict:
        raise ExtractError(f'{checkpoint}: no weights under {prefix!r} '
                           f'(is it a checkpoint of {config}?)')
    check_loads(detector, state_dict, checkpoint)
    meta = dict(source.get('meta') or {})
    new_meta = {k: meta[k] for k in ('dataset_meta', 'seed', 'experiment_name')
                if k in meta}
    new_meta.update(extracted_from=dict(config=config, checkpoint=checkpoint,
                                        network=network))
    out_cfg = osp.splitext(out)[0] + '.py'
    text = plain_config(cfg, ConfigDict(detector)).pretty_text
    save_checkpoint(dict(meta=new_meta, state_dict=state_dict), out)
    with open(out_cfg, 'w') as f:
        f.write(text)
    return out, out_cfg


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract a plain detector (checkpoint + config) from '
        'an SSMD / TwoStageSSMD / mean teacher / CSD / FocalMix '
        'checkpoint')
    parser.add_argument('config', help='training config file')
    parser.add_argument('checkpoint', help='training checkpoint')
    parser.add_argument('out', help='output checkpoint (.pth); the config '
                        'is written next to it with .py')
    parser.add_argument(
        '--model', choices=['student', 'teacher'], default=None,
        help='network to extract (default: model.semi_test_cfg.predict_on, '
        'else student)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Tuple[str, str]:
    args = parse_args(argv)
    try:
        with torch.no_grad():
            ckpt, cfg = extract(args.config, args.checkpoint, args.out,
                                args.model)
    except ExtractError as err:
        raise SystemExit(f'error: {err}')
    print(f'wrote {ckpt} and {cfg}')
    return ckpt, cfg


if __name__ == '__main__':
    main(sys.argv[1:])
