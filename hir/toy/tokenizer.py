"""A word-level tokenizer for the toy task, built with the ``tokenizers`` library.

One token per word or punctuation run, so the toy model needs few tokens per response and learns
fast. The pre-tokenizer is GPT-2's byte-level split (words, punctuation runs and whitespace, each
word carrying its leading space) and the decoder is its inverse, so ``decode(encode(text)) ==
text`` exactly for covered text, newlines included: the checkers judge the decoded string, and a
word-level tokenizer that lost a space or a newline would change their verdicts (bullet lists are
lines). The vocabulary is every piece of the task's prompts and of the responses its grammar can
produce, plus capitalised variants; anything else maps to ``<|unk|>``.

The result is a ``transformers.PreTrainedTokenizerFast`` with pad, bos, eos and unk tokens and a
minimal chat template, so the trainer can treat it like any hub tokenizer (``save_pretrained`` /
``AutoTokenizer.from_pretrained`` round-trip).
"""

from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, UNK, BOS, EOS = "<|pad|>", "<|unk|>", "<|bos|>", "<|end|>"
USER, ASSISTANT, SYSTEM = "<|user|>", "<|assistant|>", "<|system|>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, BOS, EOS, USER, ASSISTANT, SYSTEM)

# One turn is "<|role|>content<|end|>"; the generation prompt opens the assistant turn. The model
# ends its answer with <|end|>, which is also the eos token, so generation stops there.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)

# Punctuation runs a response or prompt of the task can contain (the byte-level split keeps a run
# such as '."' or ',' as one piece).
PUNCTUATION: tuple[str, ...] = (".", ",", '"', '."', '"*', '*', ":", "?", "!", "-", "'", "(", ")",
                                 "..", '.."')
# Every count a prompt may state, as a real tokenizer would have them: the task draws a few, and a
# hindsight instruction that states what a response did (``rewrite="achieved"``) may state any.
NUMBERS: tuple[str, ...] = tuple(str(n) for n in range(100))


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


def pieces(text: str) -> list[str]:
    """The pre-tokenized pieces of ``text`` (byte-level strings, as stored in the vocabulary)."""
    return [p for p, _ in _pre_tokenizer().pre_tokenize_str(text)]


def build_tokenizer(texts: Iterable[str], words: Iterable[str] = ()) -> PreTrainedTokenizerFast:
    """A tokenizer whose vocabulary covers every piece of ``texts`` and every word of ``words``.

    Each word is added bare, with a leading space, capitalised and upper-cased, each alone and
    followed by the punctuation the grammar uses, so that responses the model invents by
    recombining words still encode without ``<|unk|>``. The vocabulary is sorted, so the same
    inputs give the same ids in every process.
    """
    vocab: set[str] = set()
    for text in texts:
        vocab.update(pieces(text))
    for word in words:
        for form in {word, word.capitalize(), word.upper()}:
            for prefix in ("", " ", "\n", '"'):
                vocab.update(pieces(prefix + form))
    for number in NUMBERS:
        vocab.update(pieces(" " + number))
    for punct in PUNCTUATION:
        vocab.update(pieces(punct))
        vocab.update(pieces(" " + punct))
    for ws in ("\n", "\n\n", " "):
        vocab.update(pieces(ws))
    ordered = list(SPECIAL_TOKENS) + sorted(vocab - set(SPECIAL_TOKENS))
    ids = {tok: i for i, tok in enumerate(ordered)}

    tok = Tokenizer(models.WordLevel(vocab=ids, unk_token=UNK))
    tok.pre_tokenizer = _pre_tokenizer()
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, unk_token=UNK, bos_token=BOS, eos_token=EOS,
        additional_special_tokens=[USER, ASSISTANT, SYSTEM], padding_side="left",
        clean_up_tokenization_spaces=False, model_max_length=1024)
    fast.chat_template = CHAT_TEMPLATE
    return fast
