"""Plot the FROC curve that ``DeepLesionFROCMetric`` dumps.

Usage::

    python tools/analysis/plot_froc.py work_dirs/run.froc.json \\
        [--out work_dirs/run.froc.png]

reads ``{outfile_prefix}.froc.json`` (the metric's ``outfile_prefix``) and
writes the curve (log2 FP/image axis, the reported points annotated, the part
past the curve's end dashed) to ``--out`` (default: the json's name with
``.png``). A bad json raises a ``ValueError`` naming the file and field, and
nothing is written.
"""
import argparse
import io
import os.path as osp
import sys
from typing import Optional, Sequence

import numpy as np
from mmengine.fileio import load

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmssmd.evaluation.functional.froc import (  # noqa: E402
    FROCCurve, sensitivity_at_fps)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` without the program name)."""
    parser = argparse.ArgumentParser(
        description='Plot a DeepLesionFROCMetric .froc.json as a PNG.')
    parser.add_argument('json', help='the metric\'s {prefix}.froc.json')
    parser.add_argument('--out', default=None,
                        help='PNG to write (default: the json with .png)')
    return parser.parse_args(argv)


def curve_from_record(record: dict, name: str = 'record') -> FROCCurve:
    """Rebuild the (thinned, lossless) curve of a ``.froc.json`` record.

    Raises:
        ValueError: A field is missing or malformed (named in the message).
    """
    try:
        c = record['curve']
        thresholds = [np.inf if t is None else float(t)
                      for t in c['score_threshold']]
        curve = FROCCurve(
            np.asarray(c['fps_per_image'], np.float64),
            np.asarray(c['sensitivity'], np.float64),
            np.asarray(thresholds, np.float64), int(record['num_images']),
            int(record['num_lesions']), int(record['num_detections']))
        for key in ('fps_per_image', 'sensitivity'):
            record['points'][key]
        float(record['iou_thr'])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f'{name}: not a DeepLesionFROCMetric .froc.json '
                         f'(bad or missing field {e})') from None
    if not (len(curve.fps_per_image) == len(curve.sensitivity) ==
            len(curve.thresholds) >= 1):
        raise ValueError(f'{name}: curve.fps_per_image, sensitivity and '
                         'score_threshold must be non-empty and of one length')
    return curve


def render_png(record: dict, name: str = 'record') -> bytes:
    """The FROC plot of a ``.froc.json`` record, as PNG bytes (600x450)."""
    # Figure + Agg canvas: no pyplot global state, no backend switch
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curve = curve_from_record(record, name)
    fps = [float(v) for v in record['points']['fps_per_image']]
    pts = [float(v) for v in record['points']['sensitivity']]
    key_fp = float(record.get('key_fp', 4.0))
    key_sens = float(sensitivity_at_fps(curve, [key_fp])[0])
    fig = Figure(figsize=(6, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    lo, hi = min(fps + [key_fp]) / 2, max(fps + [key_fp]) * 2
    xs = np.concatenate([
        curve.fps_per_image[curve.fps_per_image > 0],
        np.geomspace(lo, hi, 400)
    ])
    xs = np.unique(xs[(xs >= lo) & (xs <= hi)])
    ys = sensitivity_at_fps(curve, xs)
    inside = xs <= curve.end_fps
    ax.plot(xs[inside], ys[inside], '-', color='tab:blue', label='FROC')
    if (~inside).any():
        ax.plot(xs[~inside], ys[~inside], '--', color='tab:blue',
                label='past curve end (held)')
    ax.plot(fps, pts, 'o', color='tab:red')
    for fp, s in zip(fps, pts):
        ax.annotate(f'{s:.3f}', (fp, s), textcoords='offset points',
                    xytext=(0, 6), ha='center', fontsize=8)
    ax.set_xscale('log', base=2)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel('false positives per image')
    ax.set_ylabel('sensitivity')
    ax.set_title(
        f'{curve.num_lesions} lesions, {curve.num_images} images, IoU >= '
        f'{float(record["iou_thr"]):g}: sens@{key_fp:g} = {key_sens:.4f}',
        fontsize=9)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(loc='lower right', fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    return buf.getvalue()


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Run the tool; return the path of the written PNG."""
    args = parse_args(argv)
    out = args.out or osp.splitext(args.json)[0] + '.png'
    png = render_png(load(args.json, file_format='json'), args.json)
    with open(out, 'wb') as f:
        f.write(png)
    print(f'FROC plot written to {out}')
    return out


if __name__ == '__main__':
    main()
