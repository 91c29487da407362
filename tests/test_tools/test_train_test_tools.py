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
