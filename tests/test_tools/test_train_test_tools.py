"""tools/train.py and tools/test.py, a few iterations on generated data.

Runs the real command-line chain that the demo uses: generator -> converter
-> split tool -> train (with validation) -> resume -> test.
"""
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import demo_data_options, run_tool, train_in_process

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = 'configs/demo/supervised_r18_synth.py'
SSMD_CONFIG = 'configs/demo/ssmd_r18_synth_2.5pct.py'


@pytest.mark.slow
def test_train_resume_and_test(synthetic_dsb, tmp_path):
    work_dir = tmp_path / 'work'
    opts = ['--cfg-options', *demo_data_options(synthetic_dsb, semi=False),
            'default_hooks.checkpoint.max_keep_ckpts=3']
    # the demo is iteration-based: 4 iterations, then resume to 8
    out = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', work_dir] +
                   opts + ['train_cfg.max_iters=4',
                           'default_hooks.checkpoint.interval=4',
                           'train_cfg.val_interval=4'])
    assert 'coco/bbox_mAP' in out
    assert (work_dir / 'iter_4.pth').exists()

    out = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                    '--resume'] + opts +
                   ['train_cfg.max_iters=8',
                    'default_hooks.checkpoint.interval=4',
                    'train_cfg.val_interval=4'])
    assert 'resumed epoch: 0, iter: 4' in out
    assert 'Iter(train) [4/8]' not in out and 'Iter(train) [8/8]' in out
    ckpt = work_dir / 'iter_8.pth'
    assert ckpt.exists()

    preds = tmp_path / 'preds.pkl'
    out = run_tool(['tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
                    tmp_path / 'test', '--out', preds] + opts)
    assert 'coco/bbox_mAP:' in out and 'coco/bbox_mAP_50:' in out
    with open(preds, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 4  # the test split: 10% of 40 images
    assert all('pred_instances' in r for r in results)


def test_ssmd_trains_through_the_runner(synthetic_dsb, tmp_path):
    """A few SSMD iterations through tools/train.py's main, with its loss
    keys logged."""
    out = train_in_process(SSMD_CONFIG, tmp_path / 'ssmd', [
        *demo_data_options(synthetic_dsb, semi=True),
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.logger.interval=2',
        'default_hooks.checkpoint.interval=4'
    ])
    for key in ('sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
                'cons_loss_bbox', 'consistency_lambda',
                'consistency_anchor_weight', 'student/coco/bbox_mAP',
                'teacher/coco/bbox_mAP'):
        assert key in out, key
    assert 'Iter(train) [4/4]' in out
    assert (tmp_path / 'ssmd' / 'iter_4.pth').exists()


def ssmd_small_options(data_root):
    """The SSMD demo config on the fixture's data: 96 px, 2 + 2 images per
    process and step, batch 1 at test time."""
    return [
        '--cfg-options', *demo_data_options(data_root, semi=True),
        'train_dataloader.dataset.datasets.0.pipeline.2.scale=(96,96)',
        'train_dataloader.dataset.datasets.1.pipeline.1.scale=(96,96)',
        'model.semi_train_cfg.cutout_size=16',
        # keep every box: the few-step model's scores are all low, and the
        # 2-process vs 1-process comparison needs predictions to compare
        'model.detector.test_cfg.score_thr=0.0',
        'val_dataloader.dataset.pipeline.1.scale=(96,96)',
        'test_dataloader.dataset.pipeline.1.scale=(96,96)',
        # one image per forward: a rank's share is then computed exactly
        # as in a single process (no batch-size dependent kernels)
        'test_dataloader.batch_size=1',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4'
    ]


def free_port():
    """A TCP port that is free now, for the rendezvous of torchrun (a
    fixed port may still be held by a previous run)."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_metrics(out):
    """The ``coco/...`` metrics of a tools/test.py log."""
    line = [ln for ln in out.splitlines() if '(test)' in ln
            and 'coco/bbox_mAP:' in ln][-1]
    return dict(re.findall(r'(coco/[\w@]+): ([-\d.]+)', line))


test_metrics.__test__ = False  # a helper, not a test


@pytest.mark.slow
def test_dist_train_and_test_on_cpu_use_gloo(synthetic_dsb, tmp_path):
    """tools/dist_*.sh with 2 processes on a CPU-only machine (gloo): SSMD
    trains, and the 2-process test of its checkpoint gives the metrics and
    predictions of a single-process test."""
    import torch
    if torch.cuda.is_available():
        pytest.skip('checks the CPU-only fallback')
    work_dir = tmp_path / 'dist'
    opts = ssmd_small_options(synthetic_dsb)
    env = dict(os.environ, PYTHON=sys.executable, PORT=free_port())
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', SSMD_CONFIG, '2', '--work-dir',
         str(work_dir)] + opts, cwd=REPO, capture_output=True, text=True,
        env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Distributed launcher: pytorch' in out
    assert "dist_cfg: {'backend': 'gloo'}" in out
    assert 'Distributed training: True' in out
    assert 'Iter(train) [4/4]' in out
    for key in ('sup_loss_cls', 'cons_loss_cls', 'student/coco/bbox_mAP',
                'teacher/coco/bbox_mAP'):
        assert key in out, key
    ckpt = work_dir / 'iter_4.pth'
    assert ckpt.exists()

    dist_preds = tmp_path / 'dist_preds.pkl'
    env['PORT'] = free_port()
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', SSMD_CONFIG, str(ckpt), '2',
         '--work-dir', str(tmp_path / 'dist_test'), '--out',
         str(dist_preds)] + opts, cwd=REPO, capture_output=True,
        text=True, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Distributed training: True' in out
    dist_metrics = test_metrics(out)

    # torchrun starts each process with OMP_NUM_THREADS=1; the same thread
    # count gives the same float summation order, hence equal bits (with
    # other counts, scores differ in the last bits)
    single_preds = tmp_path / 'single_preds.pkl'
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', SSMD_CONFIG, str(ckpt),
         '--work-dir', str(tmp_path / 'single_test'), '--out',
         str(single_preds)] + opts, cwd=REPO, capture_output=True, text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    single_metrics = test_metrics(out)
    assert 'coco/bbox_mAP' in single_metrics
    assert dist_metrics == single_metrics

    with open(dist_preds, 'rb') as f:
        dist_results = pickle.load(f)
    with open(single_preds, 'rb') as f:
        single_results = pickle.load(f)
    # 10% of 40 images; the two ranks' shares are put back in order
    assert len(single_results) == len(dist_results) == 4
    assert any(len(r['pred_instances']['scores']) for r in single_results)
    for a, b in zip(dist_results, single_results):
        assert a['img_id'] == b['img_id']
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(a['pred_instances'][key],
                               b['pred_instances'][key]), key


@pytest.mark.parametrize('ratio', [[1, 1], [1, 3]])
def test_multi_source_sampler_gives_each_rank_its_share(ratio, monkeypatch):
    """With 2 processes, every rank's batch holds its share of labeled and
    unlabeled images, and the ranks draw different images."""
    from mmdet.datasets.samplers import multi_source_sampler as mss
    from torch.utils.data import ConcatDataset

    labeled, unlabeled = list(range(10)), list(range(30))
    dataset = ConcatDataset([labeled, unlabeled])
    batch = 8
    per_rank = {}
    for rank in (0, 1):
        monkeypatch.setattr(mss, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = mss.MultiSourceSampler(dataset, batch, ratio, seed=3)
        it = iter(sampler)
        per_rank[rank] = [[next(it) for _ in range(batch)]
                          for _ in range(5)]  # 5 steps of this rank
    n_lab = batch - batch * ratio[1] // sum(ratio)
    for rank, steps in per_rank.items():
        for step in steps:
            assert sum(i < 10 for i in step) == n_lab
            assert sum(i >= 10 for i in step) == batch - n_lab
    # the labeled images of one pass (10 = 2 ranks x 5) are split between
    # the ranks without overlap when each rank takes 5 in its first steps
    first = {r: [i for step in s for i in step if i < 10][:5]
             for r, s in per_rank.items()}
    assert not set(first[0]) & set(first[1])
    assert sorted(first[0] + first[1]) == labeled
