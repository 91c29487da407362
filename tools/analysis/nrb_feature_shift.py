"""How much a feature perturbation moves the backbone's features, in
training and in eval mode.

For the backbone of a config (e.g. ``NoisyResNet`` with noisy residual
blocks) it prints, per output stage (C2..C5), on the same images:

* ``train``: ``||f_noisy - f_clean|| / ||f_clean||`` in training mode, the
  size of the perturbation the student trains under;
* ``eval``: the relative difference, in eval mode (no noise), between two
  copies of the same weights whose BN running statistics were collected
  over the same batches, one with the perturbation and one without: how
  wrong the statistics learned under noise are at test time (the student
  at test time and the EMA teacher always run in eval mode);
* with ``--checkpoint``, the learned gates ``sigmoid(gamma * conv(GAP(x)))``
  of every noisy residual block (mean, min, max per stage) on the images.

Images are the config's validation images when ``--images`` points at a
folder of PNGs; otherwise a fixed random batch (N(0, 1) on the normalised
scale).

Example::

    python tools/analysis/nrb_feature_shift.py \\
        configs/demo/ssmd_r18_synth_2.5pct.py \\
        --perturbation type=ScaledNoisyResidualBlock sigma=0.1
"""
import argparse
import copy
import glob
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import DictAction

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--perturbation', nargs='+', action=DictAction,
                        help="replaces the config's perturbation list by "
                        'this one module config, e.g. '
                        'type=ScaledNoisyResidualBlock sigma=0.1')
    parser.add_argument('--checkpoint',
                        help='a trained checkpoint (student weights used)')
    parser.add_argument('--images', help='folder searched for *.png')
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--batches', type=int, default=20,
                        help='training-mode batches that collect BN stats')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def load_images(args, mean, std) -> torch.Tensor:
    n = args.batches * args.batch_size
    g = torch.Generator().manual_seed(args.seed)
    if not args.images:
        return torch.randn(n, 3, args.size, args.size, generator=g)
    import cv2
    paths = sorted(glob.glob(osp.join(args.images, '**', '*.png'),
                             recursive=True))
    if not paths:
        raise SystemExit(f'error: no PNG under {args.images}')
    idx = torch.randint(len(paths), (n, ), generator=g).tolist()
    imgs = []
    for i in idx:
        img = cv2.imread(paths[i], cv2.IMREAD_COLOR)
        img = cv2.resize(img, (args.size, args.size))[..., ::-1]  # RGB
        imgs.append((img.astype(np.float32) - mean) / std)
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    import mmssmd  # noqa: F401
    from mmssmd.models.layers import NoisyResidualBlock

    cfg = Config.fromfile(args.config)
    model_cfg = cfg.model.get('detector', cfg.model)
    backbone_cfg = copy.deepcopy(model_cfg.backbone)
    backbone_cfg.init_cfg = None
    backbone_cfg.type = 'NoisyResNet'
    if args.perturbation:
        backbone_cfg.perturbation = [dict(args.perturbation)]
    if not backbone_cfg.get('perturbation'):
        raise SystemExit('error: the backbone has no perturbation; pass '
                         '--perturbation')
    torch.manual_seed(args.seed)
    noisy = MODELS.build(backbone_cfg)
    if args.checkpoint:
        state = torch.load(args.checkpoint, map_location='cpu',
                           weights_only=False)['state_dict']
        prefix = 'student.backbone.' if any(
            k.startswith('student.') for k in state) else 'backbone.'
        missing = noisy.load_state_dict(
            {k[len(prefix):]: v for k, v in state.items()
             if k.startswith(prefix)}, strict=False)
        print(f'[nrb] loaded {args.checkpoint} ({prefix}*), missing: '
              f'{len(missing.missing_keys)}')
    clean_cfg = copy.deepcopy(backbone_cfg)
    clean_cfg.perturbation = None
    clean = MODELS.build(clean_cfg)
    clean.load_state_dict(noisy.state_dict(), strict=False)
    pre = model_cfg.data_preprocessor
    images = load_images(args, np.array(pre.mean, np.float32),
                         np.array(pre.std, np.float32))
    batches = images.split(args.batch_size)

    # 1. training-mode perturbation size, and BN statistics in both copies
    train_rel = []
    noisy.train()
    clean.train()
    with torch.no_grad():
        for x in batches:
            torch.manual_seed(args.seed)
            f_noisy = noisy(x)
            f_clean = clean(x)
            train_rel.append([rel(a, b) for a, b in zip(f_noisy, f_clean)])
    # 2. eval mode: same weights, BN stats from noisy vs clean training
    noisy.eval()
    clean.eval()
    with torch.no_grad():
        eval_rel = [[rel(a, b) for a, b in zip(noisy(x), clean(x))]
                    for x in batches[:5]]
    stages = [f'C{i + 2}' for i in noisy.out_indices]
    result = dict(
        perturbation=[dict(p) for p in backbone_cfg.perturbation],
        train_relative_change=dict(
            zip(stages, np.mean(train_rel, axis=0).round(4).tolist())),
        eval_relative_change=dict(
            zip(stages, np.mean(eval_rel, axis=0).round(4).tolist())))
    # 3. learned gates
    if args.checkpoint:
        gates = {}
        x = torch.cat(batches[:2])
        hooks = []
        for s, blocks in enumerate(noisy.perturbations):
            for block in blocks.modules():
                if isinstance(block, NoisyResidualBlock):
                    hooks.append(block.register_forward_hook(
                        lambda m, inp, out, s=s: gates.setdefault(
                            f'res{s + 2}', []).append(
                                m.noise_scale(inp[0]).flatten())))
        noisy.train()
        with torch.no_grad():
            noisy(x)
        for h in hooks:
            h.remove()
        result['gates'] = {
            k: dict(mean=round(float(torch.cat(v).mean()), 3),
                    min=round(float(torch.cat(v).min()), 3),
                    max=round(float(torch.cat(v).max()), 3))
            for k, v in gates.items()
        }
    for key in ('train_relative_change', 'eval_relative_change'):
        print(f'[nrb] {key}: ' + ', '.join(
            f'{k} {100 * v:.1f}%' for k, v in result[key].items()))
    for k, v in result.get('gates', {}).items():
        print(f"[nrb] gates {k}: mean {v['mean']}, min {v['min']}, "
              f"max {v['max']}")
    return result


if __name__ == '__main__':
    main()
