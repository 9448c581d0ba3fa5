"""Our NLTK-free tokenizers against NLTK 3.10's own: Punkt sentences, Treebank tokens, ``\\w+`` words.

NLTK is the oracle here (it stays installed for exactly this): the stock ``PunktSentenceTokenizer``
with the same English parameters (with NLTK's timed patterns), the stock ``NLTKWordTokenizer`` and
``RegexpTokenizer(r"\\w+")``. Texts: hand-picked cases for each rule of the procedure, the real
responses of the conformance files with the loose variants the engine derives from them, and
generated text over an alphabet dense in the characters Punkt and Treebank react to.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constraints import _punkt, _treebank
from constraints import text as T
from shared_data import shared_jsonl

TRICKY = [
    "", " ", "\n\n", "No final period here", "One. Two! Three? Four...",
    "Dr. Smith went home. He was tired.",
    "It cost $3.50 at 5 p.m. on Jan. 5. Then we left! Did we? Yes...",
    'He said "Stop." Then he left. (Really.) OK.',
    "Mr. and Mrs. J. R. Smith live in the U.S. They like it.",
    "e.g. this, i.e. that. Another sentence.\n\nA new paragraph.",
    'Wait... !" he said. "Really?!" Yes.', "Results:\n\n!?! Done. 3.14 is pi.",
    "U.S.A. is big. A. B. Smith came. ...and then? (Yes.) [No.] 'Maybe.'",
    "Very bad acting!!! I promise.", "ends with space. \t", "x.\ny", "a .b. c",
    "He said “Stop.” Then «Non.» ‘Fine.’ End.", "1. First\n2. Second\n3. Third",
    "See fig. 3. It shows 4.5% growth. Ok.", "Bld. St.-Pierre. Next.", "a--b. --c. d",
    "I can't go. THE U.S.A. is BIG; don't \"quote\" me.", "gonna wanna gimme cannot 'tis 'twas",
    "CANNOT GoNNa Lemme d'ye more'n WANNA go 'TIS 'Twas gotta", "wanna\tgo. Cannot.",
    "It is here, 'ti\u017f said. \u212aelvin gotta go. CANNOT \u0130s", "gimme\u00a0more'n that.",
    "Price: 3,000.00 (approx.) -- or less... ``Quoted'' [x] {y} <z> #tag @me 50% & co.",
    "naïve café. Ünïcödé Straße. नमस्ते दुनिया। 你好。世界！ Done.",
    "**Bold.** *Italic.* ***Both.*** End.", "Item A.\nItem B.\n\n\nItem C.",
    # a line that str.strip() empties (U+001C..U+001F) holds no token for NLTK (found by hypothesis)
    "P.S. \n\x1c P.S. ", "Mr. X went. \n \x1d \nThe end.", "a. \n\x1c\x1d b.",
]


def _nltk_tokenizers():
    from nltk.tokenize import RegexpTokenizer
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    model = _punkt._parameters()
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    params.ortho_context.update(model.ortho_context)
    return PunktSentenceTokenizer(params), NLTKWordTokenizer(), RegexpTokenizer(r"\w+")


SENTENCES, TREEBANK, WORD_RUNS = _nltk_tokenizers()


def _assert_like_nltk(text: str) -> None:
    expected = SENTENCES.tokenize(text)
    assert _punkt.split_sentences(text) == expected, text
    assert [text[a:b] for a, b in _punkt.sentence_spans(text)] == expected
    for sentence in expected:
        assert _treebank.tokenize_sentence(sentence) == TREEBANK.tokenize(sentence), sentence
    assert list(T.words(text)) == WORD_RUNS.tokenize(text)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_split_like_nltk(text):
    _assert_like_nltk(text)


def test_word_tokenize_is_nltk_word_tokenize():
    import nltk.tokenize

    for text in TRICKY:
        expected = [token for sentence in SENTENCES.tokenize(text)
                    for token in TREEBANK.tokenize(sentence)]
        assert list(T.word_tokenize(text)) == expected
    assert T.word_tokenize("I can't go.") == ("I", "ca", "n't", "go", ".")
    assert nltk.tokenize.word_tokenize is not None  # the oracle is importable


@pytest.mark.parametrize("name", ["ifeval_llama_3b.jsonl", "ifbench_llama_3b.jsonl"])
def test_real_responses_and_their_loose_variants_split_like_nltk(name):
    from constraints.engine import loose_variants

    rows = shared_jsonl(f"conformance/{name}")
    texts = {row["prompt"] for row in rows}
    for row in rows:
        texts.update(loose_variants(row["response"]))
    sentences = set()
    for text in sorted(texts):
        expected = SENTENCES.tokenize(text)
        assert _punkt.split_sentences(text) == expected, text
        assert list(T.words(text)) == WORD_RUNS.tokenize(text)
        sentences.update(expected)
    for sentence in sorted(sentences):  # the variants share most sentences: each once
        assert _treebank.tokenize_sentence(sentence) == TREEBANK.tokenize(sentence), sentence


_DENSE = st.lists(st.sampled_from(list(
    "aAbBzZ eé1 9.,;:!?\"'`()[]{}<>-–—*@#$%&/\\\n\t“”‘’«»…") + [
    "Mr.", "Dr.", "U.S.", "e.g.", "p.m.", "Jan.", "St.", "A.", " The ", " the ", "...", "--",
    "n't", "'s", "cannot", "3.14", "##", "\n\n",
    # MacIntyre contractions in any case, and non-ASCII letters re.IGNORECASE equates with
    # ASCII ones (Kelvin sign, long s, dotted capital I): the contraction pre-check's edge.
    "CanNot", "GONNA", "wanna ", "gimme", "Lemme", "gotta", "d'ye", "more'n", " 'tis", " 'TWAS",
    "\u212a", "\u017f", "\u0130"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_DENSE)
def test_generated_text_splits_like_nltk(text):
    _assert_like_nltk(text)


def test_checking_never_imports_nltk():
    # The point of the reimplementation: a whole IFEval/IFBench scoring run stays NLTK-free.
    probe = ("import sys\n"
             "from constraints import check, ids\n"
             "ids()\n"
             "text = 'Dr. Smith went HOME. He was TIRED! Das ist gut. I can\\'t.'\n"
             "print(check(['length_constraints:number_sentences', 'change_case:capital_word_frequency',"
             " 'language:response_language'], [{'num_sentences': 2, 'relation': 'at least'},"
             " {'capital_frequency': 1, 'capital_relation': 'at least'}, {'language': 'en'}], text))\n"
             "print('nltk' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout


def test_the_model_read_from_the_data_file_is_the_packages_model():
    # _punkt reads punkt/data/english.py without importing the package; it must be the model
    # punkt.load_model("english") returns.
    literals = _punkt._english_model_literals()
    assert literals is not None, "punkt/data/english.py not found: the slower package route is used"
    packaged = _punkt._english_model_via_package()
    assert set(literals["abbrev_types"]) == set(packaged["abbrev_types"])
    assert set(map(tuple, literals["collocations"])) == set(map(tuple, packaged["collocations"]))
    assert set(literals["sent_starters"]) == set(packaged["sent_starters"])
    assert dict(literals["ortho_context"]) == dict(packaged["ortho_context"])

