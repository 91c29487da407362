"""Every shipped config loads, builds, and says what the paper says."""
from pathlib import Path

import pytest
from mmdet.registry import MODELS

import mmssmd  # noqa: F401
from conftest import load_config

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
LEAF_CONFIGS = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)


def test_no_loops_and_one_name_convention():
    """Sizes are composed through _base_, not patched by loops; file names
    use mmdet's convention ('_' between fields, '-' inside one)."""
    import re
    for path in CONFIG_ROOT.rglob('*.py'):
        assert '+' not in path.name, path
        code = path.read_text()
        assert not re.search(r'^\s*for\s', code, re.M), path
        assert not re.search(r'\bfor\s+\w+\s+in\b', code), path


def test_configs_exist():
    names = {p.name for p in LEAF_CONFIGS}
    for depth in (50, 101):
        assert f'fully_supervised_r{depth}_dsb.py' in names
        for pct in (10, 20, 30, 40, 50):
            assert f'supervised_r{depth}_dsb_{pct}pct.py' in names


MAIN_CONFIGS = [p for p in LEAF_CONFIGS if 'ablations' not in p.parts]
ABLATION_CONFIGS = [p for p in LEAF_CONFIGS if 'ablations' in p.parts]
# Tables whose rows vary one SSMD switch each (checked by file name below);
# the adversarial-perturbation studies have their own test file.
SWITCH_TABLES = ('table3_adaptive_cost', 'table4_feature_perturbation',
                 'table6_ema_alpha', 'table7_consistency_components',
                 'table8_cutout', 'table9_pyramid_levels')
SWITCH_ABLATIONS = [
    p for p in ABLATION_CONFIGS
    if p.parent.name in SWITCH_TABLES and not p.stem.startswith('csd_')
]
# the CSD rows of Tables 4, 5, 7 and 8: the CSD detector itself, the
# configs of Fig. 4 (configs/README.md points the rows at them)
CSD_ROWS = sorted((CONFIG_ROOT / 'fig4_resolution').glob('csd_r50_*.py'))
# Table 4's rows by file name: the backbone's perturbation modules, in order
TABLE4_PERTURBATIONS = {
    'nrb': ['NoisyResidualBlock'],
    'dropout': ['Dropout'],
    'dropblock': ['FeatureDropBlock'],
    'gaussian': ['GaussianNoise'],
    'nrb-dropout': ['NoisyResidualBlock', 'Dropout'],
    'nrb-gaussian': ['NoisyResidualBlock', 'GaussianNoise'],
}


def detector_cfg(cfg):
    """The dense detector inside a semi-supervised wrapper, or the model."""
    return cfg.model.get('detector', cfg.model)


def box_head_cfg(detector):
    """The classifying box head: a two-stage detector's RoI box head, else
    the dense head."""
    if 'roi_head' in detector:
        return detector.roi_head.bbox_head
    return detector.bbox_head


@pytest.mark.parametrize('path', LEAF_CONFIGS, ids=lambda p: p.stem)
def test_config_loads(path):
    cfg = load_config(str(path))
    assert cfg.custom_imports == dict(
        imports=['mmssmd'], allow_failed_imports=False)
    assert box_head_cfg(detector_cfg(cfg)).num_classes == 1


_BUILT_MODELS = set()


@pytest.mark.parametrize('path', MAIN_CONFIGS, ids=lambda p: p.stem)
def test_config_builds(path):
    cfg = load_config(str(path))
    detector_cfg(cfg).backbone.init_cfg = None
    # leaves differing only in data share a model: build each model once
    key = repr(cfg.model.to_dict())
    if key not in _BUILT_MODELS:
        _BUILT_MODELS.add(key)
        model = MODELS.build(cfg.model)
        if cfg.model.type == 'SSMD':
            assert model.semi_test_cfg['predict_on'] == 'student'
            assert model.student.bbox_head.num_classes == 1
    if cfg.model.type == 'SSMD':
        assert 'EMATeacherHook' in [h.type for h in cfg.custom_hooks]


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 20, 30, 40, 50])
def test_supervised_dsb_follows_the_paper(depth, pct):
    cfg = load_config(
        str(CONFIG_ROOT / 'baselines' / f'supervised_r{depth}_dsb_{pct}pct.py'))
    assert cfg.model.backbone.depth == depth
    assert cfg.model.backbone.init_cfg.checkpoint == \
        f'torchvision://resnet{depth}'
    assert cfg.train_dataloader.dataset.ann_file == \
        f'annotations/semi/instances_train.1@{pct}.json'
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    assert cfg.train_cfg.max_epochs == 100
    (step, ) = cfg.param_scheduler
    assert step.type == 'MultiStepLR' and step.milestones == [75]
    pipeline = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert pipeline['Resize'].scale == (448, 448)
    assert pipeline['RandomFlip'].prob == 0.5
    assert pipeline['Rotate'].max_mag == 10.0
    assert pipeline['Rotate'].get('reversal_prob', 0.5) == 0.5  # +- angle
    anchors = cfg.model.bbox_head.anchor_generator
    assert len(anchors.strides) == 5
    assert len(anchors.ratios) * anchors.scales_per_octave == 9
    assert cfg.val_evaluator.type == 'DenseCocoMetric'
    assert max(cfg.val_evaluator.max_dets) > 100
    assert cfg.model.test_cfg.max_per_img >= max(cfg.val_evaluator.max_dets)


def test_fully_supervised_uses_the_whole_train_split():
    cfg = load_config(
        str(CONFIG_ROOT / 'baselines' / 'fully_supervised_r50_dsb.py'))
    assert cfg.train_dataloader.dataset.ann_file == \
        'annotations/instances_train.json'


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 20, 30, 40, 50])
def test_ssmd_dsb_follows_the_paper(depth, pct):
    cfg = load_config(
        str(CONFIG_ROOT / 'ssmd' / f'ssmd_r{depth}_dsb_{pct}pct.py'))
    assert cfg.model.detector.backbone.depth == depth
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file == f'annotations/semi/instances_train.1@{pct}.json'
    assert unlabeled.ann_file == \
        f'annotations/semi/instances_train.1@{pct}-unlabeled.json'
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.train_dataloader.sampler.source_ratio == [1, 1]
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    assert cfg.param_scheduler[0].milestones == [
        int(0.75 * cfg.train_cfg.max_iters)]
    assert cfg.custom_hooks[0].alpha == 0.99
    semi = cfg.model.semi_train_cfg
    assert (semi.cutout_holes, semi.cutout_size) == (5, 70)
    backbone = cfg.model.detector.backbone
    assert backbone.type == 'NoisyResNet'
    # noise relative to the features (docs/ssmd_gain.md); 'nrb' with
    # sigma=1 is the literal reading, one option away
    assert backbone.perturbation == [
        dict(type='ScaledNoisyResidualBlock', gamma=0.9, mu=0.0, sigma=0.1)
    ]
    assert cfg.model.consistency_loss.reduction == 'weighted_mean'
    assert semi.get('cutout_labeled', True) is True  # Algorithm 1
    # eval-mode teacher; 'batch' measured no better with NRB and cutout on
    assert semi.get('teacher_norm', 'running') == 'running'
    assert backbone.init_cfg.checkpoint == f'torchvision://resnet{depth}'
    assert semi.consistency_schedule == 'gaussian_ramp'
    assert cfg.model.consistency_loss.type == 'AdaptiveConsistencyLoss'
    assert 'adaptive' not in cfg.model.consistency_loss
    for dataset in (labeled, unlabeled):
        resize = [t for t in dataset.pipeline if t.type == 'Resize'][0]
        assert resize.scale == (448, 448)
        assert 'Rotate' in [t.type for t in dataset.pipeline]


def ablation(name):
    (path, ) = [p for p in ABLATION_CONFIGS if p.stem == name]
    return load_config(str(path))


@pytest.mark.parametrize('path', SWITCH_ABLATIONS, ids=lambda p: p.stem)
def test_ablation_switches_match_the_file_name(path):
    """Each ablation leaf sets what its name (its table row) says."""
    cfg = load_config(str(path))
    name = path.stem
    size = int(name.rsplit('_', 1)[1])
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file.endswith('@50.json')  # ablations use 50%
    for pipeline in (labeled.pipeline, unlabeled.pipeline,
                     cfg.test_dataloader.dataset.pipeline,
                     cfg.val_dataloader.dataset.pipeline):
        if '_deeplesion_' in name:
            check_deeplesion_size(pipeline, size)
        else:
            assert [t.scale for t in pipeline if t.type == 'Resize'] == \
                [(size, size)]
    if '_deeplesion_' in name:
        check_deeplesion_data(cfg)
    semi, loss = cfg.model.semi_train_cfg, cfg.model.consistency_loss
    table = path.parent.name
    # Tables 4, 6 and 8 are built on CSD's cost, the others name it
    csd_cost = 'csd-cost' in name or table in (
        'table4_feature_perturbation', 'table6_ema_alpha', 'table8_cutout')
    assert loss.type == ('CSDConsistencyLoss'
                         if csd_cost else 'AdaptiveConsistencyLoss')
    assert 'adaptive' not in loss
    if table == 'table8_cutout':
        holes, side = name.split('cutout-')[1].split('_')[0].split('x')
        assert (semi.cutout_holes, semi.cutout_size) == (int(holes),
                                                         int(side))
    elif table == 'table9_pyramid_levels':
        assert (semi.cutout_holes, semi.cutout_size) == (5, 70)
        k = int(name.split('levels-')[1].split('_')[0])
        assert tuple(loss.levels) == tuple(range(k))
    else:
        assert semi.cutout_holes == 0
    # Table 4 names its feature perturbation; only Table 9 (full SSMD) has
    # the noisy residual blocks otherwise
    backbone = cfg.model.detector.backbone
    assert backbone.type == 'NoisyResNet'
    if table == 'table4_feature_perturbation':
        ptype = name.split('ssmd_')[1].split('_')[0]
        assert [m.type for m in backbone.perturbation] == \
            TABLE4_PERTURBATIONS[ptype]
    elif table == 'table9_pyramid_levels':
        assert [m.type for m in backbone.perturbation] == \
            ['ScaledNoisyResidualBlock']
    else:
        assert backbone.perturbation is None
    if table == 'table6_ema_alpha':
        alpha = float(name.split('alpha')[1].split('_')[0])
        assert cfg.custom_hooks[0].alpha == alpha
    if table == 'table7_consistency_components':
        comps = name.split('cons-')[1].split('_')[0]
        if comps == 'none':
            assert semi.consistency_weight == 0
        else:
            assert ''.join(loss.components) == comps
    # the switches build; ~156 leaves hold a few distinct losses and
    # backbones: build each once
    build_once(loss)
    build_once(dict(backbone, init_cfg=None))


_BUILT_PARTS = set()


def build_once(cfg):
    """MODELS.build(cfg) unless an equal config was built already."""
    cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    key = repr(sorted(cfg.items(), key=lambda kv: kv[0]))
    if key not in _BUILT_PARTS:
        MODELS.build(cfg)
        _BUILT_PARTS.add(key)


@pytest.mark.parametrize('path', CSD_ROWS, ids=lambda p: p.stem)
def test_csd_rows_are_the_csd_detector(path):
    """Tables 4, 5, 7 and 8 compare with CSD itself (one network)."""
    cfg = load_config(str(path))
    name = path.stem
    size = int(name.rsplit('_', 1)[1])
    dataset = name.split('_')[2]
    table1 = load_config(
        str(CONFIG_ROOT / 'csd' / f'csd_r50_{dataset}_50pct.py'))
    assert cfg.model.type == 'CSD'
    assert cfg.model == table1.model
    assert cfg.model.consistency_loss.type == 'CSDConsistencyLoss'
    assert cfg.model.backbone.type == 'ResNet'
    assert not any(h.type in ('EMATeacherHook', 'AdversarialHook')
                   for h in cfg.get('custom_hooks', []))
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file.endswith('@50.json')
    for pipeline in (labeled.pipeline, unlabeled.pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        if dataset == 'deeplesion':
            check_deeplesion_size(pipeline, size)
        else:
            assert [t.scale for t in pipeline if t.type == 'Resize'] == \
                [(size, size)]


def test_every_ablation_table_row_exists():
    names = {p.stem for p in ABLATION_CONFIGS}
    fig4 = {p.stem for p in CSD_ROWS}
    assert not any(n.startswith('csd_') for n in names)  # no aliases
    sizes = (384, 448, 512, 640)
    for size in sizes:
        assert f'ssmd_acc_r50_dsb_50pct_{size}' in names
        assert f'ssmd_csd-cost_r50_dsb_50pct_{size}' in names
        # CSD: the first row of Tables 4, 5 and 8 and the last of Table 7,
        # the config of Fig. 4
        assert f'csd_r50_dsb_50pct_{size}' in fig4
        for n, s in [(3, 50), (3, 70), (5, 50), (5, 70), (7, 50), (7, 70)]:
            assert f'ssmd_cutout-{n}x{s}_r50_dsb_50pct_{size}' in names
        for comps in ('none', 'c', 'cx', 'cxy', 'cxyw', 'cxywh'):
            assert f'ssmd_cons-{comps}_r50_dsb_50pct_{size}' in names
        for ptype in ('dropout', 'dropblock', 'gaussian', 'nrb',
                      'nrb-dropout', 'nrb-gaussian'):
            assert f'ssmd_{ptype}_r50_dsb_50pct_{size}' in names
    for alpha in ('0.8', '0.9', '0.95', '0.99', '0.999'):
        assert f'ssmd_alpha{alpha}_r50_dsb_50pct_448' in names
    for k in (1, 3, 5):
        assert f'ssmd_levels-{k}_r50_dsb_50pct_448' in names
    # DeepLesion: 384, 448, 512 (the paper has no 640 column for it); the
    # single-size tables at its default, 512
    for size in (384, 448, 512):
        assert f'ssmd_acc_r50_deeplesion_50pct_{size}' in names
        assert f'ssmd_csd-cost_r50_deeplesion_50pct_{size}' in names
        assert f'csd_r50_deeplesion_50pct_{size}' in fig4
        for n, s in [(3, 50), (3, 70), (5, 50), (5, 70), (7, 50), (7, 70)]:
            assert f'ssmd_cutout-{n}x{s}_r50_deeplesion_50pct_{size}' in names
        for comps in ('none', 'c', 'cx', 'cxy', 'cxyw', 'cxywh'):
            assert f'ssmd_cons-{comps}_r50_deeplesion_50pct_{size}' in names
        for ptype in ('dropout', 'dropblock', 'gaussian', 'nrb',
                      'nrb-dropout', 'nrb-gaussian'):
            assert f'ssmd_{ptype}_r50_deeplesion_50pct_{size}' in names
    for alpha in ('0.8', '0.9', '0.95', '0.99', '0.999'):
        assert f'ssmd_alpha{alpha}_r50_deeplesion_50pct_512' in names
    for k in (1, 3, 5):
        assert f'ssmd_levels-{k}_r50_deeplesion_50pct_512' in names
    assert not any('_deeplesion_50pct_640' in n for n in names)


# --------------------------------------------------------------------------
# DeepLesion
# --------------------------------------------------------------------------
DEEPLESION_SPACING = 0.802  # mm per pixel at 512 x 512


def check_deeplesion_size(pipeline, size):
    """A DeepLesion pipeline loads the slices, resamples them right after
    to 0.802 mm at 512 px (scaled with the size), fits the slice into size
    x size and pads there; no Resize (it would overwrite ResizeToSpacing's
    scale_factor)."""
    types = [t.type for t in pipeline]
    assert 'Resize' not in types
    (load, ) = [t for t in pipeline if t.type == 'LoadDeepLesionSlices']
    resize = pipeline[types.index('LoadDeepLesionSlices') + 1]
    assert resize.type == 'ResizeToSpacing'
    assert 'max_size' not in load and 'target_spacing' not in load
    assert resize.max_size == size
    assert resize.target_spacing == pytest.approx(
        DEEPLESION_SPACING * 512 / size)
    assert (load.num_slices, load.slice_gap_mm) == (3, 2.0)
    assert tuple(load.hu_range) == (-1100, 1100)
    assert tuple(load.out_range) == (0.0, 255.0)
    assert [t.size for t in pipeline if t.type == 'Pad'] == [(size, size)]
    # Pad after the geometric augmentation, at the right / bottom
    pad = types.index('Pad')
    for aug in ('RandomFlip', 'Rotate'):
        if aug in types:
            assert types.index(aug) < pad
            assert types.index('LoadDeepLesionSlices') < types.index(aug)
    if 'LoadAnnotations' in types:  # boxes rescaled in training only
        before = types.index('LoadAnnotations') < types.index(
            'LoadDeepLesionSlices')
        assert before == ('RandomFlip' in types)


def check_deeplesion_data(cfg):
    """Data, preprocessing and evaluation shared by all DeepLesion leaves."""
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'DeepLesionDataset'
        assert loader.dataset.noisy_as_ignored is True
    for evaluator, split in ((cfg.val_evaluator, 'val'),
                             (cfg.test_evaluator, 'test')):
        assert evaluator.type == 'DeepLesionFROCMetric'
        assert evaluator.ann_file.endswith(
            f'annotations/instances_{split}.json')
    model = cfg.model
    preprocessors = [model.data_preprocessor]
    if model.type != 'RetinaNet':
        preprocessors = [model.data_preprocessor.data_preprocessor,
                         model.detector.data_preprocessor]
    for pp in preprocessors:
        # [0, 255] -> [-1, 1] (before the training-set statistics), and no
        # channel swap: the channels are [-2 mm, key, +2 mm]
        assert pp.bgr_to_rgb is False
        assert len(set(pp.mean)) == 1 and len(set(pp.std)) == 1
    best = cfg.default_hooks.checkpoint.save_best
    assert best.endswith('deeplesion/sensitivity_at_4fp')
    assert cfg.default_hooks.checkpoint.rule == 'greater'


def test_deeplesion_configs_exist():
    names = {p.name for p in LEAF_CONFIGS}
    for depth in (50, 101):
        assert f'fully_supervised_r{depth}_deeplesion.py' in names
        for pct in (10, 20, 30, 40, 50):
            assert f'supervised_r{depth}_deeplesion_{pct}pct.py' in names
            assert f'ssmd_r{depth}_deeplesion_{pct}pct.py' in names


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 20, 30, 40, 50, 100])
def test_supervised_deeplesion_follows_the_paper(depth, pct):
    name = f'fully_supervised_r{depth}_deeplesion.py' if pct == 100 else \
        f'supervised_r{depth}_deeplesion_{pct}pct.py'
    cfg = load_config(str(CONFIG_ROOT / 'baselines' / name))
    assert cfg.model.backbone.depth == depth
    assert cfg.model.backbone.init_cfg.checkpoint == \
        f'torchvision://resnet{depth}'
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'DeepLesionDataset'
    assert dataset.ann_file == (
        'annotations/instances_train.json' if pct == 100 else
        f'annotations/semi/instances_train.1@{pct}.json')
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    assert cfg.train_cfg.max_epochs == 100
    (step, ) = cfg.param_scheduler
    assert step.type == 'MultiStepLR' and step.milestones == [75]
    check_deeplesion_size(dataset.pipeline, 512)
    check_deeplesion_size(cfg.test_dataloader.dataset.pipeline, 512)
    pipeline = {t.type: t for t in dataset.pipeline}
    assert pipeline['RandomFlip'].prob == 0.5
    assert pipeline['Rotate'].max_mag == 10.0
    assert pipeline['Rotate'].img_border_value == 0  # air
    check_deeplesion_data(cfg)
    anchors = cfg.model.bbox_head.anchor_generator
    assert len(anchors.strides) == 5
    assert len(anchors.ratios) * anchors.scales_per_octave == 9


@pytest.mark.parametrize('depth', [50, 101])
@pytest.mark.parametrize('pct', [10, 20, 30, 40, 50])
def test_ssmd_deeplesion_follows_the_paper(depth, pct):
    cfg = load_config(
        str(CONFIG_ROOT / 'ssmd' / f'ssmd_r{depth}_deeplesion_{pct}pct.py'))
    assert cfg.model.detector.backbone.depth == depth
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    assert labeled.ann_file == f'annotations/semi/instances_train.1@{pct}.json'
    assert unlabeled.ann_file == \
        f'annotations/semi/instances_train.1@{pct}-unlabeled.json'
    assert labeled.type == unlabeled.type == 'DeepLesionDataset'
    assert cfg.train_dataloader.batch_size == 16  # 8 labeled + 8 unlabeled
    assert cfg.train_dataloader.sampler.source_ratio == [1, 1]
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5)
    # 100 epochs of the 22,496 train key slices at 16 per step
    assert cfg.train_cfg.max_iters == 100 * 1406
    assert cfg.param_scheduler[0].milestones == [75 * 1406]
    assert cfg.default_hooks.checkpoint.interval == 10 * 1406
    assert cfg.custom_hooks[0].alpha == 0.99
    # the full SSMD: also the adversarial perturbation, as the DSB leaves
    dsb = load_config(
        str(CONFIG_ROOT / 'ssmd' / f'ssmd_r{depth}_dsb_{pct}pct.py'))
    assert cfg.custom_hooks == dsb.custom_hooks
    assert cfg.model.semi_train_cfg == dsb.model.semi_train_cfg
    assert cfg.model.consistency_loss == dsb.model.consistency_loss
    assert cfg.model.detector.backbone == dsb.model.detector.backbone
    for dataset in (labeled, unlabeled):
        check_deeplesion_size(dataset.pipeline, 512)
        assert 'Rotate' in [t.type for t in dataset.pipeline]
    check_deeplesion_size(cfg.test_dataloader.dataset.pipeline, 512)
    check_deeplesion_data(cfg)
