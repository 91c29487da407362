import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
