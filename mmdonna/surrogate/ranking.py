"""Rank-correlation metrics for surrogates (pure functions)."""
import numpy as np
from scipy import stats


def kendall_tau(a, b) -> float:
    """Kendall's tau-b between two score vectors."""
    return float(stats.kendalltau(np.asarray(a), np.asarray(b))[0])


def spearman_rho(a, b) -> float:
    """Spearman's rank correlation between two score vectors."""
    return float(stats.spearmanr(np.asarray(a), np.asarray(b))[0])
