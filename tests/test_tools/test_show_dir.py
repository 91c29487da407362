"""``tools/test.py --show-dir`` (mmdet's visualization hook) writes one
picture per test image for each method's demo config, and DeepLesion's
16-bit slices in the CT window (CTWindowVisualizationHook)."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from conftest import demo_data_options, tool_main
from fixtures.deeplesion import SERIES, slice_hu
from test_deeplesion_train import CONFIG as DL_CONFIG
from test_deeplesion_train import SMALL, deeplesion_coco  # noqa: F401
from test_extract_detector import tiny_run

from mmssmd.visualization import ct_window


def show(config, checkpoint, work_dir: Path, options=()) -> list:
    tool_main('test.py', [config, checkpoint, '--work-dir', work_dir,
                          '--show-dir', 'vis', '--cfg-options',
                          'test_dataloader.num_workers=0',
                          'test_dataloader.persistent_workers=False',
                          *options])
    return sorted(work_dir.glob('*/vis/*.png'))


@pytest.mark.parametrize('method', ['ssmd', 'csd', 'focalmix',
                                    'mmdet_mean_teacher'])
def test_show_dir_demo_configs(tmp_path, synthetic_dsb, method):
    config, checkpoint, _, _ = tiny_run(tmp_path, method)
    options = [o for o in demo_data_options(synthetic_dsb, semi=True)
               if o.startswith('test_')]
    pictures = show(config, checkpoint, tmp_path / 'work', options)
    # the synthetic test split: 10% of 40 images
    assert len(pictures) == 4
    image = mmcv.imread(str(pictures[0]))
    # ground truth | prediction, side by side, at the original size
    assert image.shape == (96, 2 * 96, 3)


def test_show_dir_deeplesion_ct_window(tmp_path,
                                      deeplesion_coco):  # noqa: F811
    config = tmp_path / 'dl.py'
    config.write_text(SMALL.format(
        config=str(DL_CONFIG), root=f'{deeplesion_coco}/',
        prefix=str(tmp_path / 'froc')) + (
            'test_dataloader = dict(num_workers=0, persistent_workers=False,'
            ' dataset=dict(data_root=data_root, pipeline=test_pipeline))\n'
            "test_evaluator = dict(ann_file=data_root + "
            "'annotations/instances_test.json')\n"))
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / 'dl.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(checkpoint))
    pictures = show(config, checkpoint, tmp_path / 'work')
    by_name = {p.name: p for p in pictures}
    # the fixture's test key slices, named <series>_<slice>.png
    expected = {f'{"{:06d}_{:02d}_{:02d}".format(*s["key"])}_'
                f'{i["slice"]:03d}.png': (s, i["slice"])
                for s in SERIES for i in s['images'] if i['split'] == 3}
    assert set(by_name) == set(expected)
    for name, (series, index) in expected.items():
        drawn = mmcv.imread(str(by_name[name]))
        window = ct_window(slice_hu(series, index), (-1100, 1100))
        assert drawn.shape[:2] == (window.shape[0], 2 * window.shape[1])
        # the ground-truth half is the windowed slice (boxes aside)
        diff = np.abs(drawn[:, :window.shape[1], 1].astype(int) - window)
        assert np.median(diff) <= 1
