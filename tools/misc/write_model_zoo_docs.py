"""Write the model-zoo files of every config folder from paper_results.yml.

For each folder of ``configs/`` that holds leaves (``baselines``, ``ssmd``,
``csd``, ``pseudo_label``, ``focalmix``, ``mmdet_mean_teacher``,
``fig4_resolution``, ``demo`` and each ``ablations/<table>``) this writes,
in MMDetection's model-zoo form:

* ``README.md``: what the method or ablation is (the text below), the
  results table (config, dataset, backbone, labeled ratio, input size, the
  paper's number, ours where measured, else "not run") and the commands;
* ``metafile.yml``: MMDetection's model-index format (``Collections`` and
  ``Models``, each with ``Name``, ``In Collection``, ``Config``,
  ``Metadata``, ``Results`` holding the paper's numbers, ``Weights: null``:
  no checkpoint is published);

and ``model-index.yml`` at the repository root importing the metafiles.
The numbers come from ``configs/paper_results.yml`` only; "ours" only from
the measured demo runs listed in ``MEASURED`` (docs/benchmarks.md,
docs/ssmd_gain.md). ``--check`` writes nothing and exits 1 if a committed
file differs from what this script writes (a test runs it).
"""
import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis'))
from collect_results import PAPER_RESULTS, load_paper_results  # noqa: E402

PAPER = dict(
    Title='SSMD: Semi-Supervised Medical Image Detection with Adaptive '
    'Consistency and Heterogeneous Perturbation',
    URL='https://doi.org/10.1101/2021.06.02.21258256')
METRIC_NAMES = {'coco/bbox_mAP': 'box AP',
                'deeplesion/sensitivity_at_4fp': 'Sensitivity@4FP'}
DATASET_NAMES = {'DSB2018': 'DSB 2018', 'DeepLesion': 'DeepLesion',
                 'synthetic': 'synthetic nuclei (demo)'}

# Our measured numbers (COCO box AP on the demo's test split, percent,
# mean ± std over seeds 0-2 at fold 1 unless stated; 2000 iterations).
MEASURED = {
    'configs/demo/supervised_r18_synth_2.5pct.py':
    '19.5 ± 0.9 (3 seeds, [benchmarks](../../docs/benchmarks.md))',
    'configs/demo/ssmd_r18_synth_2.5pct.py':
    '20.4 ± 1.2 (3 seeds, [benchmarks](../../docs/benchmarks.md))',
    'configs/demo/supervised_r18_synth.py':
    '46.5 ± 1.8 (3 seeds, [benchmarks](../../docs/benchmarks.md))',
    'configs/demo/csd_r18_synth_2.5pct.py':
    '21.9 ± 0.7 (3 seeds, [benchmarks](../../docs/benchmarks.md))',
    'configs/demo/csd_acc_r18_synth_2.5pct.py':
    '21.3 ± 0.9 (3 seeds, [benchmarks](../../docs/benchmarks.md))',
    'configs/demo/focalmix_r18_synth_2.5pct.py':
    '10.1 (seed 0, [ssmd_gain](../../docs/ssmd_gain.md))',
    'configs/demo/pseudo_label_r18_synth_2.5pct.py':
    '21.7 (seed 0, [ssmd_gain](../../docs/ssmd_gain.md))',
    'configs/demo/mmdet_mean_teacher_r18_synth_2.5pct.py':
    '0.3 (seed 0, [ssmd_gain](../../docs/ssmd_gain.md))',
}

_ABL = ('All rows: ResNet-50, 50% labeled (fold 1), the paper\'s three '
        'repetitions per cell. ')


def _ablation(title: str, techniques: List[str], text: str) -> dict:
    """An ablation folder: its collection is the table (the title before
    the colon); its techniques add to the student-teacher's."""
    return dict(title=title, collection=title.split(':')[0],
                techniques=['Adam', 'Mean Teacher', *techniques],
                text=_ABL + text)


FOLDERS = OrderedDict([
    ('baselines', dict(
        title='Supervised baselines', collection='Supervised RetinaNet',
        techniques=['Adam', 'Supervised'],
        text='RetinaNet-R50/R101-FPN trained on the labeled part only '
        '(`supervised_*_<P>pct`, Table 1\'s "Supervised" rows) or on the '
        'whole train split (`fully_supervised_*`, its "Fully-supervised" '
        'row). 100 epochs of Adam (lr 1e-5, / 10 at epoch 75), batch 8; the '
        'checkpoint with the best validation metric is tested. The '
        '`supervised_*_<P>pct` leaves are also stage 1 of pseudo-labeling '
        '(see [pseudo_label](../pseudo_label/README.md)).')),
    ('ssmd', dict(
        title='SSMD', collection='SSMD',
        techniques=['Adam', 'Mean Teacher', 'Consistency regularization',
                    'Cutout', 'Noisy residual block',
                    'Instance-level adversarial perturbation'],
        text='The paper\'s method: a student-teacher RetinaNet (EMA teacher, '
        'alpha 0.99) with the adaptive consistency cost on all 5 pyramid '
        'levels, cutout (5 masks of 70 px), noisy residual blocks after '
        'every residual block of the backbone (`NoisyResNet`, training '
        'only) and the instance-level adversarial perturbation of the '
        'teacher input (xi 5e-7, eps 2.0, tau 0.95); lambda ramps over the '
        '3400 iterations (100 epochs of 34 on DSB; 140,600 on DeepLesion). '
        'The student predicts. The backbone is `NoisyResNet`, mmdet\'s '
        'ResNet with a block `X + noise * sigmoid(0.9 * conv1x1(GAP(X)))` '
        'after every residual block of the four stages (the configs use '
        '`ScaledNoisyResidualBlock`, noise N(0, 0.1) relative to each '
        'channel\'s spread; `NoisyResidualBlock` with sigma 1 is the '
        'literal N(0, 1)), active in training '
        'only (the EMA teacher runs in eval mode, so only the student is '
        'perturbed); the ResNet weights come from torchvision, the blocks\' '
        '1x1 convs are new, and `perturbation=None` turns NRB off. IAP is '
        'the `AdversarialHook` after the EMA hook in '
        '`_base_/models/ssmd_retinanet_r50_fpn.py`; '
        '`custom_hooks.1.start_iter=N` / `warmup_iters=N` delay or ramp it. '
        'An epoch on DeepLesion is 1406 iterations (22,496 key slices at 16 '
        'per step). Settings that differ from the paper\'s '
        'literal reading are listed in [configs/README.md]'
        '(../README.md#ssmd-settings-that-differ-from-the-papers-literal-'
        'reading).')),
    ('csd', dict(
        title='CSD', collection='CSD',
        techniques=['Adam', 'Consistency regularization'],
        text='CSD (Jeong et al., NeurIPS 2019) as the paper runs it: one '
        'RetinaNet sees each batch and its horizontal mirror; CSD\'s cost '
        '(background elimination, symmetric KL on the classes, squared '
        'differences of the box deltas) on all images with a Gaussian ramp; '
        'no teacher, cutout or NRB. A CSD checkpoint is a plain RetinaNet '
        'checkpoint.')),
    ('pseudo_label', dict(
        title='Pseudo-labeling', collection='Pseudo-labeling',
        techniques=['Adam', 'Pseudo-labeling'],
        text='Stage 2 of the two-stage recipe (STAC-style): a fresh '
        'RetinaNet trains on 8 labeled + 8 pseudo-labeled images per step '
        'for 3400 iterations, reading `annotations/pseudo/<stage-1 config '
        'name>.json`, written by `tools/misc/generate_pseudo_labels.py` '
        '(score >= 0.9) from stage 1, the `baselines/supervised_*` leaf of '
        'the same ratio. For fold K > 1 the pseudo-labels of stage 1 '
        'trained on fold K go to `annotations/pseudo/<stage 1>.fold<K>.json`'
        ' (what `tools/misc/fold_options.py` points stage 2 at).')),
    ('focalmix', dict(
        title='FocalMix (2D)', collection='FocalMix',
        techniques=['Adam', 'MixMatch', 'Mixup', 'Soft-target focal loss'],
        text='The paper\'s 2D re-implementation of FocalMix (Wang et al., '
        'CVPR 2020): targets of unlabeled images guessed from two views '
        '(identity, flip), averaged and sharpened (T 0.7); image- and '
        'object-level mixup (eta 0.2); soft-target focal loss (a0 0.05, a1 '
        '0.95, gamma 2); 200 epochs. The choices the papers leave open are '
        'in `mmssmd/models/detectors/focalmix.py`.')),
    ('mmdet_mean_teacher', dict(
        title='MMDetection mean teacher (not in the paper)',
        collection='MMDetection mean teacher',
        techniques=['Adam', 'Mean Teacher', 'Pseudo-labeling'],
        text='MMDetection\'s own `SemiBaseDetector` and `MeanTeacherHook` '
        'around the same RetinaNet: the teacher\'s boxes on a weak view '
        '(flip) at score >= 0.9 are the student\'s targets on a strong view '
        '(flip, rotation, 5 erased squares); EMA momentum 0.01; the teacher '
        'predicts. Not a row of the paper: the plain-MMDetection reference '
        'beside Table 1, collected by the same command '
        '(`tools/analysis/collect_results.py ... --table table1`). DSB '
        'only (on DeepLesion `SemiBaseDetector` clips projected pseudo '
        'boxes to the slice size on disk, which is wrong once the slice '
        'loader resamples).')),
    ('fig4_resolution', dict(
        title='Fig. 4: input resolution', collection='Fig. 4',
        techniques=['Adam'],
        text='Each method\'s Table 1 leaf at 50% labeled and one input size: '
        '384, 448, 512, 640 on DSB, 384, 448, 512 on DeepLesion (an input '
        'of size S is the 512 one scaled by S/512). The ResNet-101 leaf '
        'inherits the ResNet-50 one; pseudo-labeling reads the '
        'pseudo-labels of the supervised leaf of the same size. Fig. 4 is a '
        'plot: the paper\'s text gives none of its numbers, so the table '
        'below has none. The CSD leaves are also the CSD rows of Tables 4, '
        '5, 7 and 8 (their numbers are in those folders).')),
    ('ablations/table2_incremental', _ablation(
        'Table 2: incremental study', ['Consistency regularization'],
        'CSD\'s cost in the student-teacher, then + the '
        'adaptive consistency cost (ACC), + noisy residual blocks (NRB), + '
        'instance-level adversarial perturbation (IAP); no cutout. DSB at '
        '448, DeepLesion at 512. The ACC row equals Table 3\'s at 448.')),
    ('ablations/table3_adaptive_cost', _ablation(
        'Table 3: adaptive consistency cost', ['Consistency regularization'],
        'The student-teacher without cutout, NRB or IAP, with '
        'the adaptive consistency cost (`ssmd_acc_*`) or CSD\'s cost '
        '(`ssmd_csd-cost_*`), at each input size.')),
    ('ablations/table4_feature_perturbation', _ablation(
        'Table 4: feature-space perturbations', ['Consistency regularization'],
        'Table 3\'s CSD-cost leaf (no cutout, ACC or IAP) with '
        'one perturbation of the backbone: layer-wise dropout (p 0.1), '
        'DropBlock in res4 and res5 (drop 0.1, block 5), layer-wise '
        'Gaussian noise (sigma 0.5), NRB, NRB + dropout, NRB + noise (the '
        'values the paper does not give are documented in '
        '[docs/methods.md](../../../docs/methods.md#feature-perturbations)).'
        ' The first row, CSD, is the CSD detector itself: '
        '`fig4_resolution/csd_r50_<dataset>_50pct_<size>.py`. The extracted '
        'text lost the check-mark columns; the combined rows are read as '
        'NRB + Dropout, then NRB + Noise.')),
    ('ablations/table5_adversarial', _ablation(
        'Table 5: adversarial perturbation (xi, eps)',
        ['Adversarial perturbation'],
        'IAP (tau 0.95) with scale xi and magnitude eps on CSD\'s '
        'cost, without NRB or cutout. xi = eps = 0 is CSD '
        '(`fig4_resolution/csd_*`). The paper\'s DeepLesion table lists '
        '(1e-7, 2.0) twice with different results; the pair ships once and '
        'both rows point at it.')),
    ('ablations/table6_ema_alpha', _ablation(
        'Table 6: EMA factor alpha', [],
        'alpha = 0.8, 0.9, 0.95, 0.99, 0.999 on CSD\'s cost '
        'without cutout or IAP; DSB at 448, DeepLesion at 512. The paper\'s '
        'p-values compare the two best alphas of each dataset (row).')),
    ('ablations/table7_consistency_components', _ablation(
        'Table 7: consistency components', ['Consistency regularization'],
        'The adaptive cost on none, c, (c, x), (c, x, y), '
        '(c, x, y, w), (c, x, y, w, h) of the predictions (c: class score, '
        'x, y: centre, w, h: size), without cutout, NRB or IAP; "none" is '
        'a supervised student trained with flips. CSD* is '
        '`fig4_resolution/csd_*`. The extracted text lost the columns of '
        'the check marks; the rows are read as adding c, x, y, w, h in '
        'that order.')),
    ('ablations/table8_cutout', _ablation(
        'Table 8: cutout', ['Cutout'],
        'n square masks of side s (3, 5, 7 x 50, 70 px) on CSD\'s '
        'cost without NRB or IAP; n = s = 0 is CSD '
        '(`fig4_resolution/csd_*`).')),
    ('ablations/table9_pyramid_levels', _ablation(
        'Table 9: consistency on 1, 3 or 5 pyramid levels',
        ['Consistency regularization'],
        'The full SSMD (with NRB and IAP) with the consistency '
        'cost on the first 1, 3 or all 5 FPN levels; DSB at 448, DeepLesion '
        'at 512. The 5-level row and Table 10\'s RetinaNet are the same '
        'model.')),
    ('ablations/table10_detectors', dict(
        _ablation(
            'Table 10: detection frameworks', ['Consistency regularization'],
            'The full SSMD (ACC, cutout, NRB, IAP, EMA teacher) on four '
            'detectors, DSB at 448, DeepLesion at 512, each beside the same '
            'detector trained on the labeled 50% only (`supervised_*`, not '
            'in the paper). SSD: a ResNet-50 (C3, C4: the shapes of '
            'VGG16\'s two SSD inputs) with SSD512\'s neck and head, anchor '
            'strides equal to the feature maps\' (448 / 512 over the map '
            'size), the softmax adaptive cost (background class) at every '
            'paired anchor. Faster R-CNN and Mask R-CNN: mmdet\'s R50-FPN '
            'detectors in `TwoStageSSMD`, the adaptive cost on the RPN at '
            'paired anchors and, softmax, on the RoI head for the 256 '
            'top-scoring student proposals per image and their mirrors; '
            'Mask R-CNN adds the supervised mask loss, on the DSB '
            'converter\'s masks and on DeepLesion on masks built from the '
            'RECIST diameters ([docs/data_and_metrics.md]'
            '(../../../docs/data_and_metrics.md#recist-masks)), and its DSB '
            'test also reports mask AP. The RetinaNet leaves are Fig. 4\'s '
            '(SSMD: the same model as Table 9\'s 5-level row). The paper\'s '
            'p-values compare RetinaNet with Mask R-CNN per dataset. '
            '`configs/demo/{ssmd,supervised}_{ssd,faster-rcnn,mask-rcnn}_'
            'r18_synth_2.5pct.py` are the detectors at the demo\'s scale.'),
        architecture=['RetinaNet', 'SSD', 'Faster R-CNN', 'Mask R-CNN',
                      'FPN', 'ResNet'])),
    ('ablations/fig5_confidence_threshold', _ablation(
        'Fig. 5: IAP confidence threshold tau', ['Adversarial perturbation'],
        'The full SSMD without cutout (its caption), xi 5e-7, '
        'eps 2.0, tau from 0.5 to 0.99 (the figure\'s range in steps of '
        '0.1, plus the default 0.95); DSB at 448, DeepLesion at 512. Fig. 5 '
        'is a plot; the text gives only the p-values between its top-2 '
        'thresholds (DSB 0.0437, DeepLesion 0.0348).')),
    ('demo', dict(
        title='Demo: synthetic nuclei on the CPU (not in the paper)',
        collection='Demo',
        techniques=['Adam'],
        text='A quarter-width ResNet-18 RetinaNet (3 levels) from scratch on '
        'the synthetic nuclei of `tools/misc/prepare_demo_data.sh` at '
        '192 x 192, 2000 iterations, 2.5% labeled (8 of 320 images) + the '
        'rest unlabeled: every method of Table 1 at a scale that runs on 2 '
        'CPU cores in minutes. "Ours" is measured (COCO box AP on the test '
        'split, fold 1, mean ± std over seeds); the settings are in '
        '[docs/ssmd_gain.md](../../docs/ssmd_gain.md). Table 10\'s SSD, '
        'Faster R-CNN and Mask R-CNN at the same scale (the same backbone, '
        'narrow necks and heads), supervised and with the SSMD demo\'s '
        'settings, are `{supervised,ssmd}_{ssd,faster-rcnn,mask-rcnn}_'
        'r18_synth_2.5pct.py` (not measured).',
        architecture=['RetinaNet', 'SSD', 'Faster R-CNN', 'Mask R-CNN',
                      'FPN', 'ResNet'])),
])
# Tables whose rows without a config a folder lists too (none at present).
EXTRA_TABLES: Dict[str, List[str]] = {}


def _folder_of(config: Optional[str]) -> Optional[str]:
    return osp.dirname(config)[len('configs/'):] if config else None


def folder_entries(data: dict, folder: str) -> List[dict]:
    """The entries of a folder's table: those whose leaf is in the folder,
    plus, for an ablation folder, the other rows of its table (CSD's leaf)
    and the rows without a config of the tables in ``EXTRA_TABLES``."""
    own = [e for e in data['entries'] if _folder_of(e['config']) == folder]
    tables = {e['table'] for e in own if folder.startswith('ablations/')}
    tables |= set(EXTRA_TABLES.get(folder, []))
    return [e for e in data['entries']
            if e in own or (e['table'] in tables and
                            (e['config'] is None
                             or folder.startswith('ablations/')))]


def _paper_cell(e: dict, data: dict) -> str:
    if e['paper'] is None:
        return 'not reported'
    return f"{e['paper']:.1f} ({data['tables'][e['table']]['paper_ref']})"


def _label(e: dict, data: dict) -> str:
    """The entry's setting as the paper names it: its row, or its column
    in the tables whose rows are datasets (p-values within a row)."""
    if data['tables'][e['table']].get('p_within') == 'row':
        return e['column']
    return e['row']


def _labeled(e: dict) -> str:
    return f"{e['labeled']:g}%"


def readme(folder: str, data: dict) -> str:
    """The README.md of one folder."""
    spec = FOLDERS[folder]
    up = '../' * (folder.count('/') + 1)
    entries = folder_entries(data, folder)
    lines = [f"# {spec['title']}", '', spec['text'], '',
             '## Results and models', '',
             'The paper\'s number (in percent: box mAP on DSB 2018, '
             'sensitivity at 4 false positives per image on DeepLesion) '
             'beside ours where measured; "not run": no full-scale run was '
             'made here, "not reported": the paper gives no number. No '
             'checkpoints are published (neither here nor with the paper).',
             '', '| config | dataset | backbone | labeled | size | paper '
             'setting | paper | ours |', '|---|---|---|---|---|---|---|---|']
    for e in entries:
        if e['config']:
            name = osp.basename(e['config'])
            rel = e['config'][len('configs/'):]
            link = (f'[{name}]({name})' if _folder_of(e['config']) == folder
                    else f'[{rel}]({up[3:]}{rel})')
        else:
            link = f"(no config yet: {e['note']})"
        ours = MEASURED.get(e['config'], 'not run')
        lines.append(
            f"| {link} | {DATASET_NAMES[e['dataset']]} | {e['backbone']} | "
            f"{_labeled(e)} | {e['resolution']} | {_label(e, data)} | "
            f'{_paper_cell(e, data)} | {ours} |')
    example = next(e['config'] for e in entries
                   if e['config'] and _folder_of(e['config']) == folder)
    tables = sorted({e['table'] for e in entries},
                    key=list(data['tables']).index)
    gpus = 1 if folder == 'demo' else 8  # the demo runs on a CPU
    lines += ['', '## Commands', '', 'Train and test one leaf on folds 1-3 '
              f'(GPUS = {gpus}: GPUs, or processes without CUDA; '
              '`work_dirs/<folder>/<leaf>/fold_<k>/`), then the '
              'table with mean ± std over the folds beside the paper\'s '
              'numbers:', '', '```shell',
              f'tools/dist_train_folds.sh {example} {gpus} 1 2 3',
              f"python tools/analysis/collect_results.py work_dirs "
              f"--table {tables[0]}", '```', '',
              'One run on one machine, fold 1:', '', '```shell',
              f'python tools/train.py {example}',
              f'python tools/test.py {example} work_dirs/'
              f'{osp.splitext(osp.basename(example))[0]}/<checkpoint>.pth',
              '```', '',
              'Tables: ' + ', '.join(data['tables'][t]['paper_ref']
                                     for t in tables) + ' '
              f'(`configs/paper_results.yml`). See also the '
              f'[model zoo]({up}docs/model_zoo.md).']
    return '\n'.join(lines) + '\n'


def _model_name(folder: str, config: str) -> str:
    stem = osp.splitext(osp.basename(config))[0]
    if folder.startswith('ablations/'):
        return folder.split('/')[1].split('_')[0] + '_' + stem
    return stem


def metafile(folder: str, data: dict) -> str:
    """The metafile.yml of one folder (model-index format)."""
    import yaml
    spec = FOLDERS[folder]
    models: Dict[str, dict] = OrderedDict()
    for e in data['entries']:
        if _folder_of(e['config']) != folder:
            continue
        name = _model_name(folder, e['config'])
        model = models.setdefault(name, OrderedDict([
            ('Name', name), ('In Collection', spec['collection']),
            ('Config', e['config']),
            ('Metadata', OrderedDict([
                ('Backbone', e['backbone']),
                ('Labeled ratio', _labeled(e)),
                ('Input size', e['resolution']),
                ('Training Data', DATASET_NAMES[e['dataset']])])),
            ('Results', []), ('Weights', None)]))
        if e['paper'] is None:
            model.setdefault('Paper results', e['not_reported'])
            continue
        metric = METRIC_NAMES[e['metric']] + ' (paper)'
        model['Results'].append(OrderedDict([
            ('Task', 'Object Detection'),
            ('Dataset', DATASET_NAMES[e['dataset']]),
            ('Metrics', {metric: e['paper']}),
            ('Source', f"paper, {data['tables'][e['table']]['paper_ref']}, "
                       f"row {e['row']}, column {e['column']}")]))
    collection = OrderedDict([
        ('Name', spec['collection']),
        ('Metadata', OrderedDict([
            ('Training Techniques', spec['techniques']),
            ('Architecture', spec.get('architecture',
                                      ['RetinaNet', 'FPN', 'ResNet']))])),
        ('Paper', dict(PAPER)),
        ('README', f'configs/{folder}/README.md')])

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(
        OrderedDict,
        lambda d, v: d.represent_mapping('tag:yaml.org,2002:map', v.items()))
    body = yaml.dump(dict(Collections=[collection],
                          Models=list(models.values())),
                     Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     width=1000)
    return ('# Generated by tools/misc/write_model_zoo_docs.py from '
            'configs/paper_results.yml.\n# Results hold the paper\'s '
            'numbers ("(paper)"); Weights: null: no checkpoint is '
            'published.\n' + body)


def model_index() -> str:
    return ('# Generated by tools/misc/write_model_zoo_docs.py.\nImport:\n'
            + ''.join(f'  - configs/{f}/metafile.yml\n' for f in FOLDERS))


def outputs(paper_results: str = PAPER_RESULTS) -> Dict[str, str]:
    """Every file this script writes: path relative to the repository ->
    text."""
    data = load_paper_results(paper_results)
    files = {'model-index.yml': model_index()}
    for folder in FOLDERS:
        files[f'configs/{folder}/README.md'] = readme(folder, data)
        files[f'configs/{folder}/metafile.yml'] = metafile(folder, data)
    return files


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if a committed file differs')
    parser.add_argument('--root', default=REPO_ROOT)
    args = parser.parse_args(argv)
    files = outputs()
    stale = []
    for rel, text in files.items():
        path = osp.join(args.root, rel)
        old = open(path).read() if osp.isfile(path) else None
        if old == text:
            continue
        stale.append(rel)
        if not args.check:
            with open(path + '.tmp', 'w') as f:
                f.write(text)
            os.replace(path + '.tmp', path)
    if args.check and stale:
        print('write_model_zoo_docs: out of date (run it without --check): '
              + ', '.join(stale), file=sys.stderr)
        return 1
    print(f'write_model_zoo_docs: {len(files)} files, '
          f'{len(stale)} {"stale" if args.check else "written"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
