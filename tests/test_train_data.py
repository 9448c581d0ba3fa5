"""Training data: row forms, rejects naming line and field, the resumable prompt stream, split."""

import json

import pytest

pytest.importorskip("torch")

from hir import rows  # noqa: E402
from hir.train import data as datalib  # noqa: E402

ROW = {"instruction": {"task": "Write about rain.", "template": "inline", "constraints": [
    {"id": "punctuation:no_comma"},
    {"id": "keywords:existence", "kwargs": {"keywords": ["river"]}}]}}
IFEVAL = {"key": 7, "prompt": "Write about rain without commas.",
          "instruction_id_list": ["punctuation:no_comma", "keywords:existence"],
          "kwargs": [{}, {"keywords": ["river"], "num_words": None}]}


def test_row_forms(tmp_path):
    path = tmp_path / "d.jsonl"
    top_level = dict(ROW["instruction"])
    lines = [json.dumps(ROW), json.dumps(top_level), json.dumps(IFEVAL),
             '{"instruction": {"task": "x", "constraints": [{"id": "keywords:existence"}]}}',
             '{"prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": []}',
             "[1, 2]", '{"text": "neither form"}',
             '{"instruction_id_list": ["punctuation:no_comma"]}']
    path.write_text("\n".join(lines) + "\n")
    items, rejects = datalib.load(str(path))
    assert len(items) == 3
    native, flat, ifeval = items
    assert native.instruction == flat.instruction and native.replayable
    assert native.prompt == native.instruction.render()
    assert "comma" in native.prompt
    assert native.key == f"{path}:1"  # no key: named by file and line
    # IFEval rows: the prompt as written, never replayed
    assert ifeval.prompt == IFEVAL["prompt"] and not ifeval.replayable and ifeval.key == "7"
    assert ifeval.instruction.constraints[1].kwargs["keywords"] == ["river"]
    assert [(r.source, r.line) for r in rejects] == [(str(path), n) for n in (4, 5, 6, 7, 8)]
    assert rejects[0].field == "instruction.constraints[0].kwargs.keywords"
    assert "required parameter is missing" in rejects[0].error
    assert rejects[1].field == "kwargs"               # length mismatch names the field
    assert "JSON object" in rejects[2].error
    assert rejects[3].field == "instruction_id_list"  # neither form
    assert rejects[4].field == "prompt"               # an IFEval row with nothing to show
    # what the run directory keeps reads back as the same rows
    saved = tmp_path / "saved.jsonl"
    saved.write_text("".join(json.dumps(it.to_json()) + "\n" for it in items))
    again, none = datalib.load(str(saved))
    assert not none
    assert [(r.key, r.instruction, r.prompt, r.replayable) for r in again] == \
        [(r.key, r.instruction, r.prompt, r.replayable) for r in items]


def test_prompt_stream_is_seeded_and_resumable():
    a = datalib.PromptStream(5, seed=3)
    whole = [a.next(3) for _ in range(4)]  # crosses two epoch boundaries
    assert sorted(whole[0] + whole[1][:2]) == [0, 1, 2, 3, 4]  # each pass is a permutation
    b = datalib.PromptStream(5, seed=3)
    first = [b.next(3) for _ in range(2)]
    c = datalib.PromptStream(5, seed=3, epoch=b.epoch, pos=b.pos)
    assert first + [c.next(3) for _ in range(2)] == whole
    assert datalib.PromptStream(50, seed=4).next(50) != datalib.PromptStream(50, seed=3).next(50)


def test_split_is_deterministic_and_disjoint():
    instruction = rows.parse(ROW).instruction
    items = [rows.Row.of(instruction, key=str(i)) for i in range(20)]
    train, held = datalib.split(items, 0.25, seed=1)
    assert len(held) == 5 and len(train) == 15
    assert not {i.key for i in train} & {i.key for i in held}
    assert [i.key for i in datalib.split(items, 0.25, seed=1)[1]] == [i.key for i in held]
    assert datalib.split(items, 0.0, seed=1) == (items, [])


def test_prompt_encoding_uses_the_chat_template_when_there_is_one(tmp_path):
    from transformers import AutoTokenizer

    from tiny_model import write_tiny

    model_dir, _ = write_tiny(tmp_path)
    tok = AutoTokenizer.from_pretrained(model_dir)
    text = "Write about rain."
    chat = datalib.encode_prompt(tok, text)
    assert tok.decode(chat).startswith(tok.bos_token) and chat[-1] == \
        tok.convert_tokens_to_ids("<|assistant|>")
    with_system = datalib.encode_prompt(tok, text, system="Be brief.")
    assert len(with_system) > len(chat)
    tok.chat_template = None
    plain = datalib.encode_prompt(tok, text)
    assert tok.decode(plain, skip_special_tokens=True) == text
    assert datalib.encode_prompt(tok, text, max_tokens=2) == plain[-2:]
