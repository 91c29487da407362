# Runtime of the demo's iteration-based runs: one checkpoint at the end
# (tests and comparisons use the last one), logs every 50 iterations.
_base_ = './default_runtime.py'

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        by_epoch=False, interval=2000, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=False)
