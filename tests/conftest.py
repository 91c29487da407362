import importlib.util
import itertools
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, List, Optional, Sequence, Union

import pytest
from mmdet.utils import register_all_modules

import mmssmd  # noqa: F401

# build from mmdet's registries with the 'mmdet' default scope, as the
# runner does for our configs (default_scope = 'mmdet')
register_all_modules(init_default_scope=True)

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_tool(rel_path: str) -> ModuleType:
    """Import a script under ``tools/`` as a module (they are not a package).

    Args:
        rel_path (str): Path relative to ``tools/``.

    Returns:
        ModuleType: The loaded module.
    """
    path = REPO_ROOT / 'tools' / rel_path
    name = 'tool_' + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


_CONFIG_CACHE = {}


def load_config(path) -> 'Config':
    """``Config.fromfile`` cached per test session; returns a private copy.

    Several config tests read every leaf (hundreds of files with several
    bases each); parsing each once keeps the suite fast.
    """
    import copy

    from mmengine.config import Config
    key = str(path)
    if key not in _CONFIG_CACHE:
        _CONFIG_CACHE[key] = Config.fromfile(key)
    return copy.deepcopy(_CONFIG_CACHE[key])


def run_tool(args: Sequence, cwd: Union[str, Path] = REPO_ROOT,
             ok: bool = True, env: Optional[dict] = None) -> str:
    """Run ``python ARGS...`` in a subprocess, for tests of a command line.

    Args:
        args (Sequence): The script and its arguments (str() of each).
        cwd (str | Path): Working directory. Defaults to the repository.
        ok (bool): Whether the exit status must be 0 (True) or non-zero.
        env (dict, optional): Extra environment variables.

    Returns:
        str: stdout followed by stderr.
    """
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    proc = subprocess.run([sys.executable] + [str(a) for a in args],
                          cwd=cwd, capture_output=True, text=True,
                          env=full_env)
    output = proc.stdout + proc.stderr
    assert (proc.returncode == 0) == ok, output[-5000:]
    return output


def tool_main(rel_path: str, argv: Sequence) -> Any:
    """Call ``main(argv)`` of a script under ``tools/`` in this process."""
    return load_tool(rel_path).main([str(a) for a in argv])


def train_in_process(config: str, work_dir: Path,
                     options: Sequence[str] = ()) -> str:
    """``tools/train.py CONFIG --work-dir W --cfg-options ...`` in this
    process (the same code path as the command line, without a new
    interpreter); returns the text of the run's log file.

    Each call gets its own ``experiment_name``: mmengine keys its logger
    and message hub by that name, and two runs of one config within the
    same second would otherwise share them. Likewise the visualizer's name
    (mmdet's runtime names it ``'visualizer'``, and mmengine hands a later
    runner the first one, which writes into the first run's work dir).
    """
    name = f'test_{next(_RUN_IDS)}_{Path(config).stem}'
    tool_main('train.py', [config, '--work-dir', work_dir, '--cfg-options',
                           f'experiment_name={name}',
                           f'visualizer.name={name}', *options])
    logs = sorted(Path(work_dir).glob('*/*.log'))
    assert logs, f'no log file under {work_dir}'
    return logs[-1].read_text()


_RUN_IDS = itertools.count()

# the session's synthetic DSB data: 40 images of 96 x 96 px
SYNTH_IMAGES, SYNTH_SIZE, SYNTH_SEED = 40, 96, 3


@pytest.fixture(scope='session')
def synthetic_dsb(tmp_path_factory) -> Path:
    """Synthetic nuclei in DSB's layout, converted to COCO (train / val /
    test 80 / 10 / 10%) and split into labeled / unlabeled halves (fold 1)
    and a 20% split, made once per session by the project's own tools
    (called in this process)."""
    root = tmp_path_factory.mktemp('synthetic_dsb') / 'dsb2018'
    tool_main('misc/generate_synthetic_dsb.py', [
        '--out-dir', root, '--num-images', SYNTH_IMAGES, '--seed',
        SYNTH_SEED, '--size', SYNTH_SIZE, SYNTH_SIZE, '--no-progress'
    ])
    tool_main('dataset_converters/dsb2018_to_coco.py', ['--data-root', root])
    tool_main('misc/split_semi.py', [
        '--ann-file', root / 'annotations/instances_train.json', '--out-dir',
        root / 'annotations/semi', '--percents', 20, 50, '--folds', 1
    ])
    return root


def demo_data_options(root: Path, semi: bool, batch_size: int = 4,
                      percent: int = 50,
                      unlabeled_split: bool = True) -> List[str]:
    """``--cfg-options`` pointing a demo config at ``root``
    (:func:`synthetic_dsb`) with small batches and no worker processes.

    ``semi``: the config trains on two datasets (labeled, unlabeled) with
    a ``MultiSourceSampler``; ``unlabeled_split=False`` keeps the second
    dataset's own annotation file (pseudo-labels)."""
    r = f'{root}/'
    split = f'annotations/semi/instances_train.1@{percent}'
    if semi:
        train = [
            f'train_dataloader.dataset.datasets.0.data_root={r}',
            f'train_dataloader.dataset.datasets.0.ann_file={split}.json',
            f'train_dataloader.dataset.datasets.1.data_root={r}',
            f'train_dataloader.sampler.batch_size={batch_size}'
        ]
        if unlabeled_split:
            train.append(f'train_dataloader.dataset.datasets.1.ann_file='
                         f'{split}-unlabeled.json')
    else:
        train = [f'train_dataloader.dataset.data_root={r}',
                 f'train_dataloader.dataset.ann_file={split}.json']
    return train + [
        f'val_dataloader.dataset.data_root={r}',
        f'test_dataloader.dataset.data_root={r}',
        f'val_evaluator.ann_file={r}annotations/instances_val.json',
        f'test_evaluator.ann_file={r}annotations/instances_test.json',
        f'train_dataloader.batch_size={batch_size}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1'
    ]
