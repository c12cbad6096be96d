"""Existence and identifiability of the MLE of a log-linear model (Fienberg and Rinaldo 2012).

The linear programme of Fienberg and Rinaldo, "Maximum likelihood estimation in log-linear
models", Annals of Statistics 40 (2012) 996-1023, as corrected for multiple systems estimation
by Chan, Silverman and Vincent, JASA 116 (2021) 1297-1306 (SparseMSE ``checkident``): the MLE
exists when the sufficient statistics have a strictly positive preimage; the parameters are
identifiable when the design has full column rank.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

# Codes of the existence/identifiability check (Chan et al. 2021): they add up.
OK, NO_MLE, NOT_IDENTIFIABLE = 0, 1, 2


def existence_code(x: np.ndarray, y: np.ndarray, tol: float = 1e-7, *,
                   shortcut: bool = True, basis: tuple | None = None) -> int:
    """Existence (code 1) and identifiability (code 2) check of one design on retained cells.

    Solves the linear programme of Fienberg and Rinaldo (2012), as corrected by Chan et al.
    (2021): maximise ``s`` subject to ``A x = A y``, ``x_w >= s``, ``x, s >= 0``, where ``A``
    is the transposed design. The MLE exists iff the optimum ``s`` is positive. Codes add up
    (3 = neither exists nor identifiable).

    With ``shortcut`` (the default) a sufficient condition is tried first: if some vector
    ``d`` in the null space of ``A`` is positive on every zero cell, ``y + eps * d`` is a
    strictly positive preimage of ``A y``, so the optimum is positive without solving the LP.
    Only when that fails does the LP decide (tests check both paths agree).

    Examples
    --------
    >>> from analysis.mse.model import all_patterns, design
    >>> x = design(all_patterns(2), [])
    >>> existence_code(x, np.array([5.0, 4.0, 2.0])), existence_code(x, np.array([5.0, 4.0, 0.0]))
    (0, 1)
    """
    n, p = x.shape
    left, rank = basis if basis is not None else design_basis(x)
    code = NOT_IDENTIFIABLE if rank < p else OK
    zero = y <= 0
    if not zero.any():
        return code  # x = y is itself a strictly positive preimage
    if shortcut and rank < n:
        null = left[zero][:, rank:]  # orthonormal null space of A, seen on the zero cells
        # project the all-ones vector on the span of those rows; singular values are <= 1,
        # so an absolute cut-off drops directions that are rounding noise (a zero cell the
        # null space does not reach would otherwise look reachable)
        basis, sv_zero, _ = np.linalg.svd(null, full_matrices=False)
        basis = basis[:, sv_zero > 1e-8]
        d = basis @ basis.sum(axis=0)
        if basis.shape[1] and d.min() > 1e-8:
            return code
    a = x.T
    t = a @ y
    # variables (x_1..x_n, s); minimise -s
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_eq = np.hstack([a, np.zeros((p, 1))])
    a_ub = np.hstack([-np.eye(n), np.ones((n, 1))])
    res = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=t,
                           bounds=(0, None), method="highs")
    scale = max(1.0, float(np.max(np.abs(t))))
    if res.status == 3:  # unbounded s means x can grow freely: interior certainly reached
        return code
    if res.status != 0 or -res.fun <= tol * scale:
        code += NO_MLE
    return code


def design_basis(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Left singular vectors and rank of a design (what :func:`existence_code` needs of it).

    It depends on the model and the retained cells only, not on the counts, so bootstrap
    replicates share it (:class:`ModelCache`).

    Examples
    --------
    >>> from analysis.mse.model import all_patterns, design
    >>> design_basis(design(all_patterns(2), [(0, 1)]))[1]
    3
    """
    n, p = x.shape
    left, sv, _ = np.linalg.svd(x, full_matrices=True)
    # same rank tolerance as numpy.linalg.matrix_rank
    rank = int(np.sum(sv > sv.max(initial=0.0) * max(n, p) * np.finfo(float).eps))
    return left, rank
