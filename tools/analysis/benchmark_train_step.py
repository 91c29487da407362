"""Time a training step and its peak memory: supervised RetinaNet vs SSMD.

Both models come from configs (backbone initialisation off, random weights)
and train on the same synthetic batch: the supervised detector on B labeled
images, SSMD on the same B labeled images plus B unlabeled ones (the paper's
8 + 8). One step = forward, backward and an Adam update. The script prints
the median step times, the peak memory of each, and the ratios
SSMD / supervised, all measured in this one run. With ``--iap-cost`` it
also times SSMD with and without the instance-level adversarial
perturbation (IAP) and prints their ratio: IAP adds one teacher forward and
backward (to the input) per step. IAP is switched on as
``AdversarialHook`` would (the hooks do not run here), with the config's
xi and eps and ``--iap-tau`` (default 0: every anchor passes, so the extra
pass runs on every image, the worst case; a randomly initialised student
has almost no anchor above the paper's 0.95, and the pass is skipped for
images without one).

Peak memory: on CUDA, ``torch.cuda.max_memory_allocated``; on CPU, each
model runs in its own fresh process and the figure is the growth of the
peak resident set size over the process's size after building the model.

Example::

    python tools/analysis/benchmark_train_step.py \\
        configs/baselines/supervised_r50_dsb_10pct.py \\
        configs/ssmd/ssmd_r50_dsb_10pct.py --batch-size 8 --image-size 448
"""
import argparse
import json
import multiprocessing as mp
import resource
import statistics
import time
from typing import Dict, List, Optional

import torch


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('supervised_config')
    parser.add_argument('ssmd_config')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='labeled images per step (SSMD adds as many '
                        'unlabeled ones)')
    parser.add_argument('--image-size', type=int, default=448)
    parser.add_argument('--iters', type=int, default=5,
                        help='timed steps (median reported)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--iap-cost', action='store_true',
                        help='also time SSMD without IAP and with IAP')
    parser.add_argument('--iap-tau', type=float, default=0.0,
                        help='tau used when timing IAP (default 0)')
    parser.add_argument('--out', help='also write the results as json')
    return parser.parse_args(argv)


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def make_batch(num: int, size: int, device: str, labeled: bool,
               seed: int) -> tuple:
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    inputs = torch.rand(num, 3, size, size, generator=g).to(device)
    samples = []
    for _ in range(num):
        meta = dict(img_shape=(size, size), pad_shape=(size, size),
                    ori_shape=(size, size), scale_factor=(1., 1.))
        sample = DetDataSample(metainfo=meta)
        if labeled:
            xy = torch.rand(40, 2, generator=g) * (size - 40)
            wh = 8 + torch.rand(40, 2, generator=g) * 30
            sample.gt_instances = InstanceData(
                bboxes=torch.cat([xy, xy + wh], 1).to(device),
                labels=torch.zeros(40, dtype=torch.long, device=device))
        samples.append(sample)
    return inputs, samples


def measure(config: str, kind: str, args: argparse.Namespace,
            iap: Optional[bool] = None) -> Dict:
    """Build one model and time its training steps (in this process).

    ``iap``: for SSMD, None follows the config (on if it lists
    ``AdversarialHook``), True/False force it on (with the config's xi and
    eps, or the hook's defaults) or off.
    """
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    import mmssmd  # noqa: F401
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(config)
    model_cfg = cfg.model
    detector = model_cfg.detector if kind == 'ssmd' else model_cfg
    detector.backbone.init_cfg = None
    model = MODELS.build(model_cfg).to(args.device)
    model.train()
    iap_on = False
    if kind == 'ssmd':
        hooks = [h for h in cfg.get('custom_hooks', [])
                 if h.type == 'AdversarialHook']
        iap_on = bool(hooks) if iap is None else iap
        if iap_on:
            from mmssmd.engine.hooks import AdversarialHook
            hook = AdversarialHook(**{k: v for k, v in (
                hooks[0] if hooks else {}).items() if k != 'type'})
            model.set_adversarial(
                dict(xi=hook.xi, eps=hook.eps, tau=args.iap_tau))
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-5)
    sup = make_batch(args.batch_size, args.image_size, args.device, True, 0)
    if kind == 'ssmd':
        unsup = make_batch(args.batch_size, args.image_size, args.device,
                           False, 1)
        inputs = {'sup': sup[0], 'unsup': unsup[0]}
        samples = {'sup': sup[1], 'unsup': unsup[1]}
    else:
        inputs, samples = sup
    base_rss = _rss_mb()
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(args.warmup + args.iters):
        start = time.perf_counter()
        losses = model.loss(inputs, samples)
        loss, _ = model.parse_losses(losses)
        optim.zero_grad()
        loss.backward()
        optim.step()
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    if args.device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - \
            base_rss
    return dict(config=config, iap=iap_on, step_s=statistics.median(times),
                peak_mb=peak, images_per_step=len(sup[0]) *
                (2 if kind == 'ssmd' else 1))


def _worker(config, kind, args, iap, queue):
    queue.put(measure(config, kind, args, iap))


def run_isolated(config: str, kind: str, args: argparse.Namespace,
                 iap: Optional[bool] = None) -> Dict:
    """Measure in a fresh process so CPU peak memory is the model's own."""
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker,
                       args=(config, kind, args, iap, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    sup = run_isolated(args.supervised_config, 'supervised', args)
    ssmd = run_isolated(args.ssmd_config, 'ssmd', args)
    rows = ['supervised', 'ssmd']
    extra = {}
    if args.iap_cost:
        other = run_isolated(args.ssmd_config, 'ssmd', args,
                             iap=not ssmd['iap'])
        with_iap, without = (ssmd, other) if ssmd['iap'] else (other, ssmd)
        extra = dict(ssmd_with_iap=with_iap, ssmd_without_iap=without,
                     iap_step_time_ratio=with_iap['step_s'] /
                     without['step_s'],
                     iap_peak_memory_ratio=with_iap['peak_mb'] /
                     without['peak_mb'])
        rows = ['supervised', 'ssmd_without_iap', 'ssmd_with_iap']
    result = dict(
        device=args.device,
        batch_size=args.batch_size,
        image_size=args.image_size,
        supervised=sup,
        ssmd=ssmd,
        step_time_ratio=ssmd['step_s'] / sup['step_s'],
        peak_memory_ratio=ssmd['peak_mb'] / sup['peak_mb'],
        **extra)
    memory = 'CUDA max allocated' if args.device.startswith('cuda') else \
        'peak RSS growth'
    print(f'device {args.device}, {args.batch_size} labeled '
          f'(+{args.batch_size} unlabeled for SSMD) images of '
          f'{args.image_size}x{args.image_size}, median of {args.iters} '
          'steps')
    print(f'{"model":<18}{"step (s)":>10}{memory + " (MB)":>28}')
    for name in rows:
        print(f'{name:<18}{result[name]["step_s"]:>10.3f}'
              f'{result[name]["peak_mb"]:>28.0f}')
    print(f'SSMD (IAP {"on" if ssmd["iap"] else "off"}) / supervised step '
          f'time: {result["step_time_ratio"]:.2f}')
    print(f'SSMD (IAP {"on" if ssmd["iap"] else "off"}) / supervised peak '
          f'memory: {result["peak_memory_ratio"]:.2f}')
    if args.iap_cost:
        print(f'SSMD with / without IAP step time: '
              f'{result["iap_step_time_ratio"]:.2f}')
        print(f'SSMD with / without IAP peak memory: '
              f'{result["iap_peak_memory_ratio"]:.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
