# The SSMD schedule plus instance-level adversarial perturbation of the
# teacher input (Sec. 3.3), switched on from the first iteration with the
# paper's defaults (xi 5e-7, eps 2.0, tau 0.95). A config without
# AdversarialHook has no IAP.
_base_ = './ssmd_adam_100e.py'

ema_hook = _base_.custom_hooks[0]
adversarial_hook = dict(type='AdversarialHook', xi=5e-7, eps=2.0, tau=0.95)
custom_hooks = [ema_hook, adversarial_hook]
