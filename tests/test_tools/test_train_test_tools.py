"""tools/train.py and tools/test.py, a few iterations on generated data.

Runs the real command-line chain that the demo uses: generator -> converter
-> split tool -> train (with validation) -> resume -> test.
"""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = 'configs/demo/supervised_r18_synth.py'


def run(args, cwd=REPO):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable] + [str(a) for a in args], cwd=cwd,
                          capture_output=True, text=True, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    return output


def small_run_options(data_root):
    root = f'{data_root}/'
    return [
        '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        'train_dataloader.dataset.ann_file='
        'annotations/semi/instances_train.1@50.json',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.ann_file={root}annotations/instances_test.json',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=3',
        'default_hooks.logger.interval=1'
    ]


@pytest.fixture(scope='module')
def synthetic_coco(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    run(['tools/misc/generate_synthetic_dsb.py', '--out-dir', root,
         '--num-images', 40, '--seed', 3])
    run(['tools/dataset_converters/dsb2018_to_coco.py', '--data-root', root])
    run(['tools/misc/split_semi.py', '--ann-file',
         root / 'annotations/instances_train.json', '--out-dir',
         root / 'annotations/semi', '--percents', 50, '--folds', 1])
    return root


def test_train_resume_and_test(synthetic_coco, tmp_path):
    work_dir = tmp_path / 'work'
    opts = small_run_options(synthetic_coco)
    # 16 labeled images, batch 4: 4 iterations per epoch
    out = run(['tools/train.py', DEMO_CONFIG, '--work-dir', work_dir] + opts +
              ['train_cfg.max_epochs=1'])
    assert 'coco/bbox_mAP' in out
    assert (work_dir / 'epoch_1.pth').exists()

    out = run(['tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
               '--resume'] + opts + ['train_cfg.max_epochs=2'])
    assert 'resumed epoch: 1, iter: 4' in out
    assert 'Epoch(train) [1]' not in out and 'Epoch(train) [2]' in out
    ckpt = work_dir / 'epoch_2.pth'
    assert ckpt.exists()

    preds = tmp_path / 'preds.pkl'
    out = run(['tools/test.py', DEMO_CONFIG, ckpt, '--work-dir',
               tmp_path / 'test', '--out', preds] + opts)
    assert 'coco/bbox_mAP:' in out and 'coco/bbox_mAP_50:' in out
    with open(preds, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 4  # the test split: 10% of 40 images
    assert all('pred_instances' in r for r in results)


def test_ssmd_trains_through_the_runner(synthetic_coco, tmp_path):
    """A few SSMD iterations via tools/train.py, with its loss keys logged."""
    root = f'{synthetic_coco}/'
    work_dir = tmp_path / 'ssmd'
    out = run([
        'tools/train.py', 'configs/demo/ssmd_r18_synth_10pct.py',
        '--work-dir', work_dir, '--cfg-options',
        f'train_dataloader.dataset.datasets.0.data_root={root}',
        'train_dataloader.dataset.datasets.0.ann_file='
        'annotations/semi/instances_train.1@50.json',
        f'train_dataloader.dataset.datasets.1.data_root={root}',
        'train_dataloader.dataset.datasets.1.ann_file='
        'annotations/semi/instances_train.1@50-unlabeled.json',
        f'val_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations/instances_val.json',
        'train_dataloader.batch_size=4', 'train_dataloader.sampler.batch_size=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.logger.interval=2',
        'default_hooks.checkpoint.interval=4'
    ])
    for key in ('sup_loss_cls', 'sup_loss_bbox', 'cons_loss_cls',
                'cons_loss_bbox', 'consistency_lambda',
                'consistency_anchor_weight', 'student/coco/bbox_mAP',
                'teacher/coco/bbox_mAP'):
        assert key in out, key
    assert 'Iter(train) [4/4]' in out
    assert (work_dir / 'iter_4.pth').exists()


def test_dist_train_and_test_on_cpu_use_gloo(synthetic_coco, tmp_path):
    """tools/dist_*.sh with 2 processes on a CPU-only machine (gloo)."""
    import torch
    if torch.cuda.is_available():
        pytest.skip('checks the CPU-only fallback')
    work_dir = tmp_path / 'dist'
    opts = small_run_options(synthetic_coco) + ['train_cfg.max_epochs=1']
    env = dict(os.environ, PYTHON=sys.executable, PORT='29517')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', DEMO_CONFIG, '2', '--work-dir',
         str(work_dir)] + opts, cwd=REPO, capture_output=True, text=True,
        env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Distributed launcher: pytorch' in out
    assert "dist_cfg: {'backend': 'gloo'}" in out
    assert 'Distributed training: True' in out
    # 16 labeled images, 2 processes x 4 images: 2 iterations per epoch
    assert 'Epoch(train) [1][2/2]' in out
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', DEMO_CONFIG,
         str(work_dir / 'epoch_1.pth'), '2', '--work-dir',
         str(tmp_path / 'dist_test')] + opts, cwd=REPO, capture_output=True,
        text=True, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'coco/bbox_mAP:' in out
