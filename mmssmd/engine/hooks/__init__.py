from .adversarial_hook import AdversarialHook
from .ema_teacher_hook import EMATeacherHook
from .random_state_hook import RandomStateHook

__all__ = ['AdversarialHook', 'EMATeacherHook', 'RandomStateHook']
