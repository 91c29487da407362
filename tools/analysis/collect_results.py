"""Turn finished runs into one of the paper's tables, beside its numbers.

Every run directory under the given work dirs that holds a
``test_metrics.json`` (written by ``tools/test.py --metrics-out``, e.g. by
``tools/dist_train_folds.sh`` or ``tools/analysis/compare_methods.py``) is
a run. Its config leaf is the config mmengine dumped into the run directory
(``<leaf name>.py``; where two leaves share that name, the one whose path
``<folder>/<name>`` the run directory's path contains), or the ``config``
of a ``result.json`` of compare_methods. Its fold and seed come from the
dumped config (the ``.<K>@`` of the training split, ``randomness.seed``).

The leaf's entries in ``configs/paper_results.yml`` place the run in a
cell (row, column) of the requested table and give the metric; for each
cell the tool reports mean ± std (sample std, n - 1) over the runs (folds
or seeds) in percent, the paper's number and the difference, and for each
column (or row, Tables 6, 9, 10 and Fig. 5) the two-sided Welch t-test
p-value between its two best cells, beside the paper's. Cells without runs
are shown as missing, never filled in. Runs of configs that are not in the
table are listed as skipped.

Example (Table 1 from folds trained by tools/dist_train_folds.sh)::

    python tools/analysis/collect_results.py work_dirs --table table1 \\
        --out-md table1.md --out-csv table1.csv --out-png table1.png

``--curves RUN_DIR --out-png F`` plots the training curves of one run
(losses, lambda, W, IAP statistics, learning rate and validation metrics
from its ``vis_data/scalars.json``) instead.
"""
import argparse
import csv
import io
import json
import math
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.fileio import load

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from compare_methods import fmt, mean_std, welch_p  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER_RESULTS = osp.join(REPO_ROOT, 'configs', 'paper_results.yml')
ENTRY_KEYS = ('table', 'row', 'column', 'config', 'method', 'backbone',
              'dataset', 'labeled', 'resolution', 'setting', 'metric',
              'paper')
GROUP_KEYS = ('method', 'backbone', 'dataset', 'labeled', 'resolution',
              'setting')
FOLD = re.compile(r'\.(\d+)@|\.fold(\d+)\.json$')


class ResultsError(ValueError):
    """Raised for a paper_results file or run that cannot be read."""


def load_paper_results(path: str = PAPER_RESULTS) -> dict:
    """Load and check ``paper_results.yml``.

    Args:
        path (str): The file.

    Returns:
        dict: ``tables``, ``entries`` and ``p_values`` as in the file.

    Raises:
        ResultsError: Naming the file and the entry for a missing key, an
            unknown table, a null ``paper`` without ``not_reported`` or a
            null ``config`` without ``note``.
    """
    if not osp.isfile(path):
        raise ResultsError(f'{path}: not found')
    data = load(path)
    for key in ('tables', 'entries', 'p_values'):
        if not isinstance(data, dict) or key not in data:
            raise ResultsError(f'{path}: no {key!r} section')
    for i, e in enumerate(data['entries']):
        where = f'{path}: entries[{i}]'
        missing = [k for k in ENTRY_KEYS if k not in e]
        if missing:
            raise ResultsError(f'{where}: missing {missing}')
        if e['table'] not in data['tables']:
            raise ResultsError(f"{where}: unknown table {e['table']!r}")
        if e['paper'] is None and not e.get('not_reported'):
            raise ResultsError(f'{where}: paper is null without a '
                               'not_reported reason')
        if e['paper'] is not None and not isinstance(e['paper'],
                                                     (int, float)):
            raise ResultsError(f"{where}: paper {e['paper']!r} is not a "
                               'number')
        if e['config'] is None and not e.get('note'):
            raise ResultsError(f'{where}: config is null without a note')
    for i, p in enumerate(data['p_values']):
        if p.get('table') not in data['tables'] or 'group' not in p:
            raise ResultsError(f'{path}: p_values[{i}]: needs a known '
                               'table and a group')
    return data


def table_entries(data: dict, table: str) -> List[dict]:
    """The entries of one table, in file order."""
    if table not in data['tables']:
        raise ResultsError(f'unknown table {table!r}; known: '
                           f"{', '.join(data['tables'])}")
    return [e for e in data['entries'] if e['table'] == table]


def _dumped_config(run_dir: str) -> Optional[str]:
    """The config mmengine dumped into ``run_dir`` (``<name>.py``)."""
    dumped = sorted(f for f in os.listdir(run_dir) if f.endswith('.py'))
    if len(dumped) > 1:
        raise ResultsError(f'{run_dir}: several dumped configs {dumped}')
    return osp.join(run_dir, dumped[0]) if dumped else None


def identify_leaf(run_dir: str, leaves: Sequence[str]) -> Optional[str]:
    """The leaf (a ``config`` of paper_results.yml) a run trained.

    Args:
        run_dir (str): The run directory.
        leaves (Sequence[str]): Known leaves, ``configs/...py``.

    Returns:
        str | None: The leaf, or None if the run's config is none of them.

    Raises:
        ResultsError: If the run's config name fits several leaves and its
            path does not say which.
    """
    names = []
    dumped = _dumped_config(run_dir)
    if dumped:
        names.append(osp.basename(dumped))
    result = osp.join(run_dir, 'result.json')
    if osp.isfile(result):
        with open(result) as f:
            config = json.load(f).get('config')
        if config in leaves:
            return config
        if config:
            names.append(osp.basename(config))
    norm = run_dir.replace(os.sep, '/') + '/'
    for name in names:
        candidates = [c for c in leaves if osp.basename(c) == name]
        if len(candidates) > 1:
            candidates = [
                c for c in candidates
                if '/' + c[len('configs/'):-len('.py')] + '/' in '/' + norm
            ]
            if len(candidates) != 1:
                raise ResultsError(
                    f'{run_dir}: its config {name} is the name of several '
                    'leaves; put the run under work_dirs/<folder>/<name>/ '
                    '(as tools/dist_train_folds.sh does)')
        if candidates:
            return candidates[0]
    return None


def fold_and_seed(run_dir: str) -> Tuple[Optional[int], Optional[int]]:
    """The fold (from the training split's file names) and seed of a run,
    read from its dumped config (``result.json`` for the seed otherwise)."""
    fold = seed = None
    dumped = _dumped_config(run_dir)
    if dumped:
        cfg = Config.fromfile(dumped, import_custom_modules=False)
        seed = (cfg.get('randomness') or {}).get('seed')
        text = json.dumps(cfg.get('train_dataloader', {}).to_dict()
                          if cfg.get('train_dataloader') else {})
        folds = {int(a or b) for a, b in FOLD.findall(text)}
        if len(folds) == 1:
            fold = folds.pop()
    result = osp.join(run_dir, 'result.json')
    if seed is None and osp.isfile(result):
        with open(result) as f:
            seed = json.load(f).get('seed')
    return fold, seed


def find_runs(work_dirs: Sequence[str], leaves: Sequence[str]
              ) -> Tuple[List[dict], List[str]]:
    """Every run (a directory with ``test_metrics.json``) under
    ``work_dirs``.

    Returns:
        tuple: the runs of known leaves (``dir``, ``config``, ``fold``,
        ``seed``, ``metrics``) and the directories of the other runs.
    """
    runs, skipped, seen = [], [], set()
    for root in work_dirs:
        if not osp.isdir(root):
            raise ResultsError(f'{root}: not a directory')
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if 'test_metrics.json' not in filenames:
                continue
            run_dir = osp.normpath(dirpath)
            if run_dir in seen:
                continue
            seen.add(run_dir)
            leaf = identify_leaf(run_dir, leaves)
            if leaf is None:
                skipped.append(run_dir)
                continue
            path = osp.join(run_dir, 'test_metrics.json')
            try:
                with open(path) as f:
                    metrics = json.load(f)
            except (OSError, ValueError) as e:
                raise ResultsError(f'{path}: unreadable ({e})') from None
            fold, seed = fold_and_seed(run_dir)
            runs.append(dict(dir=run_dir, config=leaf, fold=fold,
                             seed=seed, metrics=metrics))
    return runs, skipped


def _check_duplicates(runs: List[dict]) -> None:
    """Two runs of one leaf with the same fold and seed are one sample
    counted twice: refuse them, naming both directories."""
    seen = {}
    for r in runs:
        if r['fold'] is None and r['seed'] is None:
            continue
        key = (r['config'], r['fold'], r['seed'])
        if key in seen:
            raise ResultsError(
                f"{seen[key]} and {r['dir']}: two runs of {r['config']} "
                f"with fold {r['fold']} and seed {r['seed']}; collect only "
                'one of them')
        seen[key] = r['dir']


def collect(data: dict, table: str, runs: List[dict]) -> dict:
    """The table's cells with their runs' statistics and the p-values.

    Args:
        data (dict): :func:`load_paper_results`.
        table (str): e.g. ``'table1'``.
        runs (list[dict]): :func:`find_runs`.

    Returns:
        dict: ``cells`` (one per entry, in file order, with ``values``,
        ``n``, ``mean``, ``std`` in percent, ``diff`` = mean - paper) and
        ``tests`` (per group: the two best cells, our p and the paper's).
    """
    entries = table_entries(data, table)
    _check_duplicates(runs)
    by_config: Dict[str, List[dict]] = {}
    for r in runs:
        by_config.setdefault(r['config'], []).append(r)
    cells = []
    for e in entries:
        values, sources = [], []
        for r in by_config.get(e['config'], []):
            if e['metric'] not in r['metrics']:
                raise ResultsError(
                    f"{r['dir']}/test_metrics.json: no {e['metric']!r} "
                    f"(has {sorted(r['metrics'])})")
            values.append(100 * float(r['metrics'][e['metric']]))
            sources.append(dict(dir=r['dir'], fold=r['fold'],
                                seed=r['seed']))
        cell = dict(e, values=values, runs=sources, n=len(values))
        if values:
            cell['mean'], cell['std'] = mean_std(values)
        else:
            cell['mean'] = cell['std'] = float('nan')
        cell['diff'] = (cell['mean'] - e['paper']
                        if values and e['paper'] is not None else float('nan'))
        cells.append(cell)
    within = data['tables'][table].get('p_within', 'column')
    groups: Dict[str, List[dict]] = OrderedDict()
    for c in cells:
        groups.setdefault(c[within], []).append(c)
    paper_p = {p['group']: p for p in data['p_values']
               if p['table'] == table}
    tests = []
    for group, members in groups.items():
        other = 'column' if within == 'row' else 'row'
        ranked = sorted((c for c in members if c['n']),
                        key=lambda c: -c['mean'])
        test = dict(group=group, best=None, second=None,
                    p_value=float('nan'),
                    paper_p=paper_p.get(group, {}).get('value'),
                    paper_between=paper_p.get(group, {}).get('between'))
        if len(ranked) >= 2:
            test.update(best=ranked[0][other], second=ranked[1][other],
                        p_value=welch_p(ranked[0]['values'],
                                        ranked[1]['values']))
        tests.append(test)
    return dict(table=table, title=data['tables'][table]['title'],
                within=within, cells=cells, tests=tests)


def _ours(cell: dict) -> str:
    if not cell['n']:
        return 'missing'
    return f"{fmt(cell['mean'], 1)} ± {fmt(cell['std'], 1)}"


def _paper(cell: dict) -> str:
    return 'not reported' if cell['paper'] is None else f"{cell['paper']:.1f}"


def to_markdown(summary: dict) -> str:
    """The table as markdown: one line per cell, then the p-values."""
    lines = [f"# {summary['table']}: {summary['title']}", '',
             'Ours: mean ± std (sample std) over the runs (folds or seeds) '
             'in percent; "missing": no run collected. Diff: ours - paper.',
             '', '| column | row | runs | ours | paper | diff | config |',
             '|---|---|---|---|---|---|---|']
    for c in summary['cells']:
        diff = 'n/a' if math.isnan(c['diff']) else f"{c['diff']:+.1f}"
        config = f"`{c['config']}`" if c['config'] else '(none yet)'
        lines.append(f"| {c['column']} | {c['row']} | {c['n']} | "
                     f"{_ours(c)} | {_paper(c)} | {diff} | {config} |")
    lines += ['', f"Two-sided Welch t-test between the two best cells of "
              f"each {summary['within']} (ours), beside the paper's p-value:",
              '', f"| {summary['within']} | best | second | p (ours) | "
              'p (paper) | paper compares |', '|---|---|---|---|---|---|']
    for t in summary['tests']:
        paper_p = 'n/a' if t['paper_p'] is None else f"{t['paper_p']:.4f}"
        between = t['paper_between']
        if isinstance(between, list):
            between = ' vs '.join(between)
        lines.append(f"| {t['group']} | {t['best'] or '-'} | "
                     f"{t['second'] or '-'} | {fmt(t['p_value'], 4)} | "
                     f"{paper_p} | {between or '-'} |")
    return '\n'.join(lines) + '\n'


def to_csv(summary: dict) -> str:
    """One CSV line per cell: its keys, our statistics and the paper's."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(['table', 'row', 'column', 'config', *GROUP_KEYS,
                     'metric', 'runs', 'mean', 'std', 'paper', 'diff',
                     'values'])
    for c in summary['cells']:
        writer.writerow([
            c['table'], c['row'], c['column'], c['config'] or '',
            *(c[k] if c[k] is not None else '' for k in GROUP_KEYS),
            c['metric'], c['n'],
            '' if not c['n'] else f"{c['mean']:.4f}",
            '' if c['n'] < 2 else f"{c['std']:.4f}",
            '' if c['paper'] is None else c['paper'],
            '' if math.isnan(c['diff']) else f"{c['diff']:.4f}",
            ' '.join(f'{v:.4f}' for v in c['values'])
        ])
    return out.getvalue()


def plot_table(summary: dict, path: str) -> None:
    """AP against the labeled ratio (Table 1) or the input size (Fig. 4) per
    method, mean ± std, one panel per dataset and backbone; the paper's
    numbers dashed where it gives them."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    x_key = 'resolution' if summary['table'] == 'fig4' else 'labeled'
    panels: Dict[tuple, Dict[str, List[dict]]] = OrderedDict()
    for c in summary['cells']:
        panel = panels.setdefault((c['dataset'], c['backbone']),
                                  OrderedDict())
        panel.setdefault(c['row'], []).append(c)
    fig, axes = plt.subplots(1, len(panels), squeeze=False,
                             figsize=(4.6 * len(panels), 4.0))
    for ax, ((dataset, backbone), rows) in zip(axes[0], panels.items()):
        for i, (row, cells) in enumerate(rows.items()):
            color = f'C{i % 10}'
            cells = sorted(cells, key=lambda c: c[x_key])
            got = [c for c in cells if c['n']]
            if got:
                ax.errorbar([c[x_key] for c in got],
                            [c['mean'] for c in got],
                            yerr=[0 if math.isnan(c['std']) else c['std']
                                  for c in got],
                            color=color, marker='o', capsize=3, label=row)
            paper = [c for c in cells if c['paper'] is not None]
            if paper:
                ax.plot([c[x_key] for c in paper],
                        [c['paper'] for c in paper], color=color,
                        linestyle='--', alpha=0.6,
                        label=None if got else f'{row} (paper)')
        ax.set_title(f'{dataset} {backbone}', fontsize=10)
        ax.set_xlabel('labeled %' if x_key == 'labeled' else 'input size')
        first = next(iter(rows.values()))[0]
        ax.set_ylabel(first['metric'] + ' (%)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{summary['table']}: ours (solid, mean ± std) and the "
                 'paper (dashed)', fontsize=10)
    fig.tight_layout()
    _save(fig, path)


CURVE_GROUPS = (
    ('losses', lambda k: 'loss' in k),
    ('consistency (lambda, W, ratio)', lambda k: k.startswith('consistency')),
    ('IAP', lambda k: 'iap' in k),
    ('learning rate', lambda k: k == 'lr'),
    ('validation', lambda k: '/' in k),
)
CURVE_SKIP = ('time', 'data_time', 'iter', 'step', 'epoch', 'memory')


def read_scalars(run_dir: str) -> List[dict]:
    """The records of the newest ``<run>/<timestamp>/vis_data/scalars.json``
    (mmengine's LocalVisBackend, one JSON object per line)."""
    found = sorted(
        osp.join(run_dir, d, 'vis_data', 'scalars.json')
        for d in os.listdir(run_dir)
        if osp.isfile(osp.join(run_dir, d, 'vis_data', 'scalars.json')))
    if not found:
        raise ResultsError(f'{run_dir}: no <timestamp>/vis_data/'
                           'scalars.json')
    records = []
    with open(found[-1]) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise ResultsError(f'{found[-1]}: line {n} is not '
                                       'JSON') from None
    return records


def plot_curves(run_dir: str, path: str) -> List[str]:
    """Plot a run's training curves, one panel per group of keys.

    Returns:
        list[str]: The keys plotted.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    records = read_scalars(run_dir)
    # a validation record carries no training iteration (its ``step`` is
    # the epoch, 0 in iteration-based loops): place it after the last
    # training record
    last = 0
    for r in records:
        if 'iter' in r:
            last = r['iter']
        r['_x'] = r['iter'] if 'iter' in r else last
    keys = sorted({k for r in records for k, v in r.items()
                   if isinstance(v, (int, float)) and k not in CURVE_SKIP
                   and not k.startswith('_')})
    # COCO's -1: no object of that size in the split; nothing to plot
    keys = [k for k in keys if any(r.get(k, -1) != -1 for r in records)]
    panels = [(title, [k for k in keys if match(k)])
              for title, match in CURVE_GROUPS]
    used = {k for _, ks in panels for k in ks}
    panels.append(('other', [k for k in keys if k not in used]))
    panels = [(t, ks) for t, ks in panels if ks]
    fig, axes = plt.subplots(1, len(panels), squeeze=False,
                             figsize=(4.2 * len(panels), 3.6))
    for ax, (title, ks) in zip(axes[0], panels):
        for k in ks:
            pts = [(r['_x'], r[k]) for r in records if k in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=k,
                    marker='.' if len(pts) < 20 else None)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel('iteration')
        ax.legend(fontsize=6)
        ax.grid(alpha=0.3)
        if title == 'losses':
            ax.set_yscale('log')
    fig.suptitle(run_dir, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    return keys


def _save(fig, path: str) -> None:
    import matplotlib.pyplot as plt
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def _write(path: str, text: str) -> None:
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Collect finished runs into one of the paper\'s '
        'tables, beside its numbers')
    parser.add_argument('work_dirs', nargs='*',
                        help='directories searched for runs '
                        '(test_metrics.json)')
    parser.add_argument('--table', help='table1 ... table10, fig4, fig5 or '
                        'demo (the tables of paper_results.yml)')
    parser.add_argument('--paper-results', default=PAPER_RESULTS)
    parser.add_argument('--out-md', help='write the markdown table here')
    parser.add_argument('--out-csv', help='write the CSV here')
    parser.add_argument('--out-png', help='plot: the table\'s curves '
                        '(table1, fig4, demo), or the --curves of a run')
    parser.add_argument('--curves', metavar='RUN_DIR',
                        help='plot the training curves of this run to '
                        '--out-png instead of collecting a table')
    args = parser.parse_args(argv)
    if args.curves:
        if not args.out_png:
            parser.error('--curves needs --out-png')
    elif not args.work_dirs or not args.table:
        parser.error('give WORK_DIRS and --table (or --curves RUN_DIR)')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        if args.curves:
            keys = plot_curves(args.curves, args.out_png)
            print(f"[collect] {len(keys)} curves: {', '.join(keys)}\n"
                  f'[collect] plot: {args.out_png}')
            return 0
        data = load_paper_results(args.paper_results)
        leaves = sorted({e['config'] for e in data['entries']
                         if e['config']})
        runs, skipped = find_runs(args.work_dirs, leaves)
        summary = collect(data, args.table, runs)
        markdown, table_csv = to_markdown(summary), to_csv(summary)
        if args.out_png and args.table not in ('table1', 'fig4', 'demo'):
            raise ResultsError(f'--out-png plots table1, fig4 or demo, not '
                               f'{args.table}')
    except ResultsError as e:
        print(f'[collect] error: {e}', file=sys.stderr)
        return 1
    print(markdown)
    used = sum(c['n'] for c in summary['cells'])
    print(f'[collect] {used} run values in {args.table}; '
          f'{len(skipped)} runs of configs outside paper_results.yml '
          'skipped' + (': ' + ', '.join(skipped[:5]) +
                       (' ...' if len(skipped) > 5 else '')
                       if skipped else ''))
    if args.out_md:
        _write(args.out_md, markdown)
    if args.out_csv:
        _write(args.out_csv, table_csv)
    if args.out_png:
        plot_table(summary, args.out_png)
        print(f'[collect] plot: {args.out_png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
