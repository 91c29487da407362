"""Small file-output helpers shared by the tools.

Both helpers write JSON through a temporary file created in the destination
directory and then move it into place with :func:`os.replace`, so a reader
never sees a half-written file and a failed run leaves no partial output.
"""
import json
import os
import os.path as osp
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple, Union

PathLike = Union[str, 'os.PathLike[str]']


def _current_umask() -> int:
    """Return the process umask without changing it permanently."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp_json(obj: Any, path: PathLike, **dump_kwargs: Any) -> str:
    """Dump ``obj`` to a new temporary file next to ``path``.

    Args:
        obj: A JSON-serialisable object.
        path: The final destination; its directory is created if needed.
        **dump_kwargs: Forwarded to :func:`json.dump`.

    Returns:
        The path of the temporary file (the caller renames or removes it).
    """
    path = osp.abspath(os.fspath(path))
    directory = osp.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(obj, f, **dump_kwargs)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files; give the usual permissions instead.
        os.chmod(tmp, 0o666 & ~_current_umask())
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _remove_quietly(path: str) -> None:
    """Remove ``path`` if it exists, ignoring errors."""
    try:
        os.remove(path)
    except OSError:
        pass


def _missing_dirs(dirs: Iterable[str]) -> Set[str]:
    """Return every directory on the way to ``dirs`` that does not exist."""
    missing: Set[str] = set()
    for d in dirs:
        while d and not osp.isdir(d) and d not in missing:
            missing.add(d)
            parent = osp.dirname(d)
            if parent == d:
                break
            d = parent
    return missing


def atomic_write_json(obj: Any,
                      path: PathLike,
                      indent: Optional[int] = None) -> None:
    """Write ``obj`` as JSON to ``path`` atomically.

    The data go to a temporary file in the same directory, which then
    replaces ``path`` with :func:`os.replace`. On any error the temporary
    file is removed and ``path`` is left untouched.

    Args:
        obj: A JSON-serialisable object.
        path: Destination file; missing parent directories are created.
        indent: Optional JSON indentation.
    """
    tmp = _write_temp_json(obj, path, indent=indent)
    try:
        os.replace(tmp, osp.abspath(os.fspath(path)))
    except BaseException:
        _remove_quietly(tmp)
        raise


def atomic_write_many(objs: Dict[PathLike, Any],
                      indent: Optional[int] = None) -> None:
    """Write several JSON files, all or none.

    Every object is first written to its own temporary file. Only when all
    of them were written successfully are they renamed onto their
    destinations; if any write fails, all temporary files are removed and
    no destination is touched. (The renames themselves are individually
    atomic; a failure during the rename phase, which would need e.g. a
    permission change in between, removes the remaining temporary files and
    re-raises.)

    Args:
        objs: Mapping from destination path to JSON-serialisable object.
        indent: Optional JSON indentation.
    """
    written: List[Tuple[str, str]] = []
    new_dirs = _missing_dirs(osp.dirname(osp.abspath(os.fspath(p)))
                             for p in objs)
    try:
        for path, obj in objs.items():
            tmp = _write_temp_json(obj, path, indent=indent)
            written.append((tmp, osp.abspath(os.fspath(path))))
    except BaseException:
        for tmp, _ in written:
            _remove_quietly(tmp)
        # Remove the directories this call created (deepest first), so a
        # failed run leaves nothing behind. Non-empty ones are kept.
        for d in sorted(new_dirs, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
        raise
    done = 0
    try:
        for tmp, dst in written:
            os.replace(tmp, dst)
            done += 1
    except BaseException:
        for tmp, _ in written[done:]:
            _remove_quietly(tmp)
        raise
