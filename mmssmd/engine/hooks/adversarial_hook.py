from typing import Optional, Sequence

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

DATA_BATCH = Optional[Sequence[dict]]


@HOOKS.register_module()
class AdversarialHook(Hook):
    """Switches on SSMD's instance-level adversarial perturbation (IAP).

    The perturbation itself lives in the detector
    (:meth:`SSMD.adversarial_perturbation`, Eqs. 8-9); this hook owns *when*
    and *how strongly* it is applied, so a config turns IAP on or off by
    listing this hook or not. Before every training iteration it hands the
    detector ``xi``, ``tau`` and the current ``eps``:

    * before ``start_iter`` IAP is off (the teacher sees its clean view);
    * from ``start_iter`` on, ``eps`` ramps linearly from ``eps /
      warmup_iters`` to ``eps`` over ``warmup_iters`` iterations (0: full
      strength at once), then stays at ``eps``.

    After every iteration it logs, through the message hub (so they appear
    in the runner's log and visualizer backends): ``iap_eps`` (0 while
    off), and while on ``iap_share_above_tau`` (share of all anchors whose
    student foreground confidence exceeds tau), ``iap_perturbation_norm``
    (mean per-image L2 norm of ``r_adv``; 0 for images with no anchor above
    tau), ``iap_perturbation_rms`` (its root mean square per input
    element), ``iap_probe_kept`` (share of input elements the probe
    ``xi * r`` changes in float32) and ``iap_perturbed_images``.

    Scale: ``xi`` and ``eps`` are per-image L2 norms on the normalised
    input the teacher sees (see :func:`instance_adversarial_perturbation`);
    the RMS per element is ``eps / sqrt(C * H * W)``, 0.0045 for the
    paper's ``eps = 2`` at 256 x 256 and 0.0026 at 448 x 448.

    The paper applies IAP from the first iteration (``start_iter=0``,
    ``warmup_iters=0``, the defaults); with few confident anchors early in
    training most images then get no perturbation anyway.

    Args:
        xi (float): Scale of the random probe (Eq. 8). Defaults to 5e-7.
        eps (float): Per-image L2 norm of the perturbation (Eq. 9).
            Defaults to 2.0.
        tau (float): Student foreground-confidence threshold (Eq. 9).
            Defaults to 0.95.
        start_iter (int): First iteration (0-based) with IAP. Defaults to 0.
        warmup_iters (int): Iterations of the linear ramp of ``eps``.
            Defaults to 0.
    """

    priority = 'NORMAL'  # before LoggerHook ('BELOW_NORMAL') logs the iter

    def __init__(self,
                 xi: float = 5e-7,
                 eps: float = 2.0,
                 tau: float = 0.95,
                 start_iter: int = 0,
                 warmup_iters: int = 0) -> None:
        if xi < 0 or eps < 0:
            raise ValueError(f'xi and eps must be >= 0, got xi={xi}, '
                             f'eps={eps}')
        if start_iter < 0 or warmup_iters < 0:
            raise ValueError('start_iter and warmup_iters must be >= 0, got '
                             f'{start_iter}, {warmup_iters}')
        self.xi = xi
        self.eps = eps
        self.tau = tau
        self.start_iter = start_iter
        self.warmup_iters = warmup_iters

    @staticmethod
    def _detector(runner: Runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner: Runner) -> None:
        """Fail early if the model has no IAP."""
        if not hasattr(self._detector(runner), 'set_adversarial'):
            raise TypeError(
                'AdversarialHook needs a detector with set_adversarial() '
                f'(SSMD); got {type(self._detector(runner)).__name__}')

    def current_eps(self, iteration: int) -> float:
        """``eps`` at a (0-based) iteration: 0 before ``start_iter``."""
        if iteration < self.start_iter:
            return 0.0
        if self.warmup_iters == 0:
            return self.eps
        done = iteration - self.start_iter + 1
        return self.eps * min(1.0, done / self.warmup_iters)

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        """Hand the detector this iteration's setting (None = off)."""
        eps = self.current_eps(runner.iter)
        self._detector(runner).set_adversarial(
            dict(xi=self.xi, eps=eps, tau=self.tau) if eps > 0 else None)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Log the strength and the statistics of the step's perturbation."""
        hub = runner.message_hub
        hub.update_scalar('train/iap_eps', self.current_eps(runner.iter))
        stats = self._detector(runner).adversarial_stats
        for key in ('share_above_tau', 'perturbation_norm',
                    'perturbation_rms', 'probe_kept', 'perturbed_images'):
            if key in stats:
                hub.update_scalar(f'train/iap_{key}', stats[key])

    def after_train(self, runner: Runner) -> None:
        """Leave the model without IAP (e.g. for a later test run)."""
        self._detector(runner).set_adversarial(None)
