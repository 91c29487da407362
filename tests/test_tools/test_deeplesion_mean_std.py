"""tools/misc/deeplesion_mean_std.py on the DeepLesion fixture."""
import json

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.registry import MODELS

from conftest import load_tool
from fixtures.deeplesion import slice_pipeline, write_converted_fixture

tool = load_tool('misc/deeplesion_mean_std.py')


@pytest.fixture(scope='module')
def fixture_root(tmp_path_factory):
    return write_converted_fixture(tmp_path_factory.mktemp('dl'))


def test_statistics_match_a_direct_computation(fixture_root, tmp_path):
    ann = fixture_root / 'annotations' / 'instances_train.json'
    out = tmp_path / 'stats.json'
    stats = tool.main(['--ann-file', str(ann), '--out', str(out)])
    assert json.loads(out.read_text())['mean'] == pytest.approx(stats['mean'])
    # every train image through the config's loader and resize, [-1, 1],
    # all pixels
    loader = Compose(
        slice_pipeline(target_spacing=0.802, max_size=512,
                       out_range=(-1.0, 1.0)))
    pixels = []
    for im in json.loads(ann.read_text())['images']:
        r = loader(dict(img_path=str(fixture_root / im['file_name']),
                        key_slice=im['key_slice'], spacing=im['spacing']))
        pixels.append(r['img'].reshape(-1, 3).astype(np.float64))
    pixels = np.concatenate(pixels)
    assert stats['num_images'] == 7
    assert stats['num_pixels'] == len(pixels)
    assert stats['mean'] == pytest.approx(pixels.mean(), abs=1e-9)
    assert stats['std'] == pytest.approx(pixels.std(), abs=1e-9)
    np.testing.assert_allclose(stats['channel_mean'], pixels.mean(0),
                               atol=1e-9)
    np.testing.assert_allclose(stats['channel_std'], pixels.std(0),
                               atol=1e-9)
    # the preprocessor values turn [0, 255] loader output into (x - m) / s
    pp = MODELS.build(
        dict(type='DetDataPreprocessor', mean=stats['preprocessor_mean'],
             std=stats['preprocessor_std'], bgr_to_rgb=False))
    x = torch.tensor(pixels[:100].T.reshape(3, 10, 10), dtype=torch.float32)
    out = pp(dict(inputs=[(x + 1) * 127.5], data_samples=None))['inputs'][0]
    np.testing.assert_allclose(
        out.numpy(), ((x - stats['mean']) / stats['std']).numpy(), atol=1e-4)


def test_subset_and_workers(fixture_root):
    ann = fixture_root / 'annotations' / 'instances_train.json'
    a = tool.main(['--ann-file', str(ann), '--max-images', '3', '--seed',
                   '1', '--num-workers', '2'])
    b = tool.main(['--ann-file', str(ann), '--max-images', '3', '--seed',
                   '1'])
    assert a['num_images'] == 3
    assert a['mean'] == pytest.approx(b['mean']) and \
        a['std'] == pytest.approx(b['std'])
