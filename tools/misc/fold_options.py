"""Print the ``--cfg-options`` that train a config on fold K.

The configs name fold 1 of each labeled ratio
(``annotations/semi/instances_train.1@<P>.json`` and its ``-unlabeled``
part, written by ``tools/misc/split_semi.py``). Fold K of a config is the
same config with every training annotation file of fold 1 pointed at fold K
and ``randomness.seed=K``, so a fold is one option away and no config is
edited::

    python tools/train.py configs/ssmd/ssmd_r50_dsb_10pct.py \\
        --work-dir work_dirs/ssmd/ssmd_r50_dsb_10pct/fold_2 \\
        --cfg-options $(python tools/misc/fold_options.py \\
                        configs/ssmd/ssmd_r50_dsb_10pct.py 2)

What is rewritten, in every dataset of ``train_dataloader`` (a
``ConcatDataset``'s ``datasets`` and any wrapper's ``dataset`` included):

* a split file ``<name>.1@<P>[-unlabeled].json`` -> ``<name>.K@<P>...``;
* a pseudo-label file ``annotations/pseudo/<stage 1>.json`` (the
  pseudo-labeling leaves; stage 1 trained on fold 1) ->
  ``annotations/pseudo/<stage 1>.fold<K>.json`` for K > 1: the
  pseudo-labels of stage 1 trained on fold K, which
  ``tools/misc/generate_pseudo_labels.py --out`` must write there first.

A config trained on the whole train split (``fully_supervised_*``) has no
fold: only the seed changes (the folds of such a config are seeds), and a
note says so on stderr. A config whose training files name another fold
than 1, or a fold < 1, is an error.
"""
import argparse
import os.path as osp
import re
import shlex
import sys
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.config import Config

SPLIT = re.compile(r'\.(\d+)@')
PSEUDO = re.compile(r'^(?P<dir>(?:.*/)?pseudo/)(?P<stem>[^/]+?)\.json$')


class FoldError(ValueError):
    """Raised for a config or fold that cannot be rewritten."""


def _datasets(dataset: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(option key, dataset dict)`` of every dataset in ``dataset``,
    wrappers (``dataset``) and concatenations (``datasets``) included."""
    if not isinstance(dataset, dict):
        return
    if 'ann_file' in dataset:
        yield key, dataset
    if isinstance(dataset.get('dataset'), dict):
        yield from _datasets(dataset['dataset'], f'{key}.dataset')
    for i, child in enumerate(dataset.get('datasets') or []):
        yield from _datasets(child, f'{key}.datasets.{i}')


def fold_ann_file(ann_file: str, fold: int) -> Optional[str]:
    """The fold-``fold`` version of a fold-1 training annotation file.

    Args:
        ann_file (str): An ``ann_file`` of a training dataset.
        fold (int): The fold, >= 1.

    Returns:
        str | None: The rewritten path, or None if the file has no fold
        (the whole train split).

    Raises:
        FoldError: If the file names a fold other than 1.
    """
    folds = SPLIT.findall(ann_file)
    if folds:
        if folds != ['1']:
            raise FoldError(f'{ann_file!r} names fold(s) {folds}; the '
                            'configs name fold 1 and this tool rewrites it')
        return SPLIT.sub(f'.{fold}@', ann_file)
    match = PSEUDO.match(ann_file)
    if match:
        if fold == 1:
            return ann_file
        return f"{match['dir']}{match['stem']}.fold{fold}.json"
    return None


def fold_options(cfg: Config, fold: int) -> List[str]:
    """``--cfg-options`` (``key=value`` strings) training ``cfg`` on fold
    ``fold`` with ``randomness.seed=fold``.

    Args:
        cfg (Config): The resolved config.
        fold (int): The fold, >= 1.

    Returns:
        list[str]: The options; the ann_file options first, the seed last.

    Raises:
        FoldError: For a fold < 1, a config without ``train_dataloader``
            or one whose training files name another fold than 1.
    """
    if fold < 1:
        raise FoldError(f'fold must be >= 1, got {fold}')
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise FoldError(f'{cfg.filename}: no train_dataloader.dataset')
    options = []
    for key, dataset in _datasets(loader['dataset'],
                                  'train_dataloader.dataset'):
        try:
            new = fold_ann_file(dataset['ann_file'], fold)
        except FoldError as e:
            raise FoldError(f'{cfg.filename}: {key}.ann_file: {e}') from None
        if new is not None:
            options.append(f'{key}.ann_file={new}')
    return options + [f'randomness.seed={fold}']


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description='Print the --cfg-options that train CONFIG on fold K '
        '(and seed K)')
    parser.add_argument('config')
    parser.add_argument('fold', type=int)
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        print(f'fold_options: config {args.config} not found',
              file=sys.stderr)
        return 1
    cfg = Config.fromfile(args.config)
    try:
        options = fold_options(cfg, args.fold)
    except FoldError as e:
        print(f'fold_options: {e}', file=sys.stderr)
        return 1
    if len(options) == 1:
        print(f'fold_options: {args.config} trains on no fold of a split '
              f'(the whole train split): fold {args.fold} only sets the '
              'seed', file=sys.stderr)
    print(' '.join(shlex.quote(o) for o in options))
    return 0


if __name__ == '__main__':
    sys.exit(main())
