"""The tiny local transformers model the trainer tests share (``tiny_model.write_tiny``).

Importing this module skips the importing test module when torch or transformers is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

torch.set_num_threads(1)


def write(directory: Path, **sizes) -> tuple[Path, Path]:
    """(model directory, data file) of a tiny model written under ``directory``, quietly."""
    from transformers.utils import logging

    from tiny_model import write_tiny

    logging.disable_progress_bar()
    return write_tiny(directory, **sizes)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(model directory, data file) of the tiny model, written once per test module that
    imports this fixture."""
    return write(tmp_path_factory.mktemp("tiny"))


def load(directory: Path, **sizes):
    """(model in eval mode, tokenizer) of a tiny model written under ``directory``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir, _ = write(directory, **sizes)
    return (AutoModelForCausalLM.from_pretrained(model_dir).eval(),
            AutoTokenizer.from_pretrained(model_dir))
