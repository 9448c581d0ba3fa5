"""The 25 IFEval instructions (Zhou et al., 2023), reference-conformant with documented fixes."""

from . import punctuation  # noqa: F401  (importing registers the checkers)
