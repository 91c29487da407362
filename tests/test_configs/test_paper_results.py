"""configs/paper_results.yml: the paper's numbers beside every leaf, and
the model-zoo files generated from it."""
import os.path as osp
from collections import defaultdict
from pathlib import Path

import pytest
from mmengine.fileio import load

from conftest import REPO_ROOT, load_config, load_tool

collect = load_tool('analysis/collect_results.py')
docs = load_tool('misc/write_model_zoo_docs.py')
folds = load_tool('misc/fold_options.py')

DATA = collect.load_paper_results()
ENTRIES = DATA['entries']
# the folders whose every leaf is a cell of a table or figure of the paper
TABLE_FOLDERS = ('baselines', 'ssmd', 'csd', 'pseudo_label', 'focalmix',
                 'mmdet_mean_teacher', 'fig4_resolution', 'ablations')


def table_leaves():
    return sorted(str(p.relative_to(REPO_ROOT))
                  for f in TABLE_FOLDERS
                  for p in (REPO_ROOT / 'configs' / f).rglob('*.py'))


def test_every_entry_names_an_existing_leaf_or_says_why_not():
    assert len(ENTRIES) > 400
    for i, e in enumerate(ENTRIES):
        if e['config'] is None:
            assert e['table'] == 'table10' and e['note'], i
        else:
            assert (REPO_ROOT / e['config']).is_file(), (i, e['config'])
            assert '/_base_/' not in e['config']


def test_every_table_leaf_has_its_number_or_a_reason():
    numbers = defaultdict(list)
    for e in ENTRIES:
        if e['config']:
            numbers[e['config']].append(e)
    leaves = table_leaves()
    assert len(leaves) > 390
    for leaf in leaves:
        assert numbers[leaf], f'{leaf} is in no entry of paper_results.yml'
        for e in numbers[leaf]:
            assert e['paper'] is not None or e['not_reported'], leaf


def test_counts_per_table():
    count = defaultdict(int)
    for e in ENTRIES:
        count[e['table']] += 1
    # Table 1: 2 backbones x 2 datasets x (5 methods x 5 ratios + full),
    # + MMDetection's mean teacher on DSB (2 x 5, not reported)
    assert count['table1'] == 4 * 26 + 10
    assert (count['table2'], count['table3'], count['table6'],
            count['table9'], count['table10']) == (8, 14, 10, 6, 8)
    # 7 rows x (4 DSB + 3 DeepLesion sizes)
    for t in ('table4', 'table5', 'table7', 'table8'):
        assert count[t] == 49, t
    numbers = sum(e['paper'] is not None for e in ENTRIES)
    assert numbers == 104 + 8 + 14 + 49 * 4 + 10 + 6 + 8


def test_table1_transcription_matches_the_printed_gains():
    """Table 1 prints SSMD's lead over the second best beside it: the
    transcribed numbers must give the same lead."""
    cells = defaultdict(dict)
    for e in ENTRIES:
        if e['table'] == 'table1' and e['paper'] is not None:
            cells[e['column']][e['row']] = e
    checked = 0
    for column, rows in cells.items():
        if 'SSMD' not in rows:
            continue
        second = max(v['paper'] for r, v in rows.items()
                     if r not in ('SSMD', 'Fully-supervised'))
        assert rows['SSMD']['paper'] - second == pytest.approx(
            rows['SSMD']['paper_gain'], abs=0.05), column
        checked += 1
    assert checked == 20


def test_one_config_has_one_number():
    """A leaf named by several tables (CSD's) has the same number in each,
    except the row the paper itself prints twice (noted)."""
    seen = {}
    for e in ENTRIES:
        if e['config'] is None or e['paper'] is None or 'note' in e:
            continue
        if e['config'] in seen:
            assert seen[e['config']] == e['paper'], e
        seen[e['config']] = e['paper']


def test_p_values_name_groups_of_their_table():
    groups = defaultdict(set)
    for e in ENTRIES:
        within = DATA['tables'][e['table']]['p_within']
        groups[e['table']].add(e[within])
    for p in DATA['p_values']:
        assert p['group'] in groups[p['table']], p
        assert 0 < p['value'] < 1


def test_bad_paper_results_name_the_file_and_entry(tmp_path):
    bad = tmp_path / 'bad.yml'
    bad.write_text(
        'tables: {t: {title: x, paper_ref: T}}\np_values: []\nentries:\n'
        '  - {table: t, row: a, column: b, config: null, method: m, '
        'backbone: R-50, dataset: DSB2018, labeled: 10, resolution: 448, '
        'setting: null, metric: coco/bbox_mAP, paper: 1.0}\n')
    with pytest.raises(collect.ResultsError,
                       match=r'bad.yml: entries\[0\]: config is null'):
        collect.load_paper_results(str(bad))


def test_model_zoo_files_are_up_to_date():
    """The folder READMEs, metafiles and model-index.yml are what
    tools/misc/write_model_zoo_docs.py writes from paper_results.yml."""
    for rel, text in docs.outputs().items():
        path = REPO_ROOT / rel
        assert path.is_file(), f'{rel} missing: run the script'
        assert path.read_text() == text, f'{rel} is stale: run the script'


def test_model_index_imports_metafiles_with_existing_configs():
    index = load(str(REPO_ROOT / 'model-index.yml'))
    names = set()
    for rel in index['Import']:
        meta = load(str(REPO_ROOT / rel))
        collections = {c['Name'] for c in meta['Collections']}
        for m in meta['Models']:
            assert m['In Collection'] in collections
            assert (REPO_ROOT / m['Config']).is_file(), m['Config']
            assert m['Weights'] is None  # nothing is published
            assert m['Name'] not in names, m['Name']
            names.add(m['Name'])
            for r in m['Results']:
                (metric, value), = r['Metrics'].items()
                assert metric.endswith('(paper)') and r['Source']
    assert len(names) == len({e['config'] for e in ENTRIES if e['config']})


@pytest.mark.parametrize('folder', TABLE_FOLDERS[:-1] + ('demo', ))
def test_every_split_trained_leaf_can_run_another_fold(folder):
    """tools/misc/fold_options.py rewrites a training file of every leaf
    that trains on a split; the fully supervised ones only get the seed."""
    for path in sorted((REPO_ROOT / 'configs' / folder).glob('*.py')):
        cfg = load_config(path)
        options = folds.fold_options(cfg, 3)
        assert options[-1] == 'randomness.seed=3'
        if 'fully_supervised' in path.name or path.name == \
                'supervised_r18_synth.py':
            assert options == ['randomness.seed=3'], path
        else:
            assert any('.3@' in o for o in options), (path, options)
