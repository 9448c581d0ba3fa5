"""Throughput and memory of ``hir relabel``, against ``hir check`` on the same responses.

Generates synthetic but realistic rollout dumps (real IFEval constraint ids and parameters; responses
assembled from varied sentences, so that verdicts spread over pass, fail and partial) of each size,
then runs, each in a fresh subprocess:

- ``hir relabel DUMP -o OUT`` (native one-group-per-line form, 8 responses per group, entropies);
- ``hir check ROWS -o OUT`` on the same responses, one IFEval-form row each (the baseline: check
  judges strict and loose, relabel strict only, so relabel should not be slower per response).

It reports responses/s, the relabel/check time ratio, and each run's peak RSS (``ru_maxrss`` of the
subprocess). Streaming means the peak RSS must stay flat as the dump grows: the script prints the
ratio of peak RSS at the largest size to the smallest and fails (exit 1) when it exceeds 1.5.

    python benchmarks/relabel_throughput.py                  # 10k and 100k responses
    python benchmarks/relabel_throughput.py --sizes 2000,20000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUP_SIZE = 8

TASKS = [
    "Write a short story about a lighthouse keeper.",
    "Explain how vaccines train the immune system.",
    "Describe your ideal weekend in the mountains.",
    "Give advice to a student starting university.",
    "Summarise the causes of the French Revolution.",
    "Write a product description for a reusable water bottle.",
    "Explain recursion to a ten year old.",
    "Write a letter to a friend who moved abroad.",
]

SENTENCES = [
    "The morning light spread slowly over the quiet harbour",
    "Every system has limits and the trick is knowing where they are",
    "She kept a notebook of small observations about the weather",
    "Good habits are built one ordinary day at a time",
    "The committee met twice, but nothing was decided",
    "A well designed bottle keeps water cold for a whole day",
    "Recursion means solving a problem by solving a smaller copy of it",
    "History rarely moves in straight lines",
    "The tide came in, and the boats rose with it",
    "Write down what you learn, then teach it to someone else",
    "Prices rose sharply while wages stood still",
    "The mountains were quiet except for the wind",
]

# (id, kwargs) pools with real IFEval parameters.
CONSTRAINTS = [
    ("punctuation:no_comma", {}),
    ("change_case:english_lowercase", {}),
    ("change_case:english_capital", {}),
    ("length_constraints:number_words", {"relation": "at least", "num_words": 40}),
    ("length_constraints:number_words", {"relation": "less than", "num_words": 60}),
    ("length_constraints:number_sentences", {"relation": "at least", "num_sentences": 3}),
    ("keywords:existence", {"keywords": ["habits", "light"]}),
    ("keywords:forbidden_words", {"forbidden_words": ["nothing", "trick"]}),
    ("keywords:frequency", {"keyword": "the", "frequency": 3, "relation": "at least"}),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    ("detectable_format:title", {}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}),
    ("startend:end_checker", {"end_phrase": "Is there anything else I can help with?"}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}),
]


def make_response(rng: random.Random) -> str:
    n = rng.randint(2, 9)
    sentences = [rng.choice(SENTENCES) for _ in range(n)]
    style = rng.random()
    if style < 0.25:
        body = "\n".join(f"* {s}." for s in sentences)
    elif style < 0.4:
        half = n // 2
        body = " ".join(s + "." for s in sentences[:half]) + "\n***\n" + \
            " ".join(s + "." for s in sentences[half:])
    else:
        body = " ".join(s + "." for s in sentences)
    if rng.random() < 0.3:
        body = f"<<{rng.choice(['Notes', 'A Story', 'Advice'])}>>\n" + body
    if rng.random() < 0.2:
        body = body.replace(sentences[0], f"*{sentences[0]}*", 1)
        body = body.replace(sentences[-1], f"*{sentences[-1]}*", 1)
    case = rng.random()
    if case < 0.2:
        body = body.lower()
    elif case < 0.3:
        body = body.upper()
    if rng.random() < 0.25:
        body += "\nP.S. Thanks for reading."
    if rng.random() < 0.2:
        body += "\nIs there anything else I can help with?"
    return body


def make_groups(n_responses: int, seed: int = 0):
    rng = random.Random(seed)
    for g in range(max(1, n_responses // GROUP_SIZE)):
        picks = rng.sample(range(len(CONSTRAINTS)), rng.randint(2, 4))
        constraints = [{"id": CONSTRAINTS[i][0], "kwargs": CONSTRAINTS[i][1]} for i in picks]
        yield {
            "id": f"g{g}",
            "instruction": {"task": rng.choice(TASKS), "constraints": constraints,
                            "template": rng.choice(["inline", "rules", "bullets"])},
            "responses": [make_response(rng) for _ in range(GROUP_SIZE)],
            "entropies": [round(rng.uniform(0.2, 2.0), 3) for _ in range(GROUP_SIZE)],
            "step": 10,
        }


def write_inputs(n: int, folder: Path) -> tuple[Path, Path, int]:
    """The relabel dump and the equivalent hir check rows (one per response)."""
    dump, rows = folder / f"dump_{n}.jsonl", folder / f"check_{n}.jsonl"
    count = 0
    with open(dump, "w", encoding="utf-8") as d, open(rows, "w", encoding="utf-8") as c:
        for group in make_groups(n):
            d.write(json.dumps(group) + "\n")
            ids = [x["id"] for x in group["instruction"]["constraints"]]
            kwargs = [x["kwargs"] for x in group["instruction"]["constraints"]]
            for i, response in enumerate(group["responses"]):
                c.write(json.dumps({"key": f"{group['id']}/{i}", "prompt": group["instruction"]["task"],
                                    "instruction_id_list": ids, "kwargs": kwargs,
                                    "response": response}) + "\n")
                count += 1
    return dump, rows, count


def measure(args: list[str]) -> dict:
    """Run ``hir ARGS`` in a fresh interpreter; its wall time and peak RSS."""
    code = ("import resource, sys, time\n"
            "from cli.main import app\n"
            "t = time.perf_counter()\n"
            "try:\n    app(sys.argv[1:], standalone_mode=False)\n"
            "except SystemExit:\n    pass\n"
            "dt = time.perf_counter() - t\n"
            "print('MEASURE', dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True,
                          text=True)
    line = [l for l in proc.stderr.splitlines() if l.startswith("MEASURE")]
    if not line:
        raise RuntimeError(f"hir {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    _, seconds, rss_kib = line[-1].split()
    return {"seconds": float(seconds), "peak_rss_mib": int(rss_kib) / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated dump sizes in responses")
    parser.add_argument("--workers", type=int, default=1)
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            dump, rows, count = write_inputs(n, folder)
            w = ["--workers", str(opts.workers), "-q"]
            rel = measure(["relabel", str(dump), "-o", str(folder / "out.jsonl"), *w])
            chk = measure(["check", str(rows), "-o", str(folder / "checked.jsonl"), *w])
            replays = sum(1 for _ in open(folder / "out.jsonl", encoding="utf-8"))
            results.append({"responses": count, "replays": replays,
                            "relabel_responses_per_s": count / rel["seconds"],
                            "check_responses_per_s": count / chk["seconds"],
                            "relabel_over_check_time": rel["seconds"] / chk["seconds"],
                            "relabel_peak_rss_mib": rel["peak_rss_mib"],
                            "check_peak_rss_mib": chk["peak_rss_mib"]})
            r = results[-1]
            print(f"{count:>7} responses: relabel {r['relabel_responses_per_s']:8.0f}/s "
                  f"({replays} replays), check {r['check_responses_per_s']:8.0f}/s, "
                  f"time ratio relabel/check {r['relabel_over_check_time']:.2f}; peak RSS "
                  f"relabel {r['relabel_peak_rss_mib']:.0f} MiB, check "
                  f"{r['check_peak_rss_mib']:.0f} MiB")
    growth = results[-1]["relabel_peak_rss_mib"] / results[0]["relabel_peak_rss_mib"]
    print(f"relabel peak RSS, {results[-1]['responses']} vs {results[0]['responses']} "
          f"responses: x{growth:.2f} (flat if close to 1)")
    print(json.dumps({"workers": opts.workers, "results": results, "rss_growth": growth}))
    return 0 if growth <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
