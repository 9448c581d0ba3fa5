"""LoRA through peft (``pip install 'hir[lora]'``): ``lora_rank > 0`` trains low-rank adapters on a
frozen base model instead of all its weights.

- ``wrap`` puts the adapters (``lora_rank``, ``lora_alpha``, ``lora_dropout``,
  ``lora_target_modules``) on the base model given by ``--model``; only their weights are trained,
  so the optimizer state is small.
- A checkpoint's ``model/`` is peft's adapter layout: ``adapter_model.safetensors`` and
  ``adapter_config.json`` (its ``base_model_name_or_path`` is the ``--model`` the run started
  from), plus the tokenizer. ``peft.PeftModel.from_pretrained(base, dir)`` and transformers'
  ``AutoModelForCausalLM.from_pretrained(dir)`` (with peft installed) both load it.
- ``load_adapter`` (resume) rebuilds the adapters from the run's own config and reads their
  weights from the safetensors file only: no other weight format in a run directory is opened.
- The KL reference of a LoRA run is the base model itself, the adapters switched off
  (``reference``): no second copy of the model is kept.
- ``save_merged`` writes the base with the adapters merged in (``lora_export_merged``): a plain
  transformers model that loads without peft.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import TrainConfig

ADAPTER_WEIGHTS = "adapter_model.safetensors"
INSTALL = "pip install 'hir[lora]'"


class LoraError(ValueError):
    """LoRA asked for but not possible (peft missing, bad target modules, unreadable adapter)."""


def _peft():
    try:
        import peft
    except ImportError:
        raise LoraError(f"lora_rank > 0 needs peft, which is not installed: {INSTALL}") from None
    return peft


def target_modules(spec: str) -> str | list[str]:
    """``lora_target_modules`` as peft takes it: ``all-linear`` or a list of module names."""
    spec = spec.strip()
    if spec == "all-linear":
        return spec
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise LoraError("lora_target_modules is empty (give module names such as "
                        "'q_proj,v_proj', or 'all-linear')")
    return names


def wrap(model, config: TrainConfig):
    """``model`` with fresh LoRA adapters (peft's initialisation: B = 0, so the wrapped model
    computes exactly what the base does until the first update)."""
    peft = _peft()
    lora = peft.LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha,
                           lora_dropout=config.lora_dropout,
                           target_modules=target_modules(config.lora_target_modules),
                           bias="none", task_type="CAUSAL_LM")
    try:
        return peft.get_peft_model(model, lora)
    except ValueError as exc:  # e.g. a target module the model does not have
        raise LoraError(f"cannot put LoRA on this model: {exc}") from None


def load_adapter(base, config: TrainConfig, adapter_dir: Path):
    """The base model with the adapters of a checkpoint (``adapter_dir``), trainable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    peft = _peft()
    path = Path(adapter_dir) / ADAPTER_WEIGHTS
    if not path.is_file():
        raise LoraError(f"{path}: missing (a LoRA run's checkpoint holds its adapter here)")
    try:
        weights = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise LoraError(f"{path}: unreadable ({exc})") from None
    model = wrap(base, config)
    result = peft.set_peft_model_state_dict(model, weights)
    if result.unexpected_keys:
        raise LoraError(f"{path}: weights this run's adapters do not have, first "
                        f"{result.unexpected_keys[0]!r}")
    return model


@contextmanager
def reference(model):
    """``model`` computing as its base: the frozen initial policy of a LoRA run."""
    with model.disable_adapter():
        yield model


def save_merged(model, tokenizer, out_dir: Path) -> Path:
    """Write the base with the adapters merged in (a copy: ``model`` keeps its adapters)."""
    merged = copy.deepcopy(model).merge_and_unload()
    merged.save_pretrained(out_dir, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(out_dir)
    return Path(out_dir)
