"""The 25 IFEval instructions (Zhou et al., 2023), reference-conformant with documented fixes.

``semantics="reference"`` reproduces Google's ``instruction_following_eval`` verdicts;
``semantics="corrected"`` fixes its known wrong verdicts (docs/ifeval.md lists each one).
"""

# Importing the modules registers their checkers.
from . import (  # noqa: F401
    change_case, combination, content, format, keywords, language, length, punctuation, startend,
)
