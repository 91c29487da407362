"""Folds and the paper's tables: tools/misc/fold_options.py,
tools/dist_train_folds.sh and tools/analysis/collect_results.py."""
import argparse
import csv
import io
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from mmengine.config import Config, DictAction
from scipy import stats

from conftest import (REPO_ROOT, demo_data_options, load_tool, tool_main,
                      train_in_process)

folds = load_tool('misc/fold_options.py')
collect = load_tool('analysis/collect_results.py')


def merged(config, options):
    """``config`` with ``--cfg-options`` applied, as tools/train.py does
    (mmengine's DictAction parses the values)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(str(REPO_ROOT / config))
    cfg.merge_from_dict(parser.parse_args(['--cfg-options',
                                           *options]).cfg_options)
    return cfg


def test_fold_options_point_a_semi_config_at_fold_k():
    cfg = merged('configs/ssmd/ssmd_r50_dsb_10pct.py', folds.fold_options(
        Config.fromfile(str(REPO_ROOT / 'configs/ssmd/ssmd_r50_dsb_10pct.py')),
        2))
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file == 'annotations/semi/instances_train.2@10.json'
    assert unlabeled.ann_file == \
        'annotations/semi/instances_train.2@10-unlabeled.json'
    assert cfg.randomness.seed == 2
    # the evaluation files have no fold
    assert cfg.test_evaluator.ann_file.endswith('instances_test.json')


def test_fold_options_point_a_supervised_config_at_fold_k():
    config = 'configs/baselines/supervised_r101_dsb_30pct.py'
    options = folds.fold_options(Config.fromfile(str(REPO_ROOT / config)), 3)
    cfg = merged(config, options)
    assert cfg.train_dataloader.dataset.ann_file == \
        'annotations/semi/instances_train.3@30.json'
    assert cfg.randomness.seed == 3


def test_fold_options_pseudo_labels_follow_the_fold():
    config = 'configs/pseudo_label/pseudo_label_r50_deeplesion_20pct.py'
    base = Config.fromfile(str(REPO_ROOT / config))
    cfg = merged(config, folds.fold_options(base, 2))
    labeled, pseudo = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file == 'annotations/semi/instances_train.2@20.json'
    assert pseudo.ann_file == \
        'annotations/pseudo/supervised_r50_deeplesion_20pct.fold2.json'
    # fold 1 is the config as it is
    assert folds.fold_options(base, 1)[:-1] == [
        'train_dataloader.dataset.datasets.0.ann_file='
        'annotations/semi/instances_train.1@20.json',
        'train_dataloader.dataset.datasets.1.ann_file='
        'annotations/pseudo/supervised_r50_deeplesion_20pct.json']


def test_fold_options_cli_and_errors(capsys):
    assert folds.main(['configs/baselines/fully_supervised_r50_dsb.py',
                       '2']) == 0
    out, err = capsys.readouterr()
    assert out.strip() == 'randomness.seed=2' and 'only sets the seed' in err
    assert folds.main(['configs/ssmd/ssmd_r50_dsb_10pct.py', '0']) == 1
    assert 'fold must be >= 1' in capsys.readouterr().err
    with pytest.raises(folds.FoldError, match='names fold'):
        folds.fold_ann_file('annotations/semi/instances_train.2@10.json', 3)


STUB = '''#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$STUB_LOG"
args=("$@")
for ((i = 0; i < $#; i++)); do
    if [[ ${args[i]} == --work-dir ]]; then wd=${args[i+1]}; fi
    if [[ ${args[i]} == --metrics-out ]]; then mo=${args[i+1]}; fi
done
if [[ $(basename "$0") == train.sh ]]; then
    mkdir -p "$wd"; touch "$wd/iter_8.pth" "$wd/best_coco_bbox_mAP_iter_6.pth"
    echo "$wd/iter_8.pth" > "$wd/last_checkpoint"
else
    echo '{"coco/bbox_mAP": 0.5}' > "$mo"
fi
'''


def test_dist_train_folds_runs_each_fold_then_tests_its_best(tmp_path):
    for name in ('train.sh', 'test.sh'):
        (tmp_path / name).write_text(STUB)
        (tmp_path / name).chmod(0o755)
    log = tmp_path / 'calls.log'
    env = dict(os.environ, STUB_LOG=str(log), WORK_ROOT=str(tmp_path / 'w'),
               DIST_TRAIN=str(tmp_path / 'train.sh'),
               DIST_TEST=str(tmp_path / 'test.sh'), PYTHONWARNINGS='ignore')
    config = 'configs/csd/csd_r50_dsb_20pct.py'

    def run(*folds_):
        return subprocess.run(['bash', 'tools/dist_train_folds.sh', config,
                               '4', *folds_], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True)

    proc = run('1', '3', '--', 'train_cfg.max_iters=8')
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    work = f'{tmp_path}/w/csd/csd_r50_dsb_20pct'
    opts = ('--cfg-options train_dataloader.dataset.datasets.0.ann_file='
            'annotations/semi/instances_train.{k}@20.json '
            'train_dataloader.dataset.datasets.1.ann_file='
            'annotations/semi/instances_train.{k}@20-unlabeled.json '
            'randomness.seed={k} train_cfg.max_iters=8')
    assert calls == [
        f'train.sh {config} 4 --work-dir {work}/fold_1 ' + opts.format(k=1),
        f'test.sh {config} {work}/fold_1/best_coco_bbox_mAP_iter_6.pth 4 '
        f'--work-dir {work}/fold_1/test --metrics-out '
        f'{work}/fold_1/test_metrics.json ' + opts.format(k=1),
        f'train.sh {config} 4 --work-dir {work}/fold_3 ' + opts.format(k=3),
        f'test.sh {config} {work}/fold_3/best_coco_bbox_mAP_iter_6.pth 4 '
        f'--work-dir {work}/fold_3/test --metrics-out '
        f'{work}/fold_3/test_metrics.json ' + opts.format(k=3)]
    # finished folds are skipped; bad folds are refused before any run
    proc = run('1')
    assert 'fold 1 done before' in proc.stdout
    assert len(log.read_text().splitlines()) == 4
    proc = run('2', 'x')
    assert proc.returncode == 1 and "fold 'x'" in proc.stderr
    proc = run('0')  # refused by fold_options.py: nothing runs
    assert proc.returncode == 1 and 'fold' in proc.stderr
    assert len(log.read_text().splitlines()) == 4


# ---------------------------------------------------------------- collect
SSMD = 'configs/ssmd/ssmd_r50_dsb_10pct.py'
FOCALMIX = 'configs/focalmix/focalmix_r50_dsb_10pct.py'
CSD = 'configs/csd/csd_r50_dsb_10pct.py'
MT = 'configs/mmdet_mean_teacher/mean_teacher_r50_dsb_10pct.py'
RUNS = {SSMD: [0.53, 0.51, 0.52], FOCALMIX: [0.49, 0.48, 0.50],
        CSD: [0.45, 0.47], MT: [0.40]}


def run_collect(argv):
    """``collect_results.main`` with every argument as a string."""
    return collect.main([str(a) for a in argv])


def write_run(root, config, fold, metrics):
    """A finished run as tools/dist_train_folds.sh leaves it: the dumped
    config (as mmengine writes it, flattened) and test_metrics.json."""
    rel = config[len('configs/'):-len('.py')]
    run = Path(root) / rel / f'fold_{fold}'
    run.mkdir(parents=True)
    ann = f'annotations/semi/instances_train.{fold}@10.json'
    (run / Path(config).name).write_text(
        f"train_dataloader = dict(dataset=dict(type='ConcatDataset', "
        f"datasets=[dict(ann_file='{ann}')]))\n"
        f'randomness = dict(seed={fold})\n')
    (run / 'test_metrics.json').write_text(json.dumps(metrics))
    return run


def test_collect_table1_means_stds_and_welch(tmp_path, capsys):
    for config, values in RUNS.items():
        for fold, v in enumerate(values, 1):
            write_run(tmp_path / 'work', config, fold,
                      {'coco/bbox_mAP': v, 'coco/bbox_mAP_50': 0.9})
    other = tmp_path / 'work' / 'elsewhere' / 'seed_0'  # not a leaf
    other.mkdir(parents=True)
    (other / 'test_metrics.json').write_text('{}')
    md, table = tmp_path / 't.md', tmp_path / 't.csv'
    png = tmp_path / 't.png'
    assert run_collect([tmp_path / 'work', '--table', 'table1', '--out-md',
                         md, '--out-csv', table, '--out-png', png]) == 0
    out = capsys.readouterr().out
    assert '1 runs of configs outside paper_results.yml skipped' in out
    rows = {(r['row'], r['column']): r
            for r in csv.DictReader(io.StringIO(table.read_text()))}
    ssmd = rows[('SSMD', 'DSB2018 R-50 10%')]
    assert float(ssmd['mean']) == pytest.approx(52.0)
    assert float(ssmd['std']) == pytest.approx(1.0)  # sample std
    assert float(ssmd['paper']) == 52.2
    assert float(ssmd['diff']) == pytest.approx(-0.2)
    assert ssmd['runs'] == '3' and ssmd['labeled'] == '10'
    mt = rows[('MMDetection mean teacher', 'DSB2018 R-50 10%')]
    assert mt['runs'] == '1' and mt['paper'] == '' and mt['std'] == ''
    # cells without runs stay empty, never filled in
    missing = rows[('Supervised', 'DSB2018 R-50 10%')]
    assert missing['runs'] == '0' and missing['mean'] == ''
    assert float(missing['paper']) == 39.3
    text = md.read_text()
    assert ('| DSB2018 R-50 10% | Supervised | 0 | missing | 39.3 | n/a |'
            in text)
    assert ('| DSB2018 R-50 10% | SSMD | 3 | 52.0 ± 1.0 | 52.2 | -0.2 |'
            in text)
    # Welch between the two best of the column, against scipy
    p = stats.ttest_ind([53, 51, 52], [49, 48, 50], equal_var=False).pvalue
    line = next(ln for ln in text.splitlines()
                if ln.startswith('| DSB2018 R-50 10% | SSMD | FocalMix |'))
    assert f'| {p:.4f} | 0.0154 | SSMD vs FocalMix |' in line
    assert '| DSB2018 R-50 20% | - | - | n/a | 0.0232 |' in text
    assert png.stat().st_size > 10000


def test_collect_refuses_bad_runs_without_output(tmp_path, capsys):
    write_run(tmp_path / 'a', SSMD, 1, {'coco/bbox_mAP': 0.5})
    write_run(tmp_path / 'b', SSMD, 1, {'coco/bbox_mAP': 0.6})
    md = tmp_path / 'out.md'
    assert run_collect([tmp_path / 'a', tmp_path / 'b', '--table',
                         'table1', '--out-md', md]) == 1
    err = capsys.readouterr().err
    assert 'two runs of configs/ssmd/ssmd_r50_dsb_10pct.py with fold 1' in err
    assert not md.exists()
    shutil.rmtree(tmp_path / 'b')
    write_run(tmp_path / 'b', SSMD, 2, {'coco/bbox_mAP_50': 0.6})
    assert run_collect([tmp_path / 'a', tmp_path / 'b', '--table',
                         'table1', '--out-md', md]) == 1
    err = capsys.readouterr().err
    assert "fold_2/test_metrics.json: no 'coco/bbox_mAP'" in err
    assert not md.exists()
    assert run_collect([tmp_path / 'a', '--table', 'table11']) == 1
    assert "unknown table 'table11'" in capsys.readouterr().err


def test_same_name_leaves_are_told_apart_by_their_folder(tmp_path):
    """Tables 2 and 3 both have ssmd_acc_r50_dsb_50pct_448.py."""
    leaves = ['configs/ablations/table2_incremental/'
              'ssmd_acc_r50_dsb_50pct_448.py',
              'configs/ablations/table3_adaptive_cost/'
              'ssmd_acc_r50_dsb_50pct_448.py']
    run = write_run(tmp_path, leaves[1], 1, {})
    assert collect.identify_leaf(str(run), leaves) == leaves[1]
    bare = tmp_path / 'x' / 'fold_1'
    bare.mkdir(parents=True)
    shutil.copy(run / 'ssmd_acc_r50_dsb_50pct_448.py', bare)
    with pytest.raises(collect.ResultsError, match='several leaves'):
        collect.identify_leaf(str(bare), leaves)


def test_training_curves(tmp_path, capsys):
    vis = tmp_path / 'run' / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(loss=1.0 / i, sup_loss_cls=0.5 / i, cons_loss_cls=0.01,
                  consistency_lambda=0.1 * i, consistency_anchor_weight=0.2,
                  iap_eps=2.0, lr=1e-5, time=0.1, iter=i, step=i)
             for i in range(1, 6)]
    lines.append({'student/coco/bbox_mAP': 0.3, 'step': 5})
    (vis / 'scalars.json').write_text(
        '\n'.join(json.dumps(ln) for ln in lines) + '\n')
    png = tmp_path / 'curves.png'
    assert run_collect(['--curves', tmp_path / 'run', '--out-png', png]) == 0
    out = capsys.readouterr().out
    for key in ('consistency_lambda', 'consistency_anchor_weight', 'iap_eps',
                'student/coco/bbox_mAP'):
        assert key in out
    assert 'time' not in out.split('curves: ')[1].split('\n')[0].split(', ')
    assert png.stat().st_size > 10000


def test_two_methods_two_folds_of_the_demo(synthetic_dsb, tmp_path):
    """Supervised and CSD demo leaves on folds 1 and 2 of the synthetic
    data (fold 2 written by split_semi on a copy), 2 iterations each,
    tested by tools/test.py --metrics-out and collected into the demo
    table."""
    root = tmp_path / 'dsb2018'
    shutil.copytree(synthetic_dsb, root)
    tool_main('misc/split_semi.py', [
        '--ann-file', root / 'annotations/instances_train.json', '--out-dir',
        root / 'annotations/semi', '--percents', 50, '--folds', 2])
    work = tmp_path / 'work'
    values = {}
    for config, semi in (('configs/demo/supervised_r18_synth_2.5pct.py',
                          False),
                         ('configs/demo/csd_r18_synth_2.5pct.py', True)):
        data = demo_data_options(root, semi=semi, batch_size=2)
        for fold in (1, 2):
            cfg = merged(config, data)
            options = data + folds.fold_options(cfg, fold) + [
                'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
                'model.test_cfg.score_thr=0.0']
            run = work / config[len('configs/'):-3] / f'fold_{fold}'
            train_in_process(config, run, options)
            checkpoint = (run / 'last_checkpoint').read_text().strip()
            tool_main('test.py', [config, checkpoint, '--work-dir',
                                  run / 'test', '--metrics-out',
                                  run / 'test_metrics.json', '--cfg-options',
                                  *options])
            metrics = json.loads((run / 'test_metrics.json').read_text())
            values.setdefault(config, []).append(
                100 * metrics['coco/bbox_mAP'])
    runs, _ = collect.find_runs([str(work)], list(values))
    assert sorted((r['config'], r['fold'], r['seed']) for r in runs) == [
        (c, k, k) for c in sorted(values) for k in (1, 2)]
    out_csv = tmp_path / 'demo.csv'
    assert run_collect([work, '--table', 'demo', '--out-csv', out_csv,
                         '--out-md', tmp_path / 'demo.md']) == 0
    rows = {r['config']: r
            for r in csv.DictReader(io.StringIO(out_csv.read_text()))}
    for config, vals in values.items():
        mean = sum(vals) / 2
        std = math.sqrt(sum((v - mean)**2 for v in vals))  # n - 1 = 1
        assert float(rows[config]['mean']) == pytest.approx(mean, abs=1e-4)
        assert float(rows[config]['std']) == pytest.approx(std, abs=1e-4)
    # the p-value line of the column: Welch between its two runs' cells
    line = [ln for ln in (tmp_path / 'demo.md').read_text().splitlines()
            if ln.startswith('| synthetic R-18/4 2.5% |')][-1]
    p = stats.ttest_ind(*values.values(), equal_var=False).pvalue
    assert f"| {'n/a' if math.isnan(p) else f'{p:.4f}'} | n/a | - |" in line
