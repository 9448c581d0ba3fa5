"""HiR's knobs: the selection budget, the lambda schedule and ``RelabelConfig`` with the paper's
defaults (k=2 per group, lambda0=2, eta=0.05).

Plain Python that loads no checker, so the command line can show these defaults in ``--help``
at start-up (``hir relabel`` takes its option defaults from ``RelabelConfig``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from constraints import Mode, Semantics

Budget = Literal["group", "global"]
BUDGETS: tuple[str, ...] = ("group", "global")
# How a hindsight instruction treats a failed constraint: drop it (the paper); keep it with the
# parameters the response met where its family can say so and drop the rest (beyond the paper,
# ``hir.rewrite``); or the same with no drop at all: a response with a failed constraint that
# cannot be stated that way is not a candidate (``achieved_only``, beyond the paper).
Rewrite = Literal["keep", "achieved", "achieved_only"]
REWRITES: tuple[str, ...] = ("keep", "achieved", "achieved_only")

LAMBDA0 = 2.0
ETA = 0.05


def lambda_at(step: int, lambda0: float = LAMBDA0, eta: float = ETA) -> float:
    """The CLA weight at a training step: ``lambda0 * (1 + eta) ** step`` (step counts from 0).

    Past the largest float (step 14,550 at the paper's eta) it stays at the largest float: the
    score then ranks by CLA alone, as the growing lambda intends, and stays a finite JSON number.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    try:
        growth = (1.0 + eta) ** step
    except OverflowError:
        growth = math.inf
    if growth == 0 or lambda0 == 0:
        return lambda0 * growth if math.isfinite(growth) else 0.0
    value = lambda0 * growth
    return value if math.isfinite(value) else math.copysign(sys.float_info.max, value)


@dataclass(frozen=True)
class RelabelConfig:
    """HiR's knobs; the defaults are the paper's (k=2 per group, lambda0=2, eta=0.05)."""

    k: int = 2
    budget: Budget = "group"
    total: int | None = None        # global budget: K (default k * number of groups)
    lambda0: float = LAMBDA0
    eta: float = ETA
    mode: Mode = "strict"
    semantics: Semantics = "reference"
    rewrite: Rewrite = "keep"
    # the constraint ids the achieved rewrites may state (None: every family that can)
    achieved_families: tuple[str, ...] | None = None

    def lambda_at(self, step: int) -> float:
        """lambda_s, the CLA weight of the selection score at ``step``."""
        return lambda_at(step, self.lambda0, self.eta)
