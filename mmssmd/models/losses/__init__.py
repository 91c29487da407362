from .adaptive_consistency_loss import AdaptiveConsistencyLoss, bernoulli_kl

__all__ = ['AdaptiveConsistencyLoss', 'bernoulli_kl']
