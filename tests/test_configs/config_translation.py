"""The translation of the configs' old syntax to the new (issue 12).

The "before" snapshot (tests/data/configs_before.json.gz) holds leaf configs
resolved before the config refactoring, in the old syntax. `translate`
rewrites one such entry into the new syntax; everything else must equal the
config resolved today:

* backbone ``perturbation=dict(type=...)`` -> a list of registered modules:
  'scaled_nrb' -> ScaledNoisyResidualBlock; 'nrb' -> NoisyResidualBlock (old
  defaults mu 0.0, sigma 1.0); 'dropout' (p) -> mmcv's Dropout (drop_prob);
  'dropblock' -> FeatureDropBlock (old defaults warmup_iters 2000, stages
  res4 + res5); 'gaussian' -> GaussianNoise (old default sigma 0.5);
  'nrb+dropout' / 'nrb+gaussian' -> the two modules in that order;
* AdaptiveConsistencyLoss(adaptive=True) -> AdaptiveConsistencyLoss without
  `adaptive`; adaptive=False -> CSDConsistencyLoss (no `adaptive`, no
  `reduction`);
* semi_train_cfg.consistency_schedule 'ssmd' -> 'gaussian_ramp';
* LoadDeepLesionSlices(target_spacing, max_size, ...) -> LoadDeepLesionSlices
  (I/O, windowing) followed by ResizeToSpacing(target_spacing, max_size,
  interpolation, clip_object_border);
* custom_hooks absent -> [] (a plain detector's base now says so; the
  runner reads both as no hooks);
* leaves renamed or removed: RENAMED maps the old path to the file that
  holds the config now.
"""
import copy

RESIZE_KEYS = ('target_spacing', 'max_size', 'interpolation',
               'clip_object_border')


def _nrb(cfg):
    return dict(type='NoisyResidualBlock', gamma=cfg.get('gamma', 0.9),
                mu=cfg.get('mu', 0.0), sigma=cfg.get('sigma', 1.0))


def _gaussian(cfg):
    return dict(type='GaussianNoise', sigma=cfg.get('sigma', 0.5))


def _dropout(cfg):
    return dict(type='Dropout', drop_prob=cfg.get('p', 0.5))


def perturbation(old):
    """The old perturbation dict as the new list (None stays None)."""
    if old is None or isinstance(old, list):
        return old
    kind = old['type']
    rest = {k: v for k, v in old.items() if k != 'type'}
    if kind == 'scaled_nrb':
        return [dict(type='ScaledNoisyResidualBlock', **rest)]
    if kind == 'nrb':
        return [_nrb(rest)]
    if kind == 'dropout':
        return [_dropout(rest)]
    if kind == 'gaussian':
        return [_gaussian(rest)]
    if kind == 'dropblock':
        return [dict(type='FeatureDropBlock',
                     drop_prob=rest['drop_prob'],
                     block_size=rest['block_size'],
                     warmup_iters=rest.get('warmup_iters', 2000),
                     stages=[False, False, True, True])]
    if kind == 'nrb+dropout':
        return [_nrb(rest.get('nrb', {})), _dropout(rest.get('dropout', {}))]
    if kind == 'nrb+gaussian':
        return [_nrb(rest.get('nrb', {})),
                _gaussian(rest.get('gaussian', {}))]
    raise ValueError(f'unknown old perturbation {kind!r}')


def _walk(x):
    if isinstance(x, list):
        out = []
        for item in x:
            if isinstance(item, dict) and \
                    item.get('type') == 'LoadDeepLesionSlices' and \
                    'target_spacing' in item:
                out.append({k: _walk(v) for k, v in item.items()
                            if k not in RESIZE_KEYS})
                out.append(dict(type='ResizeToSpacing',
                                **{k: item[k] for k in RESIZE_KEYS
                                   if k in item}))
            else:
                out.append(_walk(item))
        return out
    if not isinstance(x, dict):
        return x
    x = {k: _walk(v) for k, v in x.items()}
    if 'perturbation' in x:
        x['perturbation'] = perturbation(x['perturbation'])
    if x.get('type') == 'AdaptiveConsistencyLoss' and 'adaptive' in x:
        if not x.pop('adaptive'):
            x['type'] = 'CSDConsistencyLoss'
            x.pop('reduction', None)
    if x.get('consistency_schedule') == 'ssmd':
        x['consistency_schedule'] = 'gaussian_ramp'
    return x


def translate(entry):
    """One leaf's "before" entry ({key: value}) in the new syntax."""
    entry = _walk(copy.deepcopy(entry))
    if entry.get('custom_hooks') == '<absent>':
        entry['custom_hooks'] = []
    return entry


def normalise_after(entry):
    """The same absent -> [] reading on a config resolved today."""
    entry = copy.deepcopy(entry)
    if entry.get('custom_hooks') == '<absent>':
        entry['custom_hooks'] = []
    return entry


_ALIAS_SIZES = {'dsb': (384, 448, 512, 640), 'deeplesion': (384, 448, 512)}
RENAMED = {}
for _table in ('table4_feature_perturbation', 'table5_adversarial',
               'table7_consistency_components', 'table8_cutout'):
    for _ds, _sizes in _ALIAS_SIZES.items():
        for _size in _sizes:
            _name = f'csd_r50_{_ds}_50pct_{_size}.py'
            RENAMED[f'configs/ablations/{_table}/{_name}'] = \
                f'configs/fig4_resolution/{_name}'
for _old, _new in (('nrb+dropout', 'nrb-dropout'),
                   ('nrb+gaussian', 'nrb-gaussian')):
    for _ds, _sizes in _ALIAS_SIZES.items():
        for _size in _sizes:
            _name = f'ssmd_{{}}_r50_{_ds}_50pct_{_size}.py'
            RENAMED['configs/ablations/table4_feature_perturbation/' +
                    _name.format(_old)] = \
                'configs/ablations/table4_feature_perturbation/' + \
                _name.format(_new)
for _old, _new in (('acc+nrb+iap', 'acc-nrb-iap'), ('acc+nrb', 'acc-nrb')):
    for _tail in ('r50_deeplesion_50pct_512', 'r50_dsb_50pct_448'):
        RENAMED[f'configs/ablations/table2_incremental/ssmd_{_old}_{_tail}'
                '.py'] = \
            f'configs/ablations/table2_incremental/ssmd_{_new}_{_tail}.py'
