"""The config refactoring of issue 12 changed no model or data setting.

tests/data/configs_before.json.gz holds a sample of leaf configs resolved
before the refactoring (every Table 4 leaf, every per-size dataset base of
Fig. 4, each method / dataset / model / schedule / runtime base and at
least one leaf per folder), normalised as work_dirs/cfgsnap/snapshot.py
does. Each must equal the config resolved today after the explicit
translation of the old syntax to the new in config_translation.py (leaves
renamed or removed map to the file that holds them now).
"""
import gzip
import json
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from config_translation import RENAMED, normalise_after, translate  # noqa

REPO_ROOT = Path(__file__).resolve().parents[2]
BEFORE = REPO_ROOT / 'tests' / 'data' / 'configs_before.json.gz'
KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
        'train_cfg', 'val_cfg', 'test_cfg', 'optim_wrapper', 'param_scheduler',
        'custom_hooks', 'default_hooks', 'val_evaluator', 'test_evaluator',
        'randomness', 'env_cfg', 'load_from', 'resume', 'auto_scale_lr')

# config folders created after the snapshot was taken
NEW_FOLDERS = ('table10_detectors', )

with gzip.open(BEFORE, 'rt') as fh:
    SNAPSHOT = json.load(fh)


def norm(x):
    """As work_dirs/cfgsnap/snapshot.py: JSON values, tuples as lists."""
    if isinstance(x, dict):
        return {str(k): norm(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [norm(v) for v in x]
    if isinstance(x, (int, float, str, bool)) or x is None:
        return x
    return repr(x)


def resolve(rel_path):
    cfg = Config.fromfile(str(REPO_ROOT / rel_path)).to_dict()
    return {k: norm(cfg.get(k, '<absent>')) for k in KEYS}


def test_the_sample_covers_every_folder_and_table4():
    folders = {Path(p).parent for p in SNAPSHOT}
    # folders added after the snapshot (issue 13) have nothing to compare
    leaves = {p.parent.relative_to(REPO_ROOT)
              for p in (REPO_ROOT / 'configs').rglob('*.py')
              if '_base_' not in p.parts and p.parent.name not in NEW_FOLDERS}
    assert leaves <= {Path(f) for f in folders}
    table4 = REPO_ROOT / 'configs/ablations/table4_feature_perturbation'
    renamed_to = {RENAMED.get(p, p) for p in SNAPSHOT}
    for path in table4.glob('*.py'):
        assert str(path.relative_to(REPO_ROOT)) in renamed_to


@pytest.mark.parametrize('old_path', sorted(SNAPSHOT))
def test_config_resolves_as_before(old_path):
    new_path = RENAMED.get(old_path, old_path)
    assert '+' not in Path(new_path).name
    expected = translate(SNAPSHOT[old_path])
    actual = normalise_after(resolve(new_path))
    for key in KEYS:
        assert actual[key] == expected[key], key


def test_translation_of_the_old_syntax():
    old = dict(
        model=dict(
            type='SSMD',
            detector=dict(backbone=dict(
                perturbation=dict(type='nrb+dropout', nrb=dict(gamma=0.9),
                                  dropout=dict(p=0.1)))),
            consistency_loss=dict(type='AdaptiveConsistencyLoss',
                                  adaptive=False, components=['c'],
                                  levels=None, reduction='weighted_mean'),
            semi_train_cfg=dict(consistency_schedule='ssmd')),
        train_dataloader=dict(dataset=dict(pipeline=[
            dict(type='LoadDeepLesionSlices', num_slices=3,
                 target_spacing=0.802, max_size=512),
            dict(type='Pad')
        ])),
        custom_hooks='<absent>')
    new = translate(old)
    assert new['model']['detector']['backbone']['perturbation'] == [
        dict(type='NoisyResidualBlock', gamma=0.9, mu=0.0, sigma=1.0),
        dict(type='Dropout', drop_prob=0.1)
    ]
    assert new['model']['consistency_loss'] == dict(
        type='CSDConsistencyLoss', components=['c'], levels=None)
    assert new['model']['semi_train_cfg']['consistency_schedule'] == \
        'gaussian_ramp'
    assert new['train_dataloader']['dataset']['pipeline'] == [
        dict(type='LoadDeepLesionSlices', num_slices=3),
        dict(type='ResizeToSpacing', target_spacing=0.802, max_size=512),
        dict(type='Pad')
    ]
    assert new['custom_hooks'] == []
