"""``torchvision://`` checkpoints: resolved through mmengine's URL table,
fetched once per job, and a one-line error when they cannot be fetched.

mmengine's own ``torchvision://`` loader imports ``torchvision`` only to read
that table (and fails when it is missing or built for another torch), and an
offline rank dies with a stack of network errors while the others wait at a
barrier; this loader replaces it (registered with ``force=True`` when
``mmssmd`` is imported). The download itself is mmengine's ``load_url``
(``torch.hub``'s cache, ``$TORCH_HOME/hub/checkpoints``).
"""
import http.client
import os
import os.path as osp
from typing import Dict, Optional

import mmengine
from mmengine.dist import broadcast_object_list, get_dist_info
from mmengine.runner.checkpoint import CheckpointLoader, get_torchvision_models
from mmengine.utils.dl_utils import load_url
from torch.hub import get_dir

PREFIX = 'torchvision://'


class PretrainedWeightsUnavailable(RuntimeError):
    """The weights behind a ``torchvision://`` name could not be fetched.

    Args:
        name (str): The model name, e.g. ``'resnet50'``.
        url (str): The URL it resolves to.
        reason (str): Why the download failed.
    """

    def __init__(self, name: str, url: str, reason: str) -> None:
        self.name, self.url, self.reason = name, url, reason
        self.cache_file = osp.join(get_dir(), 'checkpoints',
                                   osp.basename(url))
        super().__init__(self.hint('<backbone>.init_cfg.checkpoint'))

    def hint(self, option: str) -> str:
        """The message in one line, naming the option to set.

        Args:
            option (str): The config option that holds the name, e.g.
                ``'model.detector.backbone.init_cfg.checkpoint'``.

        Returns:
            str: One line: the name, the URL, the reason, and the two ways
            to give the file offline.
        """
        return (f'cannot download the pretrained weights {PREFIX}{self.name} '
                f'from {self.url} ({self.reason}); offline, copy that file '
                f'here and set --cfg-options {option}=/path/to/'
                f'{osp.basename(self.url)}, or put it at {self.cache_file}')


def torchvision_model_urls() -> Dict[str, str]:
    """mmengine's table of ``torchvision://`` names and their URLs.

    With an importable ``torchvision``, :func:`get_torchvision_models`
    (mmengine's ``hub/torchvision_0.12.json`` plus the ``<model>.<weights>``
    names of that torchvision); otherwise the json alone, which holds every
    plain name the configs use (``resnet50``, ``resnet101``).

    Returns:
        dict[str, str]: Name to URL.
    """
    try:
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError, OSError):
        # missing, or a build for another torch (e.g. PyPI's CUDA build
        # next to a CPU torch fails to register its ops)
        return mmengine.load(
            osp.join(mmengine.__path__[0], 'hub', 'torchvision_0.12.json'))
    return get_torchvision_models()


@CheckpointLoader.register_scheme(prefixes=PREFIX, force=True)
def load_from_torchvision(filename: str,
                          map_location: Optional[str] = None) -> dict:
    """Load ``torchvision://<name>``; rank 0 downloads, the others follow.

    Args:
        filename (str): ``torchvision://<name>``.
        map_location (str, optional): As for :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        KeyError: Unknown name.
        PretrainedWeightsUnavailable: On every rank, when rank 0 cannot
            download the file (no network, proxy, HTTP error).
    """
    name = filename[len(PREFIX):]
    urls = torchvision_model_urls()
    if name not in urls:
        raise KeyError(f'{filename}: unknown torchvision model name; known '
                       f'ResNets: {sorted(k for k in urls if "resnet" in k)}')
    url = urls[name]
    rank, world_size = get_dist_info()
    failure = [None]
    checkpoint = None
    if rank == 0:
        try:
            checkpoint = load_url(
                url, map_location=map_location, progress=os.isatty(0))
        except (OSError, http.client.HTTPException) as error:
            failure = [str(getattr(error, 'reason', error)) or
                       type(error).__name__]
    if world_size > 1:
        # also the barrier: the other ranks read rank 0's cached file
        broadcast_object_list(failure, src=0)
    if failure[0] is not None:
        raise PretrainedWeightsUnavailable(name, url, failure[0])
    if checkpoint is None:
        checkpoint = load_url(url, map_location=map_location)
    return checkpoint
