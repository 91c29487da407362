"""Table 10's configs: SSMD and the supervised reference on SSD, Faster
R-CNN, Mask R-CNN and RetinaNet (configs/ablations/table10_detectors/) and
their demo-size variants (configs/demo/*_{ssd,faster-rcnn,mask-rcnn}_*).

Each builds on the CPU; the SSD's anchor strides are its feature maps'
real strides at the config's input size (so every anchor has its mirror
partner, which SSMD's flip pairing needs); the Mask R-CNN leaves train on
masks; and every row is the RetinaNet row of its dataset with only the
detector changed (SSMD's settings, data, schedule, runtime).
"""
import copy
from pathlib import Path

import pytest
import torch
from mmdet.models.task_modules.prior_generators import SSDAnchorGenerator
from mmdet.registry import DATASETS, MODELS

import mmssmd  # noqa: F401
from conftest import load_config, load_tool
from mmssmd.models.utils import flip_column_pairing

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
TABLE10 = CONFIG_ROOT / 'ablations' / 'table10_detectors'
LEAVES = sorted(TABLE10.glob('*.py'))
DETECTORS = ('ssd', 'faster-rcnn', 'mask-rcnn')
DEMOS = sorted(
    CONFIG_ROOT / 'demo' / f'{method}_{detector}_r18_synth_2.5pct.py'
    for method in ('ssmd', 'supervised') for detector in DETECTORS)
SIZES = {'dsb': 448, 'deeplesion': 512}
DETECTOR_TYPES = {'ssd': 'SingleStageDetector', 'faster-rcnn': 'FasterRCNN',
                  'mask-rcnn': 'MaskRCNN', 'retinanet': 'RetinaNet'}


def leaf_name(method, detector, dataset):
    fpn = '' if detector == 'ssd' else '_fpn'
    return f'{method}_{detector}_r50{fpn}_{dataset}_50pct_{SIZES[dataset]}'


def leaf(method, detector, dataset):
    return load_config(TABLE10 / f'{leaf_name(method, detector, dataset)}.py')


def detector_of(path):
    return path.stem.split('_')[1]


def detector_cfg(cfg):
    return cfg.model.get('detector', cfg.model)


def labeled_datasets(cfg):
    dataset = cfg.train_dataloader.dataset
    return [dataset.datasets[0]] if 'datasets' in dataset else [dataset]


def input_size(cfg):
    """The square input of the test pipeline: the DSB Resize, the
    DeepLesion Pad."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step.type == 'Pad':
            return step.size[0]
    (size, ) = {s.scale for s in cfg.test_dataloader.dataset.pipeline
                if s.type == 'Resize'}
    return size[0]


def test_every_cell_has_its_leaves():
    expected = {leaf_name(method, detector, dataset)
                for method in ('ssmd', 'supervised')
                for detector in (*DETECTORS, 'retinanet')
                for dataset in SIZES}
    assert {p.stem for p in LEAVES} == expected
    assert all(p.is_file() for p in DEMOS)


_BUILT = set()


@pytest.mark.parametrize('path', LEAVES + DEMOS, ids=lambda p: p.stem)
def test_builds_on_cpu(path):
    cfg = load_config(path)
    detector = detector_of(path)
    det = detector_cfg(cfg)
    assert det.type == DETECTOR_TYPES[detector]
    ssmd = path.stem.startswith('ssmd_')
    if ssmd:
        assert cfg.model.type == ('TwoStageSSMD' if 'rcnn' in detector
                                  else 'SSMD')
        assert [h.type for h in cfg.custom_hooks][0] == 'EMATeacherHook'
        assert cfg.val_cfg.type == 'TeacherStudentValLoop'
        assert cfg.model.semi_test_cfg.predict_on == 'student'
    else:
        assert cfg.model.type == det.type
        assert cfg.custom_hooks == [] and cfg.val_cfg.type == 'ValLoop'
    det.backbone.init_cfg = None
    key = repr(cfg.model.to_dict())
    if key in _BUILT:  # leaves that differ only in data share a model
        return
    _BUILT.add(key)
    model = MODELS.build(cfg.model)
    nets = [model.student, model.teacher] if ssmd else [model]
    for net in nets:
        assert type(net).__name__ == det.type
        head = net.roi_head.bbox_head if 'rcnn' in detector else \
            net.bbox_head
        assert head.num_classes == 1
        if detector == 'ssd':
            assert type(head).__name__ == 'CompatSSDHead'
        if detector == 'mask-rcnn':
            assert net.roi_head.mask_head.num_classes == 1


SSD_CONFIGS = [p for p in LEAVES + DEMOS if detector_of(p) == 'ssd']


@pytest.mark.parametrize('path', SSD_CONFIGS, ids=lambda p: p.stem)
def test_ssd_anchor_strides_are_the_feature_map_strides(path):
    """At the config's input size every level's map times its anchor
    stride is the input, so each anchor centre has its mirror partner on
    the same level (flip_column_pairing finds one for every column)."""
    cfg = load_config(path)
    size = input_size(cfg)
    if 'demo' not in path.parts:
        assert size == SIZES[path.stem.split('_')[3]]
    det = copy.deepcopy(detector_cfg(cfg))
    det.backbone.init_cfg = None
    anchors = det.bbox_head.anchor_generator
    assert anchors.input_size == size
    # the training pipelines give the same size
    for dataset in cfg.train_dataloader.dataset.get(
            'datasets', [cfg.train_dataloader.dataset]):
        sizes = [s.scale for s in dataset.pipeline if s.type == 'Resize'] + \
            [s.size for s in dataset.pipeline if s.type == 'Pad']
        assert sizes and all(tuple(s) == (size, size) for s in sizes)
    model = MODELS.build(det).eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.zeros(1, 3, size, size))
    generator = model.bbox_head.prior_generator
    assert len(feats) == len(generator.strides) == len(anchors.strides)
    for feat, stride in zip(feats, generator.strides):
        height, width = feat.shape[-2:]
        assert (width * stride[0], height * stride[1]) == (size, size)
    widths = [f.shape[-1] for f in feats]
    for partner, valid in flip_column_pairing(generator, widths, size):
        assert valid.all()
        assert torch.equal(partner, torch.arange(len(partner)).flip(0))
    if path.stem.endswith('_448'):
        # SSD512's anchor sizes as fractions of the input, at 448
        assert anchors.min_sizes == [int(448 * r / 100)
                                     for r in (4, 10, 26, 42, 58, 74, 90)]
        assert anchors.max_sizes == [int(448 * r / 100)
                                     for r in (10, 26, 42, 58, 74, 90, 106)]
    if path.stem.endswith('_512'):
        # mmdet's own SSD512 anchors
        ref = SSDAnchorGenerator(
            strides=anchors.strides, ratios=anchors.ratios,
            basesize_ratio_range=(0.1, 0.9), input_size=512,
            scale_major=False)
        for a, b in zip(generator.base_anchors, ref.base_anchors):
            assert torch.equal(a, b)


@pytest.mark.parametrize('path', LEAVES + DEMOS, ids=lambda p: p.stem)
def test_mask_rcnn_pipelines_load_masks(path):
    """Mask R-CNN's labeled images keep their masks (DSB: the converter's,
    re-tightening the rotated boxes; DeepLesion: from the RECIST
    diameters) and are padded with the batch; the box-only detectors do
    not carry them. DSB's Mask R-CNN test also scores the masks."""
    cfg = load_config(path)
    masks = detector_of(path) == 'mask-rcnn'
    deeplesion = '_deeplesion_' in path.stem
    for dataset in labeled_datasets(cfg):
        steps = {s.type: s for s in dataset.pipeline}
        loads = steps['LoadAnnotations'].get('with_mask', False)
        if deeplesion:
            assert loads == masks
            assert dataset.get('recist_masks', False) == masks
            assert 'RecomputeBoxesFromMasks' not in steps
        else:
            assert loads  # DSB re-tightens rotated boxes with its masks
            assert steps['RecomputeBoxesFromMasks'].get(
                'keep_masks', False) == masks
    if not masks:
        return
    det = detector_cfg(cfg)
    assert det.data_preprocessor.pad_mask is True
    if 'data_preprocessor' in cfg.model.get('data_preprocessor', {}):
        assert cfg.model.data_preprocessor.data_preprocessor.pad_mask
    if deeplesion:
        assert cfg.test_evaluator.type == 'DeepLesionFROCMetric'
    else:
        assert cfg.test_evaluator.metric == ['bbox', 'segm']
        assert cfg.val_evaluator.metric == 'bbox'


def test_demo_mask_rcnn_samples_carry_their_masks(synthetic_dsb):
    """The SSMD Mask R-CNN demo's labeled pipeline on the synthetic nuclei:
    the packed sample has one mask per box, of the image's size, and each
    box is its mask's tight box."""
    cfg = load_config(CONFIG_ROOT / 'demo' /
                      'ssmd_mask-rcnn_r18_synth_2.5pct.py')
    (labeled, ) = labeled_datasets(cfg)
    labeled.data_root = f'{synthetic_dsb}/'
    labeled.ann_file = 'annotations/semi/instances_train.1@50.json'
    dataset = DATASETS.build(labeled)
    out = dataset[0]
    sample = out['data_samples']['sup']
    gt = sample.gt_instances
    assert len(gt.masks) == len(gt.bboxes) > 0
    assert (gt.masks.height, gt.masks.width) == tuple(
        out['inputs']['sup'].shape[1:]) == (192, 192)
    tight = type(gt.bboxes).from_instance_masks(gt.masks).tensor
    assert torch.equal(gt.bboxes.tensor, tight)


def without_masks(loader):
    """A training loader with the mask switches off (to compare the
    Mask R-CNN leaves' data with the box-only ones')."""
    loader = copy.deepcopy(loader.to_dict())
    dataset = loader['dataset']
    for ds in dataset.get('datasets', [dataset]):
        ds.pop('recist_masks', None)
        for step in ds['pipeline']:
            if step['type'] == 'RecomputeBoxesFromMasks':
                step.pop('keep_masks', None)
            if step['type'] == 'LoadAnnotations' and 'deeplesion' in \
                    ds['data_root']:
                step.pop('with_mask', None)
    return loader


# what a row shares with the RetinaNet row of its dataset and method
SHARED = ('train_cfg', 'optim_wrapper', 'param_scheduler', 'default_hooks',
          'log_processor', 'val_dataloader', 'test_dataloader',
          'val_evaluator', 'custom_hooks', 'val_cfg', 'test_cfg',
          'auto_scale_lr', 'env_cfg', 'randomness', 'custom_imports')


def check_same_run(cfg, ref, detector):
    for key in SHARED:
        assert cfg.get(key) == ref.get(key), key
    assert without_masks(cfg.train_dataloader) == \
        without_masks(ref.train_dataloader)
    if detector != 'mask-rcnn' or 'deeplesion' in cfg.val_evaluator.type \
            .lower():
        assert cfg.test_evaluator == ref.test_evaluator
    else:
        assert cfg.test_evaluator == dict(ref.test_evaluator,
                                          metric=['bbox', 'segm'])


@pytest.mark.parametrize('dataset', list(SIZES))
@pytest.mark.parametrize('detector', DETECTORS)
def test_ssmd_row_is_the_retinanet_row_with_another_detector(detector,
                                                             dataset):
    """NRB, cutout, the ramp, the EMA teacher, IAP, the student / teacher
    validation, data, schedule and runtime are the RetinaNet row's; the
    cost is the softmax one where the head is a softmax (SSD, RoI head)."""
    cfg = leaf('ssmd', detector, dataset)
    ref = leaf('ssmd', 'retinanet', dataset)
    check_same_run(cfg, ref, detector)
    semi = cfg.model.semi_train_cfg.to_dict()
    ref_loss = ref.model.consistency_loss
    softmax = dict(ref_loss, type='SoftmaxAdaptiveConsistencyLoss')
    if detector == 'ssd':
        assert cfg.model.consistency_loss == softmax
    else:
        assert semi.pop('roi_proposals') == 256
        assert cfg.model.consistency_loss == ref_loss
        assert cfg.model.roi_consistency_loss == softmax
    assert semi == ref.model.semi_train_cfg
    assert cfg.model.semi_test_cfg == ref.model.semi_test_cfg
    backbone, ref_backbone = cfg.model.detector.backbone, \
        ref.model.detector.backbone
    assert backbone.type == 'NoisyResNet' and backbone.depth == 50
    assert backbone.perturbation == ref_backbone.perturbation
    assert backbone.init_cfg == ref_backbone.init_cfg == dict(
        type='Pretrained', checkpoint='torchvision://resnet50')
    pp = dict(cfg.model.detector.data_preprocessor)
    assert pp.pop('pad_mask', False) == (detector == 'mask-rcnn')
    assert pp == ref.model.detector.data_preprocessor
    assert cfg.model.data_preprocessor.data_preprocessor == \
        cfg.model.detector.data_preprocessor
    if detector == 'ssd':
        # SSD takes C3 and C4, VGG16's two SSD inputs; no fourth stage
        assert (backbone.num_stages, tuple(backbone.out_indices)) == (3,
                                                                      (1, 2))
    else:  # more detections than mmdet's 100, as the RetinaNet's
        assert cfg.model.detector.test_cfg.rcnn.max_per_img == \
            ref.model.detector.test_cfg.max_per_img == 1000


@pytest.mark.parametrize('dataset', list(SIZES))
@pytest.mark.parametrize('detector', DETECTORS)
def test_supervised_row_is_the_plain_detector(detector, dataset):
    """The SSMD row's detector without NRB, trained as the supervised
    RetinaNet of that dataset (labeled 50%, Adam, 100 epochs)."""
    cfg = leaf('supervised', detector, dataset)
    check_same_run(cfg, leaf('supervised', 'retinanet', dataset), detector)
    ssmd = leaf('ssmd', detector, dataset).model.detector
    plain = copy.deepcopy(ssmd.to_dict())
    plain['backbone']['type'] = 'ResNet'
    del plain['backbone']['perturbation']
    assert cfg.model.to_dict() == plain


def test_retinanet_rows_are_fig4s():
    for method in ('ssmd', 'supervised'):
        for dataset, size in SIZES.items():
            name = f'{method}_r50_{dataset}_50pct_{size}.py'
            assert leaf(method, 'retinanet', dataset).to_dict() == \
                load_config(CONFIG_ROOT / 'fig4_resolution' / name).to_dict()


@pytest.mark.parametrize('detector', DETECTORS)
def test_demo_rows_are_the_retinanet_demos_with_another_detector(detector):
    """The demo's SSMD settings, data and budget for every detector."""
    demo = CONFIG_ROOT / 'demo'
    for method, ref_name in (('ssmd', 'ssmd_r18_synth_2.5pct.py'),
                             ('supervised', 'supervised_r18_synth_2.5pct.py')):
        cfg = load_config(demo / f'{method}_{detector}_r18_synth_2.5pct.py')
        ref = load_config(demo / ref_name)
        check_same_run(cfg, ref, detector)
        det = detector_cfg(cfg)
        assert det.backbone.depth == 18 and det.backbone.base_channels == 16
        assert det.backbone.init_cfg is None  # from scratch, no download
        if method == 'ssmd':
            semi = cfg.model.semi_train_cfg.to_dict()
            if detector != 'ssd':
                assert semi.pop('roi_proposals') == 256
            assert semi == ref.model.semi_train_cfg
            assert det.backbone.perturbation == \
                ref.model.detector.backbone.perturbation is None


fold_options = load_tool('misc/fold_options.py').fold_options


@pytest.mark.parametrize('path', LEAVES + DEMOS, ids=lambda p: p.stem)
def test_another_fold_is_one_option_away(path):
    options = fold_options(load_config(path), 2)
    assert options[-1] == 'randomness.seed=2'
    assert any('.2@' in o for o in options), options
