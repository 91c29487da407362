"""Train several configs for several seeds on the same data and compare them.

For every (config, seed) pair this runs ``tools/train.py`` (with
``randomness.seed`` set) and ``tools/test.py`` on the config's test split,
then prints and writes, per method, mean +- std (sample std, n - 1) of each
metric over the seeds, the share of the gap between a baseline and a
reference closed by each method (e.g. supervised-on-the-labeled-part ->
fully supervised), and a two-sided Welch t-test p-value of a target method
against the best other one (the statistic the SSMD paper reports).

It is resumable: a run whose ``result.json`` exists is not trained again, so
an interrupted comparison continues where it stopped, and adding a seed or a
config only trains what is new.

Example (the demo's comparison, 3 seeds)::

    python tools/analysis/compare_methods.py \\
        configs/demo/supervised_r18_synth_2.5pct.py \\
        configs/demo/ssmd_r18_synth_2.5pct.py \\
        configs/demo/supervised_r18_synth.py \\
        --names supervised-2.5% SSMD supervised-100% \\
        --baseline supervised-2.5% --reference supervised-100% \\
        --target SSMD --seeds 0 1 2 --work-dir work_dirs/demo_comparison

Output in ``--work-dir``: ``<name>/seed_<k>/`` (the run), and
``<report>.md``, ``<report>.json`` and ``<report>.png`` (``--report``,
default ``comparison``).
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from mmssmd.utils import atomic_write_json  # noqa: E402

DEFAULT_METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train configs for several seeds and compare them')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--names', nargs='+',
                        help='a name per config (default: file names)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--metrics', nargs='+', default=list(DEFAULT_METRICS),
                        help='test metrics to compare; the last one is the '
                        'headline of the plot')
    parser.add_argument('--baseline',
                        help='name of the lower reference (e.g. supervised '
                        'on the labeled part)')
    parser.add_argument('--reference',
                        help='name of the upper reference (e.g. fully '
                        'supervised)')
    parser.add_argument('--target',
                        help='name tested against the best other method '
                        '(Welch t-test); not the reference')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs trained at the same time')
    parser.add_argument('--threads', type=int,
                        help='torch threads per run (default: CPU count / '
                        'jobs)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to every train and test run; {seed} '
                        'is replaced by the run\'s seed')
    parser.add_argument('--title', default='Method comparison')
    parser.add_argument('--report', default='comparison',
                        help='file name (no extension) of the .md, .json '
                        'and .png written to --work-dir')
    args = parser.parse_args(argv)
    names = args.names or [
        osp.splitext(osp.basename(c))[0] for c in args.configs
    ]
    if len(names) != len(args.configs):
        parser.error(f'{len(names)} names for {len(args.configs)} configs')
    if len(set(names)) != len(names):
        parser.error(f'names must be unique, got {names}')
    for c in args.configs:
        if not osp.isfile(c):
            parser.error(f'config {c} not found')
    for opt in ('baseline', 'reference', 'target'):
        value = getattr(args, opt)
        if value is not None and value not in names:
            parser.error(f'--{opt} {value!r} is not one of the names {names}')
    if args.target is not None and args.target == args.reference:
        parser.error('--target cannot be the --reference')
    if args.jobs < 1:
        parser.error('--jobs must be >= 1')
    args.names = names
    return args


class Progress:
    """Prints one line per event with elapsed time and a rough ETA."""

    def __init__(self, total: int, log_path: str) -> None:
        self.total, self.done, self.start = total, 0, time.time()
        self.log_path = log_path

    def __call__(self, msg: str, finished: bool = False) -> None:
        if finished:
            self.done += 1
        elapsed = time.time() - self.start
        eta = ''
        if finished and self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            eta = f', ETA {left:.0f} s'
        line = (f'[compare {self.done}/{self.total} {elapsed:.0f} s{eta}] '
                f'{msg}')
        print(line, flush=True)
        with open(self.log_path, 'a') as f:
            f.write(line + '\n')


def run_one(config: str, name: str, seed: int, work_dir: str,
            cfg_options: Sequence[str], threads: int,
            progress: Progress) -> dict:
    """Train and test one (config, seed); returns its result record."""
    run_dir = osp.join(work_dir, name, f'seed_{seed}')
    result_path = osp.join(run_dir, 'result.json')
    if osp.isfile(result_path):
        with open(result_path) as f:
            result = json.load(f)
        progress(f'{name} seed {seed}: done before, reused', finished=True)
        return result
    os.makedirs(run_dir, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONHASHSEED=str(seed))
    options = [f'randomness.seed={seed}',
               *(o.replace('{seed}', str(seed)) for o in cfg_options)]
    python = sys.executable

    def call(cmd: List[str], log: str) -> None:
        with open(log, 'w') as f:
            proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=f,
                                  stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise RuntimeError(f'{name} seed {seed}: {cmd[1]} failed '
                               f'(exit {proc.returncode}); see {log}')

    start = time.time()
    progress(f'{name} seed {seed}: training {config}')
    # a previous attempt that died mid-training resumes from its checkpoint
    resume = ['--resume'] if osp.isfile(osp.join(run_dir,
                                                 'last_checkpoint')) else []
    call([
        python, 'tools/train.py', config, '--work-dir', run_dir, *resume,
        '--cfg-options', *options
    ], osp.join(run_dir, 'train.log'))
    train_s = time.time() - start
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    metrics_path = osp.join(run_dir, 'test_metrics.json')
    call([
        python, 'tools/test.py', config, checkpoint, '--work-dir',
        osp.join(run_dir, 'test'), '--metrics-out', metrics_path,
        '--cfg-options', *options
    ], osp.join(run_dir, 'test.log'))
    with open(metrics_path) as f:
        metrics = json.load(f)
    result = dict(name=name, config=config, seed=seed, metrics=metrics,
                  checkpoint=checkpoint, train_seconds=round(train_s, 1),
                  test_seconds=round(time.time() - start - train_s, 1))
    atomic_write_json(result, result_path, indent=2)
    summary = ', '.join(f'{k} {metrics[k]:.3f}' for k in metrics
                        if isinstance(metrics[k], float))
    progress(f'{name} seed {seed}: {summary} ({time.time() - start:.0f} s)',
             finished=True)
    return result


def mean_std(values: Sequence[float]):
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean)**2 for v in values) /
                    (n - 1)) if n > 1 else float('nan')
    return mean, std


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Welch t-test p-value; nan with fewer than 2 runs each."""
    if len(a) < 2 or len(b) < 2:
        return float('nan')
    from scipy import stats
    if max(a) == min(a) and max(b) == min(b):
        return 0.0 if a[0] != b[0] else 1.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def summarise(results: List[dict], names: List[str], metrics: List[str],
              baseline: Optional[str], reference: Optional[str],
              target: Optional[str]) -> dict:
    """Per-method statistics, gap closed and the target's p-values."""
    per = {n: {m: [] for m in metrics} for n in names}
    seeds = {n: [] for n in names}
    for r in results:
        seeds[r['name']].append(r['seed'])
        for m in metrics:
            if m not in r['metrics']:
                raise KeyError(f"{r['name']} seed {r['seed']}: metric {m!r} "
                               f"not in its test metrics "
                               f"{sorted(r['metrics'])}")
            per[r['name']][m].append(float(r['metrics'][m]))
    table = {}
    for n in names:
        row = dict(runs=len(seeds[n]), seeds=sorted(seeds[n]))
        for m in metrics:
            mean, std = mean_std(per[n][m])
            row[m] = dict(mean=mean, std=std, values=per[n][m])
        table[n] = row
    if baseline and reference:
        for n in names:
            gap = {}
            for m in metrics:
                lo = table[baseline][m]['mean']
                hi = table[reference][m]['mean']
                gap[m] = ((table[n][m]['mean'] - lo) / (hi - lo)
                          if hi != lo else float('nan'))
            table[n]['gap_closed'] = gap
    test = None
    if target:
        others = [n for n in names if n not in (target, reference)]
        if others:
            headline = metrics[-1]
            best = max(others, key=lambda n: table[n][headline]['mean'])
            test = dict(target=target, against=best, p_value={
                m: welch_p(per[target][m], per[best][m])
                for m in metrics
            })
            for m in metrics:
                t, o = table[target][m], table[best][m]
                test.setdefault('exceeds_by_more_than_std_sum', {})[m] = (
                    t['mean'] - o['mean'] > t['std'] + o['std'])
    return dict(methods=table, test=test, metrics=metrics,
                baseline=baseline, reference=reference)


def fmt(x: float, digits: int = 3) -> str:
    return 'n/a' if x is None or math.isnan(x) else f'{x:.{digits}f}'


def to_markdown(summary: dict, results: List[dict], title: str) -> str:
    metrics = summary['metrics']
    short = [m.split('/')[-1] for m in metrics]
    lines = [f'# {title}', '']
    header = ['method', 'runs'] + [f'{s} (mean ± std)' for s in short]
    has_gap = any('gap_closed' in r for r in summary['methods'].values())
    if has_gap:
        header += [f'gap closed ({s})' for s in short]
    lines += ['| ' + ' | '.join(header) + ' |',
              '|' + '---|' * len(header)]
    for name, row in summary['methods'].items():
        cells = [name, str(row['runs'])]
        cells += [f"{fmt(row[m]['mean'])} ± {fmt(row[m]['std'])}"
                  for m in metrics]
        if has_gap:
            cells += [('n/a' if math.isnan(row['gap_closed'][m]) else
                       f"{100 * row['gap_closed'][m]:.0f}%")
                      for m in metrics]
        lines.append('| ' + ' | '.join(cells) + ' |')
    test = summary['test']
    if test:
        lines += ['', f"Welch t-test, {test['target']} vs {test['against']}"
                  ' (the best other method by mean ' + short[-1] + '): ' +
                  ', '.join(f'p = {fmt(test["p_value"][m], 4)} ({s})'
                            for m, s in zip(metrics, short)) + '.']
        lines.append(
            f"{test['target']} exceeds {test['against']} by more than the "
            'sum of the two standard deviations: ' +
            ', '.join(f"{s} {'yes' if test['exceeds_by_more_than_std_sum'][m] else 'no'}"  # noqa: E501
                      for m, s in zip(metrics, short)) + '.')
    if summary['baseline'] and summary['reference']:
        lines += ['', f"Gap closed = (method - {summary['baseline']}) / "
                  f"({summary['reference']} - {summary['baseline']}), on the "
                  'means.']
    lines += ['', '## Every run', '',
              '| method | seed | ' + ' | '.join(short) + ' | config |',
              '|---|---|' + '---|' * len(short) + '---|']
    for r in sorted(results, key=lambda r: (r['name'], r['seed'])):
        lines.append(f"| {r['name']} | {r['seed']} | " + ' | '.join(
            fmt(float(r['metrics'][m])) for m in metrics) +
            f" | `{r['config']}` |")
    return '\n'.join(lines) + '\n'


def plot(summary: dict, path: str, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    metrics = summary['metrics']
    names = list(summary['methods'])
    fig, axes = plt.subplots(1, len(metrics),
                             figsize=(1.0 + 1.6 * len(names) * len(metrics),
                                      4.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        means = [summary['methods'][n][m]['mean'] for n in names]
        stds = [summary['methods'][n][m]['std'] for n in names]
        stds = [0 if math.isnan(s) else s for s in stds]
        xs = range(len(names))
        ax.bar(xs, means, yerr=stds, capsize=4, color='#9ecae1',
               edgecolor='#3182bd')
        for x, n in zip(xs, names):
            vals = summary['methods'][n][m]['values']
            ax.scatter([x] * len(vals), vals, color='#08306b', s=12, zorder=3)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, rotation=20, ha='right')
        ax.set_ylabel(m)
        ax.set_title(f'{m} (mean ± std, dots: seeds)', fontsize=9)
        lows = [min(summary['methods'][n][m]['values']) for n in names]
        ax.set_ylim(max(0, min(lows) - 0.1), min(1, max(means) + 0.1))
    fig.suptitle(title)
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    jobs = [(c, n, s) for c, n in zip(args.configs, args.names)
            for s in args.seeds]
    progress = Progress(len(jobs), osp.join(args.work_dir, 'compare.log'))
    results, failures = [], []

    def work(job):
        config, name, seed = job
        try:
            return run_one(config, name, seed, args.work_dir,
                           args.cfg_options, threads, progress)
        except Exception as e:  # report every failure at the end
            progress(f'FAILED: {e}', finished=True)
            failures.append(str(e))
            return None

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = [r for r in pool.map(work, jobs) if r is not None]
    if failures:
        print('\n'.join(['[compare] failed runs:'] + failures),
              file=sys.stderr)
        return 1
    summary = summarise(results, args.names, args.metrics, args.baseline,
                        args.reference, args.target)
    markdown = to_markdown(summary, results, args.title)
    md_path = osp.join(args.work_dir, args.report + '.md')
    with open(md_path + '.tmp', 'w') as f:
        f.write(markdown)
    os.replace(md_path + '.tmp', md_path)
    atomic_write_json(dict(summary=summary, runs=results),
                      osp.join(args.work_dir, args.report + '.json'),
                      indent=2)
    png = osp.join(args.work_dir, args.report + '.png')
    plot(summary, png, args.title)
    print(markdown)
    print(f'[compare] table: {md_path}\n[compare] plot: {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
