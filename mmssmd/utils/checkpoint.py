"""Let ``torch.load(weights_only=True)`` read the checkpoints mmengine writes.

torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, and
mmengine 0.10.7 does not pass ``weights_only``. A runner checkpoint's ``meta``
and ``message_hub`` hold a few non-tensor Python objects (``HistoryBuffer``,
numpy arrays, scalars and dtypes), so ``load_from``, ``--resume`` and
``tools/test.py`` fail with ``UnpicklingError``.

Rather than turning the safety check off (``weights_only=False`` everywhere),
we allow-list exactly the types mmengine writes with
``torch.serialization.add_safe_globals``. Anything else in a checkpoint still
fails to load.

One of them needs care: a ``HistoryBuffer`` pickles its statistics methods
(``HistoryBuffer.min`` ...) as ``getattr(HistoryBuffer, 'min')``. Allowing
the builtin ``getattr`` would let a crafted file reach any attribute of any
allowed object, so ``builtins.getattr`` is mapped to
:func:`history_buffer_getattr`, which resolves those methods only.
"""
import pickle
from typing import List

import numpy as np
import torch

_REGISTERED = False


def history_buffer_getattr(obj: object, name: str) -> object:
    """``getattr`` restricted to the statistics methods of ``HistoryBuffer``.

    Stands in for ``builtins.getattr`` while unpickling with
    ``weights_only=True``.

    Args:
        obj (object): Must be the ``HistoryBuffer`` class.
        name (str): The name of a registered statistics method.

    Returns:
        object: The method.
    """
    from mmengine.logging import HistoryBuffer
    # the built-in methods are registered when a first buffer is created,
    # which may not have happened yet in this process
    allowed = {'min', 'max', 'mean', 'current'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'refusing getattr({obj!r}, {name!r}) in a checkpoint: only the '
            'statistics methods of mmengine HistoryBuffer are allowed')
    return getattr(HistoryBuffer, name)


def checkpoint_safe_globals() -> List[object]:
    """The globals that mmengine runner checkpoints need, beyond tensors.

    Returns:
        list: classes and functions (or ``(function, name)`` pairs) to pass
        to :func:`torch.serialization.add_safe_globals`.
    """
    from mmengine.logging import HistoryBuffer

    # numpy arrays and scalars pickle through these reconstructors, under
    # ``numpy.core`` with numpy 1.x and ``numpy._core`` with numpy 2.x.
    if int(np.__version__.split('.')[0]) >= 2:
        from numpy._core import multiarray
    else:
        from numpy.core import multiarray
    safe: List[object] = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        multiarray._reconstruct,
        multiarray.scalar,
    ]
    # Since numpy 1.25 each dtype has its own class (``Float64DType`` ...),
    # and the pickle of a dtype names that class.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    safe.append((history_buffer_getattr, 'builtins.getattr'))
    return safe


def register_checkpoint_safe_globals() -> None:
    """Allow-list the types of mmengine checkpoints for ``torch.load``.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals(checkpoint_safe_globals())
    _REGISTERED = True
