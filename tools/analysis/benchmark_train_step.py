"""Cost of an SSMD training step against its floor, and of its inference.

All timings come from one process, the models' steps alternating round by
round (so load from other processes affects every side alike); the median
over the rounds is reported. Built from the two configs (backbone
initialisation off, random weights), on synthetic batches of ``--batch``
(B) labeled images and, for SSMD, B unlabeled ones:

* ``sup B`` and ``sup 2B``: the supervised detector on B and on 2B labeled
  images; ``ssmd`` and ``ssmd+IAP``: SSMD on B + B images, IAP off and on
  (switched on as ``AdversarialHook`` would, with the config's ``xi`` and
  ``eps`` and ``--iap-tau``, default 0: every anchor passes, the worst
  case). A step is forward, backward and an Adam update; SSMD's also
  includes the EMA teacher update (``EMATeacherHook.momentum_update``).
* Ratios: per step at the same labeled batch (SSMD on B + B / sup on B,
  what a user pays) and per image at the same total images (SSMD on B + B /
  sup on 2B, the method's own overhead). Floors, counting a forward as a
  third of a forward + backward: SSMD = student fwd+bwd on 2B + teacher fwd
  on 2B = 4/3 per image (8/3 per step); IAP adds a teacher forward and a
  backward to the input only (no weight gradients, about a forward) on 2B,
  2 per image (4 per step).
* The EMA update alone, fused (the hook) and as a per-tensor Python loop.
* Inference: SSMD's student exported as a plain RetinaNet (``NoisyResNet``
  -> ``ResNet``, the student's weights without the perturbation modules;
  checked to predict exactly like the student in eval mode) against the
  supervised RetinaNet: images per second of the network forward
  (backbone, neck, head) on 2B images, no gradient.
* Peak memory of each training configuration (two steps), in a fresh
  process each, measured first: CPU: growth of the peak resident set
  (``VmHWM``, reset at the start) over the process's size before the model
  is built; CUDA: ``torch.cuda.max_memory_allocated``. Weights,
  gradients, Adam states and activations are all included.

On the CPU the processes keep freed memory (``keep_freed_host_memory``,
as ``tools/train.py`` does); ``--default-malloc`` measures glibc's
defaults instead.

``--amp`` runs the forward passes under ``torch.autocast`` (float16 with a
gradient scaler on CUDA, bfloat16 on CPU), as ``tools/train.py --amp``.

``--detector`` picks the Table 10 pair (supervised and SSMD at 50% on DSB,
``configs/ablations/table10_detectors``) of one detector, or ``all`` of
them one after the other (each pair alternating within its own rounds),
ending with a summary of the ratios per detector. Mask R-CNN's labeled
images get box-shaped masks.

Example::

    python tools/analysis/benchmark_train_step.py --size 448 --batch 2
    python tools/analysis/benchmark_train_step.py --detector all --no-memory
"""
import argparse
import copy
import json
import multiprocessing as mp
import resource
import statistics
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Optional

import torch

SUP_CFG = 'configs/baselines/supervised_r50_dsb_10pct.py'
SSMD_CFG = 'configs/ssmd/ssmd_r50_dsb_10pct.py'
# floors per image relative to the supervised detector on as many images
FLOOR = dict(ssmd=4 / 3, ssmd_iap=2.0)
RUNS = ('sup_B', 'sup_2B', 'ssmd', 'ssmd_iap')
TABLE10 = 'configs/ablations/table10_detectors/{}_{}_dsb_50pct_448.py'
# --detector: the (supervised, SSMD) configs of each Table 10 detector
DETECTORS = {
    name: (TABLE10.format('supervised', arch), TABLE10.format('ssmd', arch))
    for name, arch in (('retinanet', 'retinanet_r50_fpn'),
                       ('ssd', 'ssd_r50'),
                       ('faster-rcnn', 'faster-rcnn_r50_fpn'),
                       ('mask-rcnn', 'mask-rcnn_r50_fpn'))
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-sup', default=SUP_CFG)
    parser.add_argument('--config-ssmd', default=SSMD_CFG)
    parser.add_argument('--detector', choices=[*DETECTORS, 'all'],
                        help='the Table 10 configs of this detector (or of '
                        'each); overrides --config-sup / --config-ssmd')
    parser.add_argument('--batch', '--batch-size', type=int, default=2,
                        help='labeled images B (SSMD adds B unlabeled)')
    parser.add_argument('--size', '--image-size', type=int, default=448)
    parser.add_argument('--rounds', type=int, default=3,
                        help='timed rounds (median reported)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--amp', action='store_true',
                        help='forward passes under autocast')
    parser.add_argument('--default-malloc', action='store_true',
                        help="on the CPU, leave glibc's allocator as it is "
                        '(default: keep freed memory, as tools/train.py)')
    parser.add_argument('--iap-tau', type=float, default=0.0)
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak memory processes')
    parser.add_argument('--out', help='also write the results as json')
    return parser.parse_args(argv)


def _rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _reset_peak_rss() -> None:
    """Reset the kernel's peak RSS of this process (Linux >= 4.0).

    A spawned process starts as a fork of its parent, and Linux keeps the
    peak RSS (``ru_maxrss``) across ``execve``: without the reset a child
    would report its parent's peak.
    """
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def _peak_rss_mb() -> float:
    """Peak RSS since the last :func:`_reset_peak_rss` (``VmHWM``)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_batch(num: int, size: int, device: str, labeled: bool,
               seed: int, masks: bool = False) -> tuple:
    """Random images and data samples (40 random boxes when labeled, with
    box-shaped instance masks when ``masks``)."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
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
            boxes = torch.cat([xy, xy + wh], 1)
            sample.gt_instances = InstanceData(
                bboxes=boxes.to(device),
                labels=torch.zeros(40, dtype=torch.long, device=device))
            if masks:
                bitmaps = torch.zeros(40, size, size, dtype=torch.uint8)
                for k, (x1, y1, x2, y2) in enumerate(boxes.long().tolist()):
                    bitmaps[k, y1:y2, x1:x2] = 1
                sample.gt_instances.masks = BitmapMasks(
                    bitmaps.numpy(), size, size)
        samples.append(sample)
    return inputs, samples


def _setup(args: argparse.Namespace) -> None:
    from mmdet.utils import register_all_modules

    import mmssmd  # noqa: F401
    from mmssmd.utils import keep_freed_host_memory
    register_all_modules()
    if args.device == 'cpu' and not args.default_malloc:
        keep_freed_host_memory()
    if args.threads:
        torch.set_num_threads(args.threads)


def build(config: str, kind: str, args: argparse.Namespace):
    """Build the supervised detector or SSMD of ``config`` (random init)."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    model_cfg = cfg.model
    detector = model_cfg.detector if kind == 'ssmd' else model_cfg
    detector.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    # as the runner does: some modules are only set here (SSDNeck's L2Norm
    # scale is uninitialised memory until then)
    model.init_weights()
    model = model.to(args.device)
    model.train()
    iap_cfg = None
    if kind == 'ssmd':
        from mmssmd.engine.hooks import AdversarialHook
        hooks = [h for h in cfg.get('custom_hooks', [])
                 if h.type == 'AdversarialHook']
        hook = AdversarialHook(**{k: v for k, v in (
            hooks[0] if hooks else {}).items() if k != 'type'})
        iap_cfg = dict(xi=hook.xi, eps=hook.eps, tau=args.iap_tau)
    return model, iap_cfg, cfg


class Step:
    """One training configuration: model, batch, optimizer, step()."""

    def __init__(self, name: str, model, batch: tuple, args, iap_cfg=None):
        from mmssmd.engine.hooks import EMATeacherHook
        self.name, self.model, self.args = name, model, args
        self.inputs, self.samples = batch
        self.iap_cfg = iap_cfg
        self.optim = torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad], lr=1e-5)
        self.ema = EMATeacherHook(alpha=0.99) if name.startswith(
            'ssmd') else None
        cuda = args.device.startswith('cuda')
        dtype = torch.float16 if cuda else torch.bfloat16
        self.autocast = (lambda: torch.autocast(
            args.device.split(':')[0], dtype=dtype)) if args.amp else \
            nullcontext
        self.scaler = torch.amp.GradScaler(
            'cuda', enabled=args.amp and cuda)

    def __call__(self) -> float:
        """One step; returns its wall time in seconds."""
        if self.ema is not None:
            self.model.set_adversarial(self.iap_cfg)
        _sync(self.args)
        start = time.perf_counter()
        with self.autocast():
            losses = self.model.loss(self.inputs, self.samples)
            loss, _ = self.model.parse_losses(losses)
        self.optim.zero_grad()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optim)
        self.scaler.update()
        if self.ema is not None:
            self.ema.momentum_update(self.model, 0.01)
        _sync(self.args)
        return time.perf_counter() - start


def _sync(args) -> None:
    if args.device.startswith('cuda'):
        torch.cuda.synchronize()


def make_step(name: str, args, model, iap_cfg=None) -> Step:
    """The run ``name`` of :data:`RUNS` on ``model`` (same batches, seeds
    fixed, for every run)."""
    b, size, dev = args.batch, args.size, args.device
    detector = getattr(model, 'student', model)
    masks = bool(getattr(detector, 'with_mask', False))
    if name.startswith('sup'):
        n = b if name == 'sup_B' else 2 * b
        return Step(name, model, make_batch(n, size, dev, True, 0, masks),
                    args)
    labeled = make_batch(b, size, dev, True, 0, masks)
    unlabeled = make_batch(b, size, dev, False, 1)
    semi = ({'sup': labeled[0], 'unsup': unlabeled[0]},
            {'sup': labeled[1], 'unsup': unlabeled[1]})
    return Step(name, model, semi, args,
                iap_cfg if name == 'ssmd_iap' else None)


def python_loop_ema(model, momentum: float) -> None:
    """Reference EMA update: one in-place op per tensor (the "before")."""
    skip = tuple(getattr(model, 'student_only_prefixes', ()))
    with torch.no_grad():
        student = {n: t for n, t in model.student.named_parameters()
                   if not n.startswith(skip)}
        for name, t in model.teacher.named_parameters():
            t.mul_(1 - momentum).add_(student[name], alpha=momentum)
        student = {n: t for n, t in model.student.named_buffers()
                   if not n.startswith(skip)}
        for name, t in model.teacher.named_buffers():
            if t.dtype.is_floating_point:
                t.mul_(1 - momentum).add_(student[name], alpha=momentum)
            else:
                t.copy_(student[name])


def export_student(cfg, ssmd_model, device: str):
    """The student as a plain detector: ``NoisyResNet`` -> ``ResNet`` and
    the student's weights without the perturbation modules."""
    from mmdet.registry import MODELS
    detector = copy.deepcopy(cfg.model.detector)
    if detector.backbone.type == 'NoisyResNet':
        detector.backbone.type = 'ResNet'
        detector.backbone.pop('perturbation', None)
    plain = MODELS.build(detector).to(device)
    state = {k: v for k, v in ssmd_model.student.state_dict().items()
             if not k.startswith('backbone.perturbations.')}
    plain.load_state_dict(state, strict=True)
    return plain.eval()


def _tensors(outputs) -> List[torch.Tensor]:
    """The tensors of a detector's ``_forward`` output (nested lists and
    tuples: dense heads' per-level maps, RoI heads' outputs), in order."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    return [t for o in outputs for t in _tensors(o)]


def timed(fn: Callable[[], None], args) -> float:
    _sync(args)
    start = time.perf_counter()
    fn()
    _sync(args)
    return time.perf_counter() - start


def measure_time(args: argparse.Namespace) -> Dict:
    """All timings, interleaved round by round, in this process."""
    _setup(args)
    torch.manual_seed(0)
    sup_model, _, _ = build(args.config_sup, 'sup', args)
    ssmd_model, iap_cfg, ssmd_cfg = build(args.config_ssmd, 'ssmd', args)
    steps = {
        name: make_step(name, args,
                        sup_model if name.startswith('sup') else ssmd_model,
                        iap_cfg)
        for name in RUNS
    }
    exported = export_student(ssmd_cfg, ssmd_model, args.device)
    sup_model_eval = copy.deepcopy(sup_model).eval()
    x, x_samples = make_batch(2 * args.batch, args.size, args.device, False,
                              2)
    with torch.no_grad():
        ssmd_model.student.eval()
        ref = ssmd_model.student._forward(x, x_samples)
        ssmd_model.student.train()
        out = exported._forward(x, x_samples)
    export_diff = max(float((a - b).abs().max())
                      for a, b in zip(_tensors(ref), _tensors(out)))

    def infer(model):
        with torch.no_grad(), steps['ssmd'].autocast():
            model._forward(x, x_samples)

    ema = steps['ssmd'].ema
    times = {k: [] for k in (*RUNS, 'infer_exported', 'infer_plain',
                             'ema_fused', 'ema_loop')}
    for r in range(args.warmup + args.rounds):
        row = {name: step() for name, step in steps.items()}
        row['infer_exported'] = timed(lambda: infer(exported), args)
        row['infer_plain'] = timed(lambda: infer(sup_model_eval), args)
        row['ema_fused'] = timed(
            lambda: ema.momentum_update(ssmd_model, 0.01), args)
        row['ema_loop'] = timed(lambda: python_loop_ema(ssmd_model, 0.01),
                                args)
        if r >= args.warmup:
            for k, v in row.items():
                times[k].append(v)
        print(f'round {r}' + ('' if r >= args.warmup else ' (warm-up)') +
              ': ' + ', '.join(f'{k} {v:.3f}s' for k, v in row.items()),
              flush=True)
    result = {k: statistics.median(v) for k, v in times.items()}
    result['export_max_abs_diff'] = export_diff
    result['teacher_params'] = sum(p.numel()
                                   for p in ssmd_model.teacher.parameters())
    result['student_params'] = sum(p.numel()
                                   for p in ssmd_model.student.parameters())
    result['plain_params'] = sum(p.numel() for p in exported.parameters())
    # Adam state of teacher parameters (none expected: no gradient)
    teacher_ids = {id(p) for p in ssmd_model.teacher.parameters()}
    result['teacher_adam_states'] = sum(
        1 for step in steps.values() for p in step.optim.state
        if id(p) in teacher_ids)
    return result


def _memory_worker(name: str, args: argparse.Namespace, queue) -> None:
    _setup(args)
    _reset_peak_rss()
    base = _rss_mb()
    torch.manual_seed(0)
    sup = name.startswith('sup')
    model, iap_cfg, _ = build(args.config_sup if sup else args.config_ssmd,
                              'sup' if sup else 'ssmd', args)
    step = make_step(name, args, model, iap_cfg)
    for _ in range(2):
        step()
    if args.device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = _peak_rss_mb() - base
    queue.put(peak)


def measure_memory(args: argparse.Namespace) -> Dict[str, float]:
    """Peak memory (MB) of each run of :data:`RUNS`, a fresh process each."""
    ctx = mp.get_context('spawn')
    peaks = {}
    for name in RUNS:
        queue = ctx.Queue()
        proc = ctx.Process(target=_memory_worker, args=(name, args, queue))
        proc.start()
        peaks[name] = queue.get()
        proc.join()
    return peaks


def report(args, t: Dict, mem: Optional[Dict]) -> Dict:
    """Print the ratios against their floors; returns them."""
    b = args.batch
    malloc = 'glibc default' if args.default_malloc else 'freed memory kept'
    out = dict(device=args.device, amp=args.amp, batch=b, size=args.size,
               rounds=args.rounds, times_s=t, peak_mb=mem,
               host_malloc=malloc if args.device == 'cpu' else None)
    print(f'\ndevice {args.device}{" (amp)" if args.amp else ""}, '
          f'{args.size}x{args.size}, B = {b}, median of {args.rounds} '
          f'rounds; IAP tau {args.iap_tau}'
          + (f'; host allocator: {malloc}' if args.device == 'cpu' else ''))
    print(f'{"run":<10}{"images":>7}{"step s":>9}{"s / image":>11}'
          f'{"peak MB":>9}{"MB / image":>12}')
    images = dict(sup_B=b, sup_2B=2 * b, ssmd=2 * b, ssmd_iap=2 * b)
    for name in RUNS:
        peak = mem[name] if mem else float('nan')
        print(f'{name:<10}{images[name]:>7}{t[name]:>9.3f}'
              f'{t[name] / images[name]:>11.3f}{peak:>9.0f}'
              f'{peak / images[name]:>12.1f}')
    ratios = {}
    print(f'\n{"ratio":<38}{"measured":>9}{"floor":>7}{"over floor":>12}')
    for name in ('ssmd', 'ssmd_iap'):
        label = 'SSMD' + (' + IAP' if name == 'ssmd_iap' else '')
        for kind, ref, floor in (('per step (B+B vs B)', 'sup_B',
                                  2 * FLOOR[name]),
                                 ('per image (B+B vs 2B)', 'sup_2B',
                                  FLOOR[name])):
            value = t[name] / t[ref]
            ratios[f'{name} time {kind}'] = value
            print(f'{label + " time " + kind:<38}{value:>9.2f}'
                  f'{floor:>7.2f}{100 * (value / floor - 1):>11.0f}%')
        if mem:
            value = mem[name] / mem['sup_2B']
            ratios[f'{name} peak memory per image'] = value
            print(f'{label + " memory per image":<38}{value:>9.2f}')
    ratios['iap time (with / without)'] = t['ssmd_iap'] / t['ssmd']
    ratios['ema share of ssmd step'] = t['ema_fused'] / t['ssmd']
    ratios['ema loop share of ssmd step'] = t['ema_loop'] / t['ssmd']
    ratios['inference exported / plain'] = t['infer_exported'] / \
        t['infer_plain']
    print(f'SSMD with / without IAP time: '
          f'{ratios["iap time (with / without)"]:.2f}')
    print(f'EMA update: fused {1000 * t["ema_fused"]:.1f} ms '
          f'({100 * ratios["ema share of ssmd step"]:.2f}% of the SSMD step), '
          f'Python loop {1000 * t["ema_loop"]:.1f} ms '
          f'({100 * ratios["ema loop share of ssmd step"]:.2f}%)')
    n = 2 * b
    print(f'inference ({n} images): exported student '
          f'{n / t["infer_exported"]:.2f} img/s, plain detector '
          f'{n / t["infer_plain"]:.2f} img/s, ratio of times '
          f'{ratios["inference exported / plain"]:.3f} (exported = student '
          f'in eval: max |diff| {t["export_max_abs_diff"]:.1e})')
    print(f'parameters: student {t["student_params"] / 1e6:.1f} M, teacher '
          f'{t["teacher_params"] / 1e6:.1f} M, plain detector '
          f'{t["plain_params"] / 1e6:.1f} M; Adam states of teacher '
          f'parameters: {t["teacher_adam_states"]}')
    out['ratios'] = ratios
    return out


def run(args: argparse.Namespace) -> Dict:
    """Measure and report the configs of ``args``."""
    print(f'supervised: {args.config_sup}\nSSMD: {args.config_ssmd}',
          flush=True)
    # memory first: no model of this process is alive when the children
    # are spawned
    mem = None if args.no_memory else measure_memory(args)
    times = measure_time(args)
    return report(args, times, mem)


def summary(results: Dict[str, Dict]) -> None:
    """One line of ratios per detector."""
    keys = ('ssmd time per step (B+B vs B)', 'ssmd time per image (B+B vs 2B)',
            'ssmd_iap time per image (B+B vs 2B)',
            'ssmd peak memory per image')
    print(f'\n{"detector":<13}{"SSMD/sup step":>14}{"per image":>11}'
          f'{"+IAP per image":>16}{"memory/image":>14}')
    for name, result in results.items():
        values = [result['ratios'].get(k, float('nan')) for k in keys]
        print(f'{name:<13}' + ''.join(
            f'{v:>{w}.2f}' for v, w in zip(values, (14, 11, 16, 14))))


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    if args.detector is None:
        result = run(args)
    else:
        names = list(DETECTORS) if args.detector == 'all' else [args.detector]
        result = {}
        for name in names:
            args.config_sup, args.config_ssmd = DETECTORS[name]
            print(f'\n=== {name} ===')
            result[name] = run(args)
        summary(result)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
