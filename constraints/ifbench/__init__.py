"""IFBench's 58 out-of-distribution instructions (Pyatkin et al., 2025), one checker class each.

``semantics="reference"`` reproduces the 2025 AllenAI checker the HiR authors evaluated with (regex
sentence splitting); ``semantics="corrected"`` fixes its known wrong verdicts (see docs/ifbench.md).
Importing this package registers the checkers; heavy data (emoji tables, NLTK data) loads lazily.
"""

from . import count, custom, format, ratio, repeat, sentence, words  # noqa: F401  (registers)
