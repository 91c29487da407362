_base_ = 'mmdet::_base_/default_runtime.py'

# Registers the mmssmd modules, so plain MMDetection tools can use the configs.
custom_imports = dict(imports=['mmssmd'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=3,
        save_best='auto'),
    # random generator states in checkpoints: --resume continues exactly
    random_state=dict(type='RandomStateHook'))
