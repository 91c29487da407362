"""tools/analysis/compare_methods.py: statistics, outputs and resumption.

Training is what the tool drives, and other tests cover it; here every run
has already finished (its ``result.json`` exists), so the tool must reuse
them without training and produce the table, JSON and plot from them.
"""
import json
import math

import pytest
from scipy import stats

from conftest import load_tool

tool = load_tool('analysis/compare_methods.py')

RUNS = {  # name -> per-seed (mAP, AP50)
    'sup10': [(0.30, 0.60), (0.32, 0.62), (0.31, 0.58)],
    'ssmd': [(0.40, 0.72), (0.41, 0.74), (0.39, 0.73)],
    'csd': [(0.35, 0.66), (0.33, 0.65), (0.36, 0.69)],
    'full': [(0.50, 0.80), (0.52, 0.82), (0.51, 0.81)],
}


def write_runs(work_dir, names=RUNS):
    for name in names:
        for seed, (m, m50) in enumerate(RUNS[name]):
            run = work_dir / name / f'seed_{seed}'
            run.mkdir(parents=True)
            (run / 'result.json').write_text(json.dumps(dict(
                name=name, config=f'configs/{name}.py', seed=seed,
                metrics={'coco/bbox_mAP': m, 'coco/bbox_mAP_50': m50})))


def test_summary_statistics_gap_and_welch():
    results = [dict(name=n, seed=s, config=f'{n}.py',
                    metrics={'coco/bbox_mAP': m, 'coco/bbox_mAP_50': m50})
               for n, runs in RUNS.items() for s, (m, m50) in enumerate(runs)]
    summary = tool.summarise(results, list(RUNS),
                             ['coco/bbox_mAP', 'coco/bbox_mAP_50'],
                             baseline='sup10', reference='full',
                             target='ssmd')
    ssmd = summary['methods']['ssmd']['coco/bbox_mAP_50']
    assert ssmd['mean'] == pytest.approx(0.73)
    assert ssmd['std'] == pytest.approx(0.01)  # sample std (n - 1)
    # gap closed on AP50: (0.73 - 0.60) / (0.81 - 0.60)
    assert summary['methods']['ssmd']['gap_closed'][
        'coco/bbox_mAP_50'] == pytest.approx(0.13 / 0.21)
    assert summary['methods']['sup10']['gap_closed'][
        'coco/bbox_mAP_50'] == pytest.approx(0.0)
    # against the best other method (csd), never the reference
    test = summary['test']
    assert test['against'] == 'csd'
    expected = stats.ttest_ind([0.72, 0.74, 0.73], [0.66, 0.65, 0.69],
                               equal_var=False).pvalue
    assert test['p_value']['coco/bbox_mAP_50'] == pytest.approx(expected)
    assert test['exceeds_by_more_than_std_sum']['coco/bbox_mAP_50']


def test_finished_runs_are_reused_and_outputs_written(tmp_path, capsys):
    write_runs(tmp_path)
    configs = []
    for name in RUNS:  # the configs must exist; they are never trained
        cfg = tmp_path / f'{name}.py'
        cfg.write_text('')
        configs.append(str(cfg))
    rc = tool.main(configs + [
        '--names', *RUNS, '--seeds', '0', '1', '2', '--work-dir',
        str(tmp_path), '--baseline', 'sup10', '--reference', 'full',
        '--target', 'ssmd'
    ])
    assert rc == 0
    out = capsys.readouterr().out
    assert 'done before, reused' in out
    md = (tmp_path / 'comparison.md').read_text()
    assert '| ssmd | 3 | 0.400 ± 0.010 | 0.730 ± 0.010 | 45% | 62% |' in md
    assert 'ssmd vs csd' in md
    # every run is listed, not a selection
    assert md.count('| csd | ') == 3 + 1
    data = json.loads((tmp_path / 'comparison.json').read_text())
    assert len(data['runs']) == 12
    assert math.isclose(
        data['summary']['methods']['full']['coco/bbox_mAP']['mean'], 0.51)
    png = (tmp_path / 'comparison.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n'


def test_bad_arguments_are_refused(tmp_path):
    cfg = tmp_path / 'a.py'
    cfg.write_text('')
    with pytest.raises(SystemExit):
        tool.main([str(cfg), '--work-dir', str(tmp_path), '--target', 'b'])
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'missing.py'), '--work-dir',
                   str(tmp_path)])
    with pytest.raises(SystemExit):
        tool.main([str(cfg), str(cfg), '--work-dir', str(tmp_path)])
