"""Time a training step of a detector with and without its backbone's
feature perturbation (noisy residual blocks by default).

Both models are built from the same config (backbone initialisation off),
with the backbone type set to ``NoisyResNet``: once with ``--perturbation``
(registered perturbation types applied in order, with their defaults;
default ``NoisyResidualBlock``) and once with ``perturbation=None``, which
is exactly
mmdet's ResNet. They get the same weights and the same synthetic batch, and
their steps (forward, backward, Adam update) alternate so that drifts of the
machine's speed hit both. Prints the median step times and their ratio.

Example::

    python tools/analysis/benchmark_backbone_perturbation.py \\
        configs/baselines/supervised_r50_dsb_10pct.py \\
        --batch-size 2 --image-size 448
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark_train_step import make_batch  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a supervised detector config')
    parser.add_argument('--perturbation', nargs='+',
                        default=['NoisyResidualBlock'],
                        help='registered perturbation types of NoisyResNet, '
                        'applied in this order with their defaults')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--image-size', type=int, default=448)
    parser.add_argument('--iters', type=int, default=3,
                        help='timed steps per model (median reported)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out', help='also write the results as json')
    return parser.parse_args(argv)


def build(config: str, perturbation: Optional[List[dict]], device: str):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    backbone = cfg.model.backbone
    backbone.type = 'NoisyResNet'
    backbone.perturbation = perturbation
    backbone.init_cfg = None
    return MODELS.build(cfg.model).to(device).train()


def main(argv: Optional[List[str]] = None) -> Dict:
    from mmdet.utils import register_all_modules

    import mmssmd  # noqa: F401
    args = parse_args(argv)
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    name = '+'.join(args.perturbation)
    models = {
        'plain': build(args.config, None, args.device),
        name: build(args.config, [dict(type=t) for t in args.perturbation],
                    args.device),
    }
    models[name].load_state_dict(
        models['plain'].state_dict(), strict=False)
    inputs, samples = make_batch(args.batch_size, args.image_size,
                                 args.device, True, 0)
    optims = {
        name: torch.optim.Adam(
            [p for p in m.parameters() if p.requires_grad], lr=1e-5)
        for name, m in models.items()
    }
    times = {name: [] for name in models}
    for step in range(args.warmup + args.iters):
        for name, model in models.items():
            start = time.perf_counter()
            loss, _ = model.parse_losses(model.loss(inputs, samples))
            optims[name].zero_grad()
            loss.backward()
            optims[name].step()
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
            if step >= args.warmup:
                times[name].append(time.perf_counter() - start)
    step_s = {name: statistics.median(t) for name, t in times.items()}
    result = dict(
        config=args.config, device=args.device,
        threads=torch.get_num_threads(), batch_size=args.batch_size,
        image_size=args.image_size, perturbation=name,
        step_s=step_s,
        step_time_ratio=step_s[name] / step_s['plain'],
        extra_params=sum(p.numel()
                         for p in models[name].parameters()) -
        sum(p.numel() for p in models['plain'].parameters()))
    print(f'device {args.device} ({result["threads"]} threads), '
          f'{args.batch_size} images of {args.image_size}x'
          f'{args.image_size}, median of {args.iters} steps')
    for name, t in step_s.items():
        print(f'{name:<14}{t:>8.3f} s')
    print(f'{name} / plain step time: '
          f'{result["step_time_ratio"]:.3f}; extra parameters: '
          f'{result["extra_params"]}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
