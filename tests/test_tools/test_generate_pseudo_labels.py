"""tools/misc/generate_pseudo_labels.py, and stage 2 of pseudo-labeling.

A tiny checkpoint (the demo detector, randomly initialised, saved with
mmengine) whose classifier is set by hand: every position scores 0.95 for
anchor shape 0, 0.92 for shape 8 and 0.3 for the others, and the box
branch predicts the anchors. The tool's output is compared with the
model's own detections and loaded as a DSBNucleiDataset; stage 2 (the
pseudo-label demo config) trains a few iterations on it.
"""
import json
import math
from pathlib import Path

import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner.checkpoint import save_checkpoint

from conftest import demo_data_options, load_tool, run_tool, train_in_process

REPO = Path(__file__).resolve().parents[2]
STAGE1 = 'configs/demo/supervised_r18_synth_2.5pct.py'
STAGE2 = 'configs/demo/pseudo_label_r18_synth_2.5pct.py'
tool = load_tool('misc/generate_pseudo_labels.py')
UNLABELED = 'annotations/semi/instances_train.1@50-unlabeled.json'
MAX_DETS = {'model.test_cfg.max_per_img': 5000}


def logit(p):
    return math.log(p / (1 - p))


@pytest.fixture(scope='module')
def setup(synthetic_dsb, tmp_path_factory):
    root = synthetic_dsb
    cfg = Config.fromfile(str(REPO / STAGE1))
    # room for every box NMS keeps (mmdet keeps the top max_per_img)
    cfg.merge_from_dict(MAX_DETS)
    model = MODELS.build(cfg.model)
    head = model.bbox_head
    torch.nn.init.zeros_(head.retina_cls.weight)
    torch.nn.init.zeros_(head.retina_reg.weight)
    torch.nn.init.zeros_(head.retina_reg.bias)
    bias = torch.full((head.num_base_priors, ), logit(0.3))
    # shapes 0 (ratio 0.5, smallest) and 8 (ratio 2, largest) overlap
    # little (IoU 0.29), so NMS keeps both kinds
    bias[0], bias[8] = logit(0.95), logit(0.92)
    head.retina_cls.bias.data.copy_(bias)
    ckpt = tmp_path_factory.mktemp('pseudo') / 'tiny.pth'
    save_checkpoint({'state_dict': model.state_dict(),
                     'meta': {'dataset_meta': {'classes': ('nucleus', )}}},
                    str(ckpt))
    return root, cfg, model.eval(), ckpt


def generate(setup, out, *extra):
    """Run the tool in this process (its command line, no re-import)."""
    root, _, _, ckpt = setup
    tool.main([STAGE1, str(ckpt), '--ann-file',
               str(root / UNLABELED),
               '--out', str(out), '--img-root', f'{root}/', '--no-progress',
               '--batch-size', '3', '--cfg-options',
               'model.test_cfg.max_per_img=5000'] + [str(e) for e in extra])


def model_detections(setup):
    """The model's own detections on the unlabeled split, by image id."""
    root, cfg, model, _ = setup
    dataset = tool.build_dataset(
        cfg, str(root / UNLABELED),
        f'{root}/')
    with torch.no_grad():
        results = model.test_step(pseudo_collate([dataset[i] for i in
                                                  range(len(dataset))]))
    return {r.img_id: r.pred_instances for r in results}


def test_select_pseudo_labels_by_hand():
    scores = torch.tensor([0.95, 0.5, 0.9, 0.89])
    assert tool.select_pseudo_labels(scores, 0.9).tolist() == [
        True, False, True, False]
    low = torch.tensor([0.3, 0.6, 0.6, 0.1])
    assert not tool.select_pseudo_labels(low, 0.9).any()
    # STAC: threshold min(0.9, 0.6) keeps the top box (and its tie)
    assert tool.select_pseudo_labels(low, 0.9, keep_top1=True).tolist() == [
        False, True, True, False]
    # keep_top1 never lowers the threshold below what is already kept
    assert tool.select_pseudo_labels(scores, 0.9, keep_top1=True).tolist() \
        == [True, False, True, False]
    assert tool.select_pseudo_labels(torch.zeros(0), 0.9).numel() == 0


def test_threshold_output_matches_the_model_and_loads(setup, tmp_path):
    root = setup[0]
    out = tmp_path / 'pseudo.json'
    generate(setup, out)
    pseudo = json.loads(out.read_text())
    split = json.loads(
        (root / 'annotations/semi/instances_train.1@50-unlabeled.json'
         ).read_text())
    assert pseudo['images'] == split['images']
    assert pseudo['categories'] == split['categories']
    assert pseudo['pseudo_label_info']['score_thr'] == 0.9
    dets = model_detections(setup)
    expected = sum(int((d.scores >= 0.9).sum()) for d in dets.values())
    anns = pseudo['annotations']
    assert expected > 0 and len(anns) == expected
    # the 0.3 anchors are dropped; the kept scores are the 0.95 / 0.92 ones
    assert {round(a['score'], 4) for a in anns} == {0.95, 0.92}
    assert all(a['category_id'] == 1 and a['iscrowd'] == 0 for a in anns)
    assert all(a['area'] == pytest.approx(a['bbox'][2] * a['bbox'][3])
               for a in anns)
    assert len({a['id'] for a in anns}) == len(anns)
    for image_id, d in dets.items():
        key = lambda b: [round(v, 2) for v in b]  # noqa: E731
        mine = sorted((a['bbox'] for a in anns if a['image_id'] == image_id),
                      key=key)
        keep = d.scores >= 0.9
        ref = sorted(([x1, y1, x2 - x1, y2 - y1]
                      for x1, y1, x2, y2 in d.bboxes[keep].tolist()), key=key)
        torch.testing.assert_close(torch.tensor(mine), torch.tensor(ref))
    # the output is a dataset: the pseudo-label dataset of stage 2
    stage2 = Config.fromfile(str(REPO / STAGE2))
    ds_cfg = stage2.train_dataloader.dataset.datasets[1]
    ds_cfg.update(data_root=f'{root}/', ann_file=str(out))
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == len({a['image_id'] for a in anns})
    item = dataset[0]
    assert len(item['data_samples'].gt_instances) > 0
    assert item['inputs'].shape[-2:] == (192, 192)  # the demo's size


def test_keep_top1_and_a_threshold_above_every_score(setup, tmp_path):
    out = tmp_path / 'none.json'
    generate(setup, out, '--score-thr', 0.99)
    none = json.loads(out.read_text())
    assert none['annotations'] == []
    out = tmp_path / 'top1.json'
    generate(setup, out, '--score-thr', 0.99, '--keep-top1')
    top1 = json.loads(out.read_text())
    dets = model_detections(setup)
    # each image keeps exactly its top-scoring boxes (the 0.95 anchors)
    for image_id, d in dets.items():
        n = sum(a['image_id'] == image_id for a in top1['annotations'])
        assert n == int((d.scores >= d.scores.max()).sum()) >= 1
    assert {round(a['score'], 4) for a in top1['annotations']} == {0.95}


def test_clear_errors_and_no_partial_output(setup, tmp_path):
    root, _, _, ckpt = setup
    out = tmp_path / 'x.json'
    split = root / 'annotations/semi/instances_train.1@50-unlabeled.json'
    # the command line reports the error and exits non-zero
    log = run_tool(['tools/misc/generate_pseudo_labels.py', STAGE1,
                    tmp_path / 'missing.pth', '--ann-file', split, '--out',
                    out], ok=False)
    assert 'error: checkpoint file not found' in log and 'missing.pth' in log
    args = [STAGE1, str(ckpt), '--out', str(out), '--no-progress']
    with pytest.raises(FileNotFoundError, match='nope.json'):
        tool.main(args + ['--ann-file', str(tmp_path / 'nope.json')])
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps({'images': [], 'annotations': [],
                                 'categories': [{'id': 1,
                                                 'name': 'nucleus'}]}))
    with pytest.raises(ValueError, match='empty.json: the split has no image'):
        tool.main(args + ['--ann-file', str(empty)])
    broken = tmp_path / 'broken.json'
    broken.write_text('{"images": [\n  {"id": 1,\n')
    with pytest.raises(ValueError,
                       match=r'broken.json: not valid JSON \(line'):
        tool.main(args + ['--ann-file', str(broken)])
    with pytest.raises(ValueError, match='must differ'):
        tool.main([STAGE1, str(ckpt), '--out', str(split), '--ann-file',
                   str(split)])
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['broken.json',
                                                         'empty.json']


def test_stage2_trains_on_the_pseudo_labels(setup, tmp_path):
    """Two-stage recipe: pseudo-labels, then a few stage-2 iterations."""
    root = setup[0]
    pseudo = root / 'annotations/pseudo/supervised_r18_synth_2.5pct.json'
    # a few boxes per image keep the step cheap
    generate(setup, pseudo, '--cfg-options', 'model.test_cfg.max_per_img=20')
    unlabeled = json.loads((root / UNLABELED).read_text())['images']
    assert len(json.loads(pseudo.read_text())['annotations']) == \
        len(unlabeled) * 20
    out = train_in_process(STAGE2, tmp_path / 'work', [
        *demo_data_options(root, semi=True, unlabeled_split=False),
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ])
    assert 'Iter(train) [2/2]' in out and 'loss_cls' in out
    assert 'coco/bbox_mAP' in out
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
