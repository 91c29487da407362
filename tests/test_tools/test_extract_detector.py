"""tools/model_converters/extract_detector.py and inference from a training
config: the exported plain detector predicts exactly what the chosen
network of the semi-supervised model predicts (SSMD, TwoStageSSMD with
Faster R-CNN and Mask R-CNN, CSD, FocalMix, mmdet's mean teacher), and
``DetInferencer`` runs on the export and on SSMD's training config (with
the network ``semi_test_cfg.predict_on`` names)."""
import copy
from pathlib import Path
from typing import List

import pytest
import torch
from mmdet.apis import DetInferencer, inference_detector, init_detector
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from conftest import REPO_ROOT, load_tool, tool_main
from fixtures.tiny_models import MULTI_BRANCH_PREPROCESSOR
from fixtures.tiny_two_stage import tiny_faster_rcnn, tiny_mask_rcnn

DEMO = REPO_ROOT / 'configs' / 'demo'
# the demo configs with detections from random weights (score_thr 0) and,
# for SSMD, noisy residual blocks whose weights the export must drop
TINY = '''
_base_ = {base!r}
__test_cfg = dict(score_thr=0.0, max_per_img=20)
model = {model}
'''
MODELS_OF = {
    'ssmd': "dict(detector=dict(test_cfg=__test_cfg, backbone=dict("
            "perturbation=[dict(type='ScaledNoisyResidualBlock', "
            "sigma=0.1)])))",
    'csd': 'dict(test_cfg=__test_cfg)',
    'focalmix': 'dict(test_cfg=__test_cfg)',
    'mmdet_mean_teacher': 'dict(detector=dict(test_cfg=__test_cfg))',
}
DATASET_META = dict(classes=('nucleus', ), palette=[(220, 20, 60)])


def tiny_run(tmp_path: Path, method: str) -> tuple:
    """A tiny config of ``method``'s demo and a random-weight checkpoint
    (student and teacher initialised independently, so they differ)."""
    config = tmp_path / f'{method}.py'
    config.write_text(TINY.format(
        base=str(DEMO / f'{method}_r18_synth_2.5pct.py'),
        model=MODELS_OF[method]))
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / f'{method}.pth'
    save_checkpoint(dict(meta=dict(dataset_meta=DATASET_META),
                         state_dict=model.state_dict()), str(checkpoint))
    return config, checkpoint, cfg, model


def predict(model, cfg: Config, images: List[str]) -> list:
    """``inference_detector`` with ``cfg``'s test pipeline."""
    model.cfg = cfg
    model.eval()
    return inference_detector(model, images)


def assert_same(a: list, b: list) -> None:
    """Equal boxes, scores and labels, image by image (some boxes)."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = x.pred_instances, y.pred_instances
        assert len(x) > 0
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(x[key], y[key]), key


def differ(a: list, b: list) -> bool:
    return any(not torch.equal(x.pred_instances.scores,
                               y.pred_instances.scores)
               for x, y in zip(a, b))


@pytest.fixture(scope='module')
def images(synthetic_dsb) -> List[str]:
    return sorted(str(p) for p in synthetic_dsb.glob('stage1_train/*/images/'
                                                       '*.png'))[:2]


@pytest.mark.parametrize('method,network', [
    ('ssmd', None), ('ssmd', 'teacher'), ('csd', None), ('focalmix', None),
    ('mmdet_mean_teacher', None)])
def test_export_predicts_like_the_network(tmp_path, images, method, network):
    config, checkpoint, cfg, model = tiny_run(tmp_path, method)
    out = tmp_path / 'export' / 'detector.pth'
    argv = [config, checkpoint, out] + (['--model', network]
                                        if network else [])
    tool_main('model_converters/extract_detector.py', argv)
    plain_cfg = out.with_suffix('.py')
    assert out.is_file() and plain_cfg.is_file()

    exported = init_detector(str(plain_cfg), str(out), device='cpu')
    assert type(exported).__name__ == 'RetinaNet'
    assert type(exported.backbone).__name__ == 'ResNet'
    assert exported.dataset_meta['classes'] == DATASET_META['classes']
    if method in ('ssmd', 'mmdet_mean_teacher'):
        # default: the network semi_test_cfg.predict_on names
        chosen = network or cfg.model.semi_test_cfg.predict_on
        reference = getattr(model, chosen)
        other = getattr(model, 'student' if chosen == 'teacher'
                        else 'teacher')
        assert differ(predict(reference, cfg, images),
                      predict(other, cfg, images))
    else:
        reference = model
    assert_same(predict(exported, exported.cfg, images),
                predict(reference, cfg, images))

    saved = torch.load(out, map_location='cpu', weights_only=False)
    assert not [k for k in saved['state_dict'] if 'perturbation' in k]
    plain = Config.fromfile(plain_cfg)
    assert plain.model.data_preprocessor.type == 'DetDataPreprocessor'
    assert 'init_cfg' not in plain.model.backbone
    assert plain.test_dataloader == cfg.test_dataloader
    extractor = load_tool('model_converters/extract_detector.py')
    model_types = extractor.mmssmd_types(plain.model)
    assert model_types == (['SoftFocalLoss'] if method == 'focalmix'
                           else [])
    if method == 'ssmd':
        assert any('perturbations' in k for k in model.state_dict())


def test_detinferencer_on_export_and_training_config(tmp_path, images):
    config, checkpoint, cfg, model = tiny_run(tmp_path, 'ssmd')
    out = tmp_path / 'detector.pth'
    tool_main('model_converters/extract_detector.py',
              [config, checkpoint, out])
    folder = Path(images[0]).parent
    plain = DetInferencer(model=str(out.with_suffix('.py')),
                          weights=str(out), device='cpu',
                          show_progress=False)
    result = plain(str(folder), return_datasamples=True, no_save_pred=True)
    assert len(result['predictions']) == 1

    student = predict(model.student, cfg, images)
    teacher = predict(model.teacher, cfg, images)
    for chosen, reference in (('student', student), ('teacher', teacher)):
        train_cfg = copy.deepcopy(cfg)
        train_cfg.model.semi_test_cfg.predict_on = chosen
        inferencer = DetInferencer(model=train_cfg, weights=str(checkpoint),
                                   device='cpu', show_progress=False)
        got = inferencer(images, return_datasamples=True,
                         no_save_pred=True)['predictions']
        assert_same(got, reference)
    assert differ(student, teacher)


# TwoStageSSMD on the demo's data and runtime, with the tiny two-stage
# detectors (noisy residual blocks in the student's backbone)
TWO_STAGE = '''
_base_ = {base!r}
model = dict(
    _delete_=True,
    type='TwoStageSSMD',
    detector={detector!r},
    data_preprocessor={preprocessor!r},
    semi_train_cfg=dict(roi_proposals=16),
    semi_test_cfg=dict(predict_on='student'))
'''


@pytest.mark.parametrize('detector,network', [('FasterRCNN', None),
                                              ('MaskRCNN', 'teacher')])
def test_two_stage_export_predicts_like_the_network(tmp_path, images,
                                                    detector, network):
    tiny = dict(FasterRCNN=tiny_faster_rcnn,
                MaskRCNN=tiny_mask_rcnn)[detector]().to_dict()
    tiny['backbone'].update(
        type='NoisyResNet',
        perturbation=[dict(type='ScaledNoisyResidualBlock', sigma=0.1)])
    config = tmp_path / 'two_stage.py'
    config.write_text(TWO_STAGE.format(
        base=str(DEMO / 'ssmd_r18_synth_2.5pct.py'), detector=tiny,
        preprocessor=MULTI_BRANCH_PREPROCESSOR))
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / 'two_stage.pth'
    save_checkpoint(dict(meta=dict(dataset_meta=DATASET_META),
                         state_dict=model.state_dict()), str(checkpoint))
    out = tmp_path / 'export' / 'detector.pth'
    tool_main('model_converters/extract_detector.py',
              [config, checkpoint, out] + (['--model', network]
                                           if network else []))

    exported = init_detector(str(out.with_suffix('.py')), str(out),
                             device='cpu')
    assert type(exported).__name__ == detector
    assert type(exported.backbone).__name__ == 'ResNet'
    reference = getattr(model, network or 'student')
    other = getattr(model, 'student' if network == 'teacher' else 'teacher')
    got = predict(exported, exported.cfg, images)
    assert_same(got, predict(reference, cfg, images))
    assert differ(got, predict(other, cfg, images))
    if detector == 'MaskRCNN':
        assert got[0].pred_instances.masks.shape[0] == len(
            got[0].pred_instances)
    saved = torch.load(out, map_location='cpu', weights_only=False)
    assert not [k for k in saved['state_dict'] if 'perturbation' in k]
    assert any('perturbations' in k for k in model.state_dict())
    extractor = load_tool('model_converters/extract_detector.py')
    assert extractor.mmssmd_types(
        Config.fromfile(out.with_suffix('.py')).model) == []


@pytest.mark.parametrize('case', ['teacher_of_csd', 'missing', 'plain'])
def test_bad_input(tmp_path, case):
    extractor = load_tool('model_converters/extract_detector.py')
    if case == 'plain':
        config = DEMO / 'supervised_r18_synth_2.5pct.py'
        checkpoint = tmp_path / 'x.pth'
        checkpoint.write_bytes(b'')
        argv, expected = [config, checkpoint, tmp_path / 'o.pth'], \
            str(config)
    else:
        config, checkpoint, _, _ = tiny_run(tmp_path, 'csd')
        if case == 'missing':
            checkpoint = tmp_path / 'nope.pth'
        argv = [config, checkpoint, tmp_path / 'o.pth'] + (
            ['--model', 'teacher'] if case == 'teacher_of_csd' else [])
        expected = str(checkpoint if case == 'missing' else config)
    with pytest.raises(SystemExit) as err:
        extractor.main([str(a) for a in argv])
    message = str(err.value)
    assert message.startswith('error: ') and '\n' not in message
    assert expected in message
    assert not list(tmp_path.glob('o.*'))


def test_mismatched_weights_fail(tmp_path):
    """A checkpoint of another detector does not load: no output."""
    config, _, _, _ = tiny_run(tmp_path, 'ssmd')
    _, other, _, _ = tiny_run(tmp_path, 'csd')
    with pytest.raises(SystemExit, match='no weights under'):
        tool_main('model_converters/extract_detector.py',
                  [config, other, tmp_path / 'o.pth'])
    state = torch.load(other, weights_only=False)
    state['state_dict'] = {f'student.{k}': v for k, v in
                           state['state_dict'].items()
                           if not k.startswith('bbox_head.retina_cls')}
    torch.save(state, other)
    with pytest.raises(SystemExit, match='missing .*retina_cls'):
        tool_main('model_converters/extract_detector.py',
                  [config, other, tmp_path / 'o.pth', '--model', 'student'])
    assert not list(tmp_path.glob('o.*'))


def test_infer_images_tool_on_a_folder(tmp_path, images, capsys):
    """tools/misc/infer_images.py: the export on a folder and a glob, the
    same predictions as DetInferencer, drawn images and json written."""
    config, checkpoint, _, _ = tiny_run(tmp_path, 'ssmd')
    out = tmp_path / 'detector.pth'
    tool_main('model_converters/extract_detector.py',
              [config, checkpoint, out])
    folder = Path(images[0]).parent
    preds = tool_main('misc/infer_images.py', [
        out.with_suffix('.py'), out, folder, str(folder / '*.png'),
        '--out-dir', tmp_path / 'infer', '--score-thr', 0.0
    ])
    assert len(preds) == 2  # the folder's one image, then the glob's
    assert preds[0]['scores'] == preds[1]['scores'] and preds[0]['scores']
    reference = DetInferencer(model=str(out.with_suffix('.py')),
                              weights=str(out), device='cpu',
                              show_progress=False)(
                                  str(folder), no_save_pred=True)
    assert preds[0]['scores'] == reference['predictions'][0]['scores']
    assert len(list((tmp_path / 'infer' / 'vis').glob('*'))) >= 1
    assert len(list((tmp_path / 'infer' / 'preds').glob('*.json'))) >= 1
    assert f'{len(preds[0]["scores"])} boxes with score >= 0.0' in \
        capsys.readouterr().out
    with pytest.raises(SystemExit, match='nothing.png: no image found'):
        tool_main('misc/infer_images.py', [
            out.with_suffix('.py'), out, tmp_path / 'nothing.png',
            '--out-dir', tmp_path / 'x'
        ])
