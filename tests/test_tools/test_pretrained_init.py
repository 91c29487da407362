"""The ImageNet-pretrained initialisation of the paper's configs, offline.

``torchvision://`` names resolve through mmengine's table, a local file in
torchvision's ResNet format initialises student and teacher, an unreachable
download fails in one line, and the README's headline command trains from
``data/dsb2018`` with ``init_cfg.checkpoint`` pointed at a local file.
"""
import logging
import os
import re
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import CheckpointLoader

from conftest import load_config
from mmssmd.utils import (PretrainedWeightsUnavailable, load_from_torchvision,
                          torchvision_model_urls)
from mmssmd.utils import torchvision_weights

REPO = Path(__file__).resolve().parents[2]
HEADLINE = 'configs/ssmd/ssmd_r50_dsb_20pct.py'
CHECKPOINT_KEY = 'model.detector.backbone.init_cfg.checkpoint'


def torchvision_names():
    """Every ``torchvision://<name>`` of the configs: written in a leaf or
    base, or inherited from mmdet's RetinaNet base (R50 configs)."""
    names = set()
    for path in (REPO / 'configs').rglob('*.py'):
        names.update(re.findall(r"torchvision://(\w+)", path.read_text()))
    inherited = load_config(REPO / HEADLINE).model.detector.backbone
    names.add(inherited.init_cfg.checkpoint[len('torchvision://'):])
    return sorted(names)


def torchvision_resnet_state(depth: int) -> dict:
    """A randomly initialised ResNet in torchvision's key format.

    torchvision's own model when it imports; otherwise mmdet's ResNet (whose
    layer names were made to match torchvision's) plus torchvision's
    classifier ``fc``, the keys of ``torchvision.models.resnet<depth>()``.
    """
    try:
        import torchvision
        return getattr(torchvision.models, f'resnet{depth}')().state_dict()
    except (ImportError, RuntimeError, OSError):
        from mmdet.models.backbones import ResNet
        state = ResNet(depth=depth).state_dict()
        state['fc.weight'] = torch.randn(1000, 2048)
        state['fc.bias'] = torch.randn(1000)
        return state


def test_every_config_name_resolves_to_a_url():
    names = torchvision_names()
    assert set(names) == {'resnet50', 'resnet101'}
    urls = torchvision_model_urls()
    for name in names:
        assert re.fullmatch(
            rf'https://download\.pytorch\.org/models/{name}-[0-9a-f]+\.pth',
            urls[name]), urls[name]
    # the scheme is ours, not mmengine's (which needs torchvision)
    assert CheckpointLoader._get_checkpoint_loader(
        'torchvision://resnet50') is load_from_torchvision


class LogCapture(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def key_list(messages, what):
    """Keys listed by mmengine's ``load_state_dict`` in each message."""
    found = []
    for message in messages:
        match = re.search(rf'{what} in source state_dict: ([^\n]+)', message)
        if match:
            found.append(set(match.group(1).split(', ')))
    return found


def test_local_torchvision_checkpoint_initialises_student_and_teacher(
        tmp_path):
    state = torchvision_resnet_state(50)
    # torchvision's resnet50 layout: 53 BNs (5 entries each) + 53 convs +
    # fc weight and bias; downsample = (conv, BN) at index 0, 1
    assert len(state) == 53 * 5 + 53 + 2
    for key in ('conv1.weight', 'bn1.running_var', 'layer1.0.downsample.0.'
                'weight', 'layer1.0.downsample.1.num_batches_tracked',
                'layer4.2.bn3.bias', 'fc.weight'):
        assert key in state, key
    path = tmp_path / 'resnet50-local.pth'
    torch.save(state, path)
    cfg = load_config(REPO / HEADLINE)
    assert cfg.model.detector.backbone.init_cfg.checkpoint == \
        'torchvision://resnet50'
    cfg.model.detector.backbone.init_cfg.checkpoint = str(path)
    model = MODELS.build(cfg.model)

    logger = MMLogger.get_current_instance()
    capture = LogCapture()
    logger.addHandler(capture)
    try:
        model.init_weights()
    finally:
        logger.removeHandler(capture)

    backbones = [model.student.backbone, model.teacher.backbone]
    # from the file's side: every perturbation module of the NoisyResNet is
    # new, every other backbone key is in the file; the file's classifier
    # is the only thing a detector backbone does not use
    own = set(backbones[0].state_dict())
    perturbation_keys = {k for k in own if k.startswith('perturbations.')}
    assert perturbation_keys  # one gate conv per residual block
    assert own - perturbation_keys <= set(state)
    # the teacher is built without the (training-only) perturbations, so
    # only the student reports them missing
    assert not any(k.startswith('perturbations.')
                   for k in backbones[1].state_dict())
    assert key_list(capture.messages, 'missing keys') == [perturbation_keys]
    assert key_list(capture.messages, 'unexpected key') == \
        [{'fc.weight', 'fc.bias'}] * 2
    for backbone in backbones:
        loaded = backbone.state_dict()
        for key in own - perturbation_keys:
            assert torch.equal(loaded[key], state[key]), key


def test_unreachable_weights_fail_in_one_line(tmp_path, monkeypatch):
    def offline(url, **kwargs):
        raise urllib.error.URLError('[Errno -3] Temporary failure in name '
                                    'resolution')

    monkeypatch.setattr(torchvision_weights, 'load_url', offline)
    with pytest.raises(PretrainedWeightsUnavailable) as info:
        load_from_torchvision('torchvision://resnet50')
    error = info.value
    url = torchvision_model_urls()['resnet50']
    assert error.url == url
    hint = error.hint(CHECKPOINT_KEY)
    assert '\n' not in hint
    for part in ('torchvision://resnet50', url, 'name resolution',
                 f'--cfg-options {CHECKPOINT_KEY}=/path/to/'
                 f'{os.path.basename(url)}', error.cache_file):
        assert part in hint, part
    with pytest.raises(KeyError, match='resnet5o'):
        load_from_torchvision('torchvision://resnet5o')


@pytest.fixture(scope='module')
def dsb2018_project(synthetic_dsb, tmp_path_factory):
    """A directory laid out as the README says: ``data/dsb2018`` made by the
    project's own tools (the session's synthetic data with its 20% split),
    ``configs`` and ``tools`` of this checkout."""
    project = tmp_path_factory.mktemp('project')
    (project / 'data').mkdir()
    (project / 'data' / 'dsb2018').symlink_to(synthetic_dsb)
    (project / 'configs').symlink_to(REPO / 'configs')
    (project / 'tools').symlink_to(REPO / 'tools')
    torch.save(torchvision_resnet_state(50), project / 'resnet50.pth')
    return project


def headline(project, env, *options):
    """``tools/dist_train.sh configs/ssmd/ssmd_r50_dsb_20pct.py 2``, for 2
    iterations of 1 + 1 images per process at 96 px."""
    size = '(96,96)'
    return subprocess.run(
        ['bash', 'tools/dist_train.sh', HEADLINE, '2', '--cfg-options',
         'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'train_dataloader.batch_size=2',
         'train_dataloader.sampler.batch_size=2',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         f'train_dataloader.dataset.datasets.0.pipeline.2.scale={size}',
         f'train_dataloader.dataset.datasets.1.pipeline.1.scale={size}',
         'model.semi_train_cfg.cutout_size=16',
         'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False',
         f'val_dataloader.dataset.pipeline.1.scale={size}',
         'default_hooks.checkpoint.save_last=False',
         'default_hooks.checkpoint.save_best=None',
         'default_hooks.logger.interval=1', *options],
        cwd=project, capture_output=True, text=True, env=env)


def headline_env(tmp_path):
    from test_train_test_tools import free_port
    return dict(os.environ, PYTHON=sys.executable, PORT=free_port(),
                TORCH_HOME=str(tmp_path / 'torch_home'),
                PYTHONUNBUFFERED='1')


@pytest.mark.slow
def test_headline_command_trains_from_a_local_checkpoint(
        dsb2018_project, tmp_path):
    proc = headline(dsb2018_project, headline_env(tmp_path),
                    f'{CHECKPOINT_KEY}={dsb2018_project / "resnet50.pth"}')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Distributed training: True' in out
    assert 'load model from: ' + str(dsb2018_project / 'resnet50.pth') in out
    assert 'Iter(train) [2/2]' in out
    assert 'student/coco/bbox_mAP' in out


@pytest.mark.slow
def test_headline_command_offline_fails_in_one_line(dsb2018_project,
                                                    tmp_path):
    # no network: every connection goes to a closed local port
    env = headline_env(tmp_path)
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'):
        env[var] = 'http://127.0.0.1:9'
    env.pop('no_proxy', None)
    env.pop('NO_PROXY', None)
    proc = headline(dsb2018_project, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    errors = [ln for ln in out.splitlines() if ln.startswith('error: ')]
    assert len(errors) == 1, out[-5000:]  # rank 0 only
    url = torchvision_model_urls()['resnet50']
    assert 'torchvision://resnet50' in errors[0] and url in errors[0]
    assert f'--cfg-options {CHECKPOINT_KEY}=' in errors[0]
    # and no network stack trace from any rank: the one traceback left is
    # torchrun's own report that its children exited with code 1
    assert 'urllib' not in out and 'URLError' not in out, out[-5000:]
    assert out.count('Traceback') == 1 and 'ChildFailedError' in out
