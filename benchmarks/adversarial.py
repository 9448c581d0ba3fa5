"""Worst-case time of every checker on adversarial responses: is every check linear?

    python benchmarks/adversarial.py [--sizes 250000 1000000] [--only ID_SUBSTRING ...]
                                     [--family NAME ...] [--semantics reference corrected]
                                     [--guard 5] [--top 20]

A verifier inside an RL loop reads whatever a policy writes, so a checker must not stall on a
pathological response. For every registered checker id (built with parameters taken from the
conformance files, or from ``EXTRA_PARAMS`` below) x semantics x adversarial family (repeated
characters, newlines, markup runs, brackets, long words, CJK, "P.S. " runs, ...), one strict
``check()`` call is timed on a response of each size (characters, not bytes: a CJK response of
1M characters is 3 MB of UTF-8), in CPU seconds (``time.process_time``: robust to a busy
machine). The analyses that checkers share and cache per response (``\\w+`` words, Punkt
sentences, ``word_tokenize``, language detection, IFBench's regex sentences) are timed on their own
(rows ``analysis:*``, each from empty caches) and then left cached for the checkers, so a
checker's row is its own cost; the cost of a first check on a new response is its row plus the
analyses it uses. ``--cold`` clears every cache before every check instead (slower). All other
caches are cleared before every call.

The report: the 20 slowest (id, semantics, family) pairs with their time at each size, the growth
(time at the largest size / time at the smallest; ~4 for 250K -> 1M means linear, > 6 is flagged
as super-linear) and seconds per million characters at the largest size; then a final line
``worst_s_per_mb=X worst_growth=Y``. Growth is only meaningful for calls long enough to time:
pairs whose largest-size call takes under ``--min-growth-time`` (default 0.1 s) are left out of
``worst_growth`` (below it, memory and CPU-cache effects of a 4x larger string dominate: even
``sum(c.isspace() for c in text)`` shows growth 6-7 at 20 ms). A call at the smallest size that takes longer than ``--guard`` seconds (5 by
default) is not run at the larger sizes and is reported as a failure.

The speed target: under 1 s per MB and no super-linear growth for every pair.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from constraints import registry  # noqa: E402
from constraints.base import SEMANTICS  # noqa: E402

CONFORMANCE = REPO.parent / "shared" / "conformance"
SAMPLE_FILES = ("ifeval_llama_3b.jsonl", "ifbench_llama_3b.jsonl")

# Parameters for ids the conformance files do not use (or to override a sample).
EXTRA_PARAMS: dict[str, dict] = {}


def _cycle(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _framed(unit: str):
    # A response that is only white space is "empty" for the engine and never reaches a checker:
    # frame the run with visible characters, as the "x" + "\n" * 500000 + " y".
    return lambda n: "x" + _cycle(unit, n - 3) + " y"


_CJK = "漢字の文章を書く。中文句子。"

def _numbered(n: int) -> str:
    # Distinct sentences, so that no per-piece cache (sentence tokens, Punkt contexts) helps.
    out, size, i = [], 0, 0
    while size < n:
        piece = f"Item {i} is here, Emma. "
        out.append(piece)
        size += len(piece)
        i += 1
    return "".join(out)[:n]


# name -> function(size in characters) -> response
FAMILIES = {
    "repeated_char": lambda n: "a" * n,
    "newlines": _framed("\n"),
    "alternating_a_nl": lambda n: _cycle("a\n", n),
    "spaces_tabs": _framed(" \t"),
    "stars": lambda n: "*" * n,
    "hashes": lambda n: "#" * n,
    "dashes": lambda n: "-" * n,
    "star_lines": lambda n: _cycle("* a\n", n),
    "indented_lines": lambda n: _cycle("x\n \n\n", n),
    "open_parens": lambda n: "(" * n,
    "open_brackets": lambda n: "[" * n,
    "open_braces": lambda n: "{" * n,
    "quotes": lambda n: '"' * n,
    "apostrophes": lambda n: "'" * n,
    "paren_a": lambda n: _cycle("(a", n),
    "long_word": lambda n: _cycle("abcdefghijklmnopqrstuvwxyz", n),
    "cjk": lambda n: _cycle(_CJK, n),
    "ps_runs": lambda n: _cycle("P.S. ", n),
    "dots": lambda n: "." * n,
    "commas": lambda n: _cycle("a,", n),
    "sentences": lambda n: _cycle("The cat sat on the mat. ", n),
    "numbered_sentences": _numbered,
}


# Answers aimed at the MulDimIF reference's quadratic regexes (blank runs after a '#' or before a
# '|', white space inside a heading or an XML tag, deep JSON, long tails without a full stop).
FAMILIES.update({
    "pipes": lambda n: "|" * n,
    "hash_then_blank_lines": lambda n: "#" + "\n" * (n - 1),
    "blank_lines_then_pipes": lambda n: "\n" * (n - 4) + "| |",
    "heading_inner_spaces": lambda n: "# a" + " " * (n - 5) + " b",
    "xml_tag_spaces": lambda n: "<a" + " " * (n - 3) + "!",
    "xml_attribute_runs": lambda n: _cycle("<a x='<b y=' ", n),
    "table_rows": lambda n: _cycle("| a | b |\n|---|---|\n", n),
    "json_nesting": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "sources_runs": lambda n: _cycle("Sources:", n) + "\nx",
})

# MulDimIF: one id judges many sentences, each parsed into its own rule. The first sentence of
# each id is its sample; the others time the remaining parse paths, under "id[label]".
MULDIMIF_SENTENCES: dict[str, tuple[str, str, str]] = {
    "muldimif:words": ("Length", "Words", "at least 5 words, at most 3 sentences, include 'a b'"),
    "muldimif:words[each]": ("Length", "Words", "Each entry in the table must contain at most "
                                                  "5 words"),
    "muldimif:words[each_word]": ("Length", "Words", "each word must be at most 5 characters"),
    "muldimif:sentences": ("Length", "Sentences", "The answer must contain at least 5 sentences"),
    "muldimif:paragraphs": ("Length", "Paragraphs", "between 2 and 4 paragraphs"),
    "muldimif:keywords": ("Content", "Keywords", "The keyword 'a' must appear at least twice"),
    "muldimif:keywords[each]": ("Content", "Keywords",
                                "Each entry must include the keyword 'a'"),
    "muldimif:punctuation": ("Content", "Punctuation", "Each sentence must end with a period"),
    "muldimif:punctuation[cells]": ("Content", "Punctuation", "Each cell must end with a period"),
    "muldimif:punctuation[bullets]": ("Content", "Punctuation",
                                      "Each bullet point must end with a period"),
    "muldimif:markdown": ("Format", "Markdown", "Use heading levels 1 and 2, bold and bullet "
                                                "points"),
    "muldimif:markdown[quotes]": ("Markdown", "Block quotes", "The answer must be in block "
                                                              "quotes"),
    "muldimif:table": ("Table", "Row limit", "The table must have no more than 3 rows and "
                                             "exactly 2 columns"),
    "muldimif:english": ("Language", "English", "All headings must be in all uppercase"),
    "muldimif:english[title]": ("Language", "English",
                                "The answer must use capitalized letters for each word"),
    "muldimif:english[json]": ("Language", "English", "JSON keys must be in lowercase"),
    "muldimif:chinese": ("Language", "Chinese", "Must use Simplified Chinese characters"),
    "muldimif:chinese[all]": ("Language", "Chinese", "Must use Traditional Chinese characters"),
    "muldimif:json": ("Json", "Object nesting levels", "Object nesting levels must not exceed 3"),
    "muldimif:format_other": ("XML", "Number of attributes", "no more than 2 attributes"),
    "muldimif:format_other[rows]": ("Table", "Table", "a table, which is limited to a maximum "
                                                      "of 3 rows"),
    "muldimif:format_other[lists]": ("Format", "Text", "No lists"),
    "muldimif:content_other": ("Content", "Identifiers", "End identifier: Sources must be cited "
                                                         "at the end of the response"),
    "muldimif:content_other[emojis]": ("Content", "Identifiers",
                                       "Each sentence must include at least three emojis."),
}
EXTRA_PARAMS.update({label: {"type": t, "subtype": s, "constraint": x}
                     for label, (t, s, x) in MULDIMIF_SENTENCES.items() if "[" not in label})


def muldimif_variants(only: list[str], semantics_list: list[str]) -> list[tuple]:
    """(label, semantics, checker) for the MulDimIF parse paths beyond each id's sample."""
    out = []
    for label, (t, s, x) in MULDIMIF_SENTENCES.items():
        if "[" not in label or (only and not any(o in label for o in only)):
            continue
        cid = label.split("[")[0]
        for semantics in semantics_list:
            out.append((label, semantics, registry.build(
                cid, {"type": t, "subtype": s, "constraint": x}, semantics=semantics)))
    return out


def sample_params() -> dict[str, dict]:
    """One valid parameter set per id: the first one the conformance files use."""
    samples: dict[str, dict] = {}
    for name in SAMPLE_FILES:
        path = CONFORMANCE / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for cid, kwargs in zip(row.get("instruction_id_list", ()), row.get("kwargs", ())):
                if cid not in samples:
                    try:
                        registry.build(cid, kwargs)
                    except Exception:  # an invalid sample: keep looking
                        continue
                    samples[cid] = registry.given(kwargs)
    samples.update(EXTRA_PARAMS)
    return samples


# The shared analyses, cached per whole response: timed on their own (cold), then kept warm for
# the checkers, which every checker reading a response shares in practice.
def _analyses() -> dict:
    from constraints import text
    from constraints.ifbench import _text

    return {"analysis:words": text.words, "analysis:punkt_sentences": text.sentences,
            "analysis:word_tokenize": text.word_tokenize,
            "analysis:detect_language": text.detect_language,
            "analysis:ifbench_sentences": _text.sentences}


def _caches() -> list:
    """Every ``functools.lru_cache`` of the loaded ``constraints`` modules."""
    found = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("constraints") or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper) and value not in found:
                found.append(value)
    return found


def _timed(call, response: str, clear: list) -> tuple[float, object]:
    for cache in clear:
        cache.cache_clear()
    gc.collect()
    start = time.process_time()
    result = call(response)
    return time.process_time() - start, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--only", nargs="*", default=[], help="ids containing any of these")
    parser.add_argument("--family", nargs="*", default=[], help="only these families")
    parser.add_argument("--semantics", nargs="*", default=list(SEMANTICS))
    parser.add_argument("--cold", action="store_true",
                        help="clear the shared analyses' caches before every check too")
    parser.add_argument("--guard", type=float, default=5.0,
                        help="seconds: a slower call at the smallest size skips the larger ones")
    parser.add_argument("--min-growth-time", type=float, default=0.1,
                        help="seconds: shorter calls at the largest size are left out of growth "
                             "(memory and cache effects dominate them)")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--json", default="", help="write every measurement to this file")
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    families = {k: v for k, v in FAMILIES.items() if not args.family or k in args.family}

    samples = sample_params()
    ids = [cid for cid in registry.ids() if not args.only or any(s in cid for s in args.only)]
    skipped: dict[str, str] = {}
    checkers = []
    for cid in ids:
        kwargs = samples.get(cid)
        if kwargs is None:
            try:  # a checker without parameters needs no sample
                registry.build(cid, {})
                kwargs = {}
            except Exception as exc:
                skipped[cid] = f"no sample parameters ({str(exc).splitlines()[0][:80]})"
                continue
        for semantics in args.semantics:
            checkers.append((cid, semantics, registry.build(cid, kwargs, semantics=semantics)))
    checkers += muldimif_variants(args.only, args.semantics)

    analyses = _analyses()
    caches = _caches()
    shared = set(analyses.values())
    per_call = caches if args.cold else [c for c in caches if c not in shared]
    # (id, semantics, family) -> {size: seconds}; failures: the same key -> why
    times: dict[tuple[str, str, str], dict[int, float]] = {}
    failures: dict[tuple[str, str, str], str] = {}
    unavailable: set[str] = set()
    started = time.perf_counter()
    jobs = [(name, "-", fn) for name, fn in analyses.items()] + \
        [(cid, semantics, checker.check) for cid, semantics, checker in checkers]
    for fam, make in families.items():
        for n in sizes:
            text = make(n)
            for cache in caches:
                cache.cache_clear()
            for number, (name, semantics, call) in enumerate(jobs):
                if number == len(analyses):  # every analysis timed cold: now cache them all
                    for analysis in analyses.values():
                        analysis(text)
                key = (name, semantics, fam)
                if key in failures:
                    continue
                clear = caches if name.startswith("analysis:") else per_call
                try:
                    seconds, result = _timed(call, text, clear)
                except Exception as exc:  # a crash is a finding too
                    failures[key] = f"raised {type(exc).__name__}: {str(exc)[:60]}"
                    continue
                if not name.startswith("analysis:") and result.unavailable:
                    unavailable.add(f"{name} ({semantics}): {result.explanation[:100]}")
                times.setdefault(key, {})[n] = seconds
                if n == sizes[0] and seconds > args.guard and len(sizes) > 1:
                    failures[key] = f"{seconds:.1f} s at {n} characters (> {args.guard} s guard)"
    elapsed = time.perf_counter() - started
    rows = [(*key, t, failures.get(key, "")) for key, t in times.items()]
    rows += [(*key, {}, why) for key, why in failures.items() if key not in times]
    checkers_n = len(checkers)
    analyses_n = len(analyses)

    small, large = sizes[0], sizes[-1]

    def per_mb(times):
        if not times:
            return 0.0
        size = max(times)
        return times[size] / (size / 1e6)

    def growth(times):
        if not times or small not in times or large not in times or small == large:
            return None
        return times[large] / max(times[small], 1e-9)

    ranked = sorted(rows, key=lambda r: (not r[4], -per_mb(r[3]) if r[3] else 0.0))
    print(f"{checkers_n} checkers (id x semantics) and {analyses_n} shared analyses x "
          f"{len(families)} families, sizes {sizes} characters, CPU seconds, {elapsed:.0f} s wall")
    header = f"{'id':36} {'semantics':9} {'family':16} " + " ".join(
        f"{'t' + _short(n):>8}" for n in sizes) + f" {'growth':>7} {'s/MB':>7}"
    print(header)
    for cid, semantics, fam, times, failure in ranked[:args.top]:
        cells = " ".join(f"{times[n]:8.3f}" if n in times else f"{'-':>8}" for n in sizes)
        g = growth(times)
        flag = "  SUPER-LINEAR" if g is not None and g > 6 and times[large] >= args.min_growth_time \
            else ""
        tail = f"  FAILED: {failure}" if failure else flag
        print(f"{cid:36} {semantics:9} {fam:16} {cells} "
              f"{(f'{g:7.1f}' if g is not None else '      -')} {per_mb(times):7.3f}{tail}")
    superlinear = [r for r in rows if growth(r[3]) is not None and growth(r[3]) > 6
                   and r[3][large] >= args.min_growth_time]
    for cid, semantics, fam, times, _ in sorted(superlinear, key=lambda r: -growth(r[3])):
        print(f"super-linear: {cid} {semantics} {fam}: growth {growth(times):.1f} "
              f"({times[small]:.3f} s -> {times[large]:.3f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"id": r[0], "semantics": r[1], "family": r[2],
              "times": {str(n): t for n, t in r[3].items()}, "failure": r[4]} for r in rows],
            indent=0), encoding="utf-8")
    for cid, reason in skipped.items():
        print(f"skipped {cid}: {reason}")
    for line in sorted(unavailable):
        print(f"unavailable verdict: {line}")
    failures = [r for r in rows if r[4]]
    for cid, semantics, fam, _, failure in failures:
        print(f"failure {cid} {semantics} {fam}: {failure}")
    worst_mb = max((per_mb(r[3]) for r in rows if r[3]), default=0.0)
    growths = [growth(r[3]) for r in rows
               if growth(r[3]) is not None and r[3][large] >= args.min_growth_time]
    worst_growth = max(growths, default=0.0)
    print(f"worst_s_per_mb={worst_mb:.3f} worst_growth={worst_growth:.1f}"
          + (f" failures={len(failures)}" if failures else ""))
    return 1 if failures else 0


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}K"


if __name__ == "__main__":
    sys.exit(main())
