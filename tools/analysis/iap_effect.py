"""What the instance-level adversarial perturbation does to the teacher.

For a trained SSMD checkpoint and the config's validation images, and for
each ``eps`` given (``xi`` and ``tau`` fixed), prints:

* ``probe kept``: the share of input elements that ``x + xi * r`` actually
  changes in float32 (below float32's resolution the probe vanishes; the
  gradient direction then still comes from autograd, see the docs);
* ``rms``: the perturbation's root mean square per input element, on the
  normalised input the teacher sees (``eps / sqrt(C * H * W)``);
* ``cons +%``: the relative increase of the masked consistency (anchors
  whose student foreground probability exceeds ``tau``) when the teacher
  sees ``x + r_adv`` instead of ``x``, and the same for a random direction
  of the same norm (``random +%``);
* ``|dp|``: the mean absolute change of the teacher's foreground
  probability at those anchors.

Example::

    python tools/analysis/iap_effect.py configs/demo/ssmd_r18_synth_2.5pct.py \\
        work_dirs/demo_comparison/SSMD-2.5%/seed_0/iter_2000.pth --eps 2 10 30 100
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--eps', type=float, nargs='+',
                        default=[2.0, 10.0, 30.0, 100.0])
    parser.add_argument('--xi', type=float, default=5e-7)
    parser.add_argument('--tau', type=float, default=0.5)
    parser.add_argument('--batches', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import Runner, load_checkpoint
    register_all_modules()
    import mmssmd  # noqa: F401
    from mmssmd.models.utils import (flatten_levels, flip_column_pairing,
                                     foreground_mask)

    cfg = Config.fromfile(args.config)
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    loader = Runner.build_dataloader(cfg.val_dataloader)
    torch.manual_seed(args.seed)
    head = model.student.bbox_head
    rows = {eps: dict(eps=eps, kept=[], rms=[], adv=[], rand=[], dp=[])
            for eps in args.eps}
    for i, data in enumerate(loader):
        if i >= args.batches:
            break
        x = model.data_preprocessor(data, False)['inputs']
        width = x.shape[-1]
        with torch.no_grad():
            s_cls, s_box = head(model.student.extract_feat(x))
        valid = [v for _, v in flip_column_pairing(
            head.prior_generator, [c.shape[-1] for c in s_cls], width)]
        s_cls, s_box = flatten_levels(s_cls, s_box, head.cls_out_channels,
                                      valid)
        masks = foreground_mask(s_cls, args.tau)
        t_in = x.flip(-1)

        def masked(t_input):
            with torch.no_grad():
                cls, box, _ = model.teacher_dense_outputs(t_input, width)
            t_cls, t_box = flatten_levels(cls, box, head.cls_out_channels,
                                          valid)
            cons = model.consistency_loss(
                [c[m] for c, m in zip(s_cls, masks)],
                [c[m] for c, m in zip(t_cls, masks)],
                [b[m] for b, m in zip(s_box, masks)],
                [b[m] for b, m in zip(t_box, masks)])
            prob = torch.cat([c[m].sigmoid() for c, m in zip(t_cls, masks)])
            return float(cons['loss_consistency_cls'] +
                         cons['loss_consistency_box']), prob

        base, p0 = masked(t_in)
        r = torch.randn_like(t_in)
        r = r / r.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
        kept = float(((t_in + args.xi * r) != t_in).float().mean())
        for eps in args.eps:
            model.set_adversarial(dict(xi=args.xi, eps=eps, tau=args.tau))
            r_adv = model.adversarial_perturbation(t_in, s_cls, s_box)
            adv, p1 = masked(t_in + r_adv)
            rand, _ = masked(t_in + eps * r)
            row = rows[eps]
            row['kept'].append(kept)
            row['rms'].append(float(r_adv.pow(2).mean().sqrt()))
            row['adv'].append((adv - base) / max(base, 1e-12))
            row['rand'].append((rand - base) / max(base, 1e-12))
            row['dp'].append(float((p1 - p0).abs().mean())
                             if p0.numel() else 0.)
    out = []
    print(f'[iap] xi {args.xi}, tau {args.tau}, input '
          f'{tuple(t_in.shape[1:])} (normalised)')
    print('| eps | probe kept | rms | cons +% (adv) | cons +% (random) |'
          ' teacher |dp| |')
    print('|---|---|---|---|---|---|')
    for eps, row in rows.items():
        mean = {k: sum(v) / max(len(v), 1) for k, v in row.items()
                if k != 'eps'}
        out.append(dict(eps=eps, **mean))
        print(f"| {eps:g} | {100 * mean['kept']:.1f}% | {mean['rms']:.4f} "
              f"| {100 * mean['adv']:.1f}% | {100 * mean['rand']:.1f}% | "
              f"{mean['dp']:.4f} |")
    return out


if __name__ == '__main__':
    main()
