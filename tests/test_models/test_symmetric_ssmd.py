"""SymmetricSSMD: the student sees x and flip(x), the teacher their mirrors."""
import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

import mmssmd  # noqa: F401
from test_ssmd import TINY_RETINANET, batch, record_backbone_input


def build(cls, **semi_train_cfg):
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(
        type=cls,
        detector=TINY_RETINANET,
        consistency_loss=dict(type='AdaptiveConsistencyLoss'),
        data_preprocessor=dict(
            type='MultiBranchDataPreprocessor',
            data_preprocessor=TINY_RETINANET['data_preprocessor']),
        semi_train_cfg=dict(dict(cutout_holes=0), **semi_train_cfg)))


def test_student_sees_both_orientations_and_teacher_their_mirrors():
    model = build('SymmetricSSMD')
    student = record_backbone_input(model.student)
    teacher = record_backbone_input(model.teacher)
    inputs, samples = batch()
    model.loss(inputs, samples)
    x = torch.cat([inputs['sup'], inputs['unsup']])
    torch.testing.assert_close(student['x'], torch.cat([x, x.flip(-1)]))
    torch.testing.assert_close(teacher['x'], torch.cat([x.flip(-1), x]))


def test_equals_ssmd_with_the_mirrors_as_extra_unlabeled_images():
    """Same weights, eval mode (BN per image), no cutout: SymmetricSSMD on
    (labeled L, unlabeled U) gives SSMD's losses on labeled L and unlabeled
    (U, flip(L), flip(U)): the supervised loss uses the labeled originals
    only, the consistency pairs every image of both orientations."""
    sym, plain = build('SymmetricSSMD'), build('SSMD')
    plain.load_state_dict(sym.state_dict())
    sym.eval()
    plain.eval()
    inputs, samples = batch()
    got = sym.loss(inputs, samples)
    mirrors = torch.cat([inputs['sup'], inputs['unsup']]).flip(-1)
    unsup = torch.cat([inputs['unsup'], mirrors])
    unsup_samples = samples['unsup'] + samples['unsup'] * 2
    want = plain.loss({'sup': inputs['sup'], 'unsup': unsup},
                      {'sup': samples['sup'], 'unsup': unsup_samples})
    assert set(got) == set(want)
    for key in want:
        value = want[key]
        if isinstance(value, list):
            value, got_value = sum(value), sum(got[key])
        else:
            got_value = got[key]
        torch.testing.assert_close(got_value, value, msg=key)


def test_labeled_mirrors_stay_uncut_when_labeled_images_are():
    model = build('SymmetricSSMD', cutout_holes=3, cutout_size=24,
                  cutout_labeled=False)
    seen = record_backbone_input(model.student)
    inputs, samples = batch()
    inputs = {k: v + 1 for k, v in inputs.items()}  # holes are zeros
    model.loss(inputs, samples)
    x = seen['x']
    torch.testing.assert_close(x[:2], inputs['sup'])
    torch.testing.assert_close(x[4:6], inputs['sup'].flip(-1))
    for i in (2, 3, 6, 7):  # unlabeled images and their mirrors are cut
        assert (x[i] == 0).all(dim=0).any()
