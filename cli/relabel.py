"""``hir relabel``: turn failed rollouts into hindsight replays (HiR), streaming a dump to JSONL.

Thin: reading dumps is ``hir.rows``, relabeling ``hir.relabel``; this module wires files, options,
the progress bar, the rejects report and the summary. Option defaults are ``RelabelConfig``'s.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from hir.knobs import RelabelConfig

from .choices import ModeChoice, SemanticsChoice
from .progress import (RejectReport, console, error_line, exit_on_closed_pipe, progress_bar,
                       refuse_to_overwrite, rejects_path)

if TYPE_CHECKING:
    from rich.table import Table

DEFAULTS = RelabelConfig()


class BudgetChoice(str, Enum):
    group = "group"
    global_ = "global"


class RewriteChoice(str, Enum):
    keep = "keep"
    achieved = "achieved"
    achieved_only = "achieved_only"


def relabel(
    input: str = typer.Argument(
        ..., metavar="IN",
        help="Rollout dump: JSONL ('-' reads stdin), a .json array or .parquet: one group per row "
             "({id, instruction, responses, entropies?, step?}), one row per response with a group "
             "key, IFEval-style rows with 'responses', verl rollout dumps, MulDimIF, HIR-16K or "
             "verl rows with responses. See docs/relabel.md."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="OUT",
        help="Where to write the replays: JSONL (default: stdout), or, when OUT ends with "
             ".parquet, rows of the authors' verl trainer (ready for a verl run)."),
    k: int = typer.Option(DEFAULTS.k, "--k", "-k", min=0,
                          help="Replays per group (group budget) or per group on average over "
                               "the batch (global budget)."),
    budget: BudgetChoice = typer.Option(
        BudgetChoice(DEFAULTS.budget), "--budget",
        help="'group': top k per group; 'global': top k * groups over each batch (a run of "
             "consecutive groups with the same step)."),
    step: int = typer.Option(0, "--step", min=0,
                             help="Training step for lambda = lambda0 * (1 + eta) ** step, for rows "
                                  "without their own 'step'."),
    lambda0: float = typer.Option(DEFAULTS.lambda0, "--lambda0",
                                  help="Initial weight of CLA in the score."),
    eta: float = typer.Option(DEFAULTS.eta, "--eta", help="Per-step growth of lambda."),
    semantics: SemanticsChoice = typer.Option(
        SemanticsChoice(DEFAULTS.semantics), "--semantics",
        help="Checker semantics, as in hir check: 'reference' or 'corrected'."),
    mode: ModeChoice = typer.Option(ModeChoice(DEFAULTS.mode), "--mode",
                                    help="Judge constraints strictly or loosely (IFEval's 8 "
                                         "variants), as in hir check."),
    rewrite: RewriteChoice = typer.Option(
        RewriteChoice(DEFAULTS.rewrite), "--rewrite",
        help="'keep': a replay keeps the satisfied constraints and drops the failed ones (the "
             "paper); 'achieved' (beyond the paper): a failed word/sentence count, bullet count "
             "or end phrase is kept with the value the response met ('rephrased' lists them), "
             "other failed constraints are dropped; 'achieved_only' (beyond the paper): the same "
             "with no drop, so only responses whose every failure can be stated are replayed."),
    include_originals: bool = typer.Option(
        False, "--include-originals",
        help="Also write every original sample with its binary reward: a ready-to-train mix."),
    system: Optional[str] = typer.Option(None, "--system",
                                         help="System message to put first in 'messages'."),
    batch_groups: Optional[int] = typer.Option(
        None, "--batch-groups", min=1,
        help="Global budget: cap a batch at this many groups (bounds memory for a dump without "
             "steps)."),
    rejects: Optional[str] = typer.Option(
        None, "--rejects", metavar="FILE",
        help="Where to write rejected rows (default: OUT.rejects.jsonl, or stderr when OUT is "
             "stdout)."),
    workers: int = typer.Option(1, "--workers", "-w", min=0,
                                help="Worker processes for checking (0: one per CPU). Output is "
                                     "identical for any number."),
    json_summary: bool = typer.Option(False, "--json",
                                      help="Print the summary as JSON instead of a table."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="No progress bar and no summary (errors are still shown)."),
) -> None:
    """Relabel failed responses as successes under hindsight instructions.

    For each group, failed responses that satisfied some constraints (0 < CLA < 1) are scored
    F = mean token entropy + lambda * CLA; the best are rewritten to keep only the constraints they
    satisfied (with --rewrite achieved or achieved_only, also a failed count or end phrase stated
    with the value the response met) and written with reward 1: **source_id**,
    **response_index**, **instruction**, **prompt**, **messages**, **response**, **reward**,
    **kept**, **dropped**, **rephrased**, **cla**, **score**, **lambda**. Every replay re-checks as fully satisfied (``hir check OUT`` confirms it).

    A row that cannot be read or checked is reported with file, line and field, the other rows are
    still relabeled. **Exit status**: 0 all rows relabeled; 1 some row rejected (the output is
    complete); 2 aborted (usage error, unreadable input, internal error: the output is incomplete).
    """
    from hir import jsonl, tables
    from hir.relabel import Summary, relabel_stream
    from hir.rows import read_groups

    if input != jsonl.STDIN and not Path(input).is_file():
        error_line(f"error: no such file: {input}")
        raise typer.Exit(2)
    to_stdout = output is None or output == jsonl.STDIN
    rejects = rejects if rejects is not None else rejects_path(output)
    refuse_to_overwrite((input,), (("OUT", output), ("the rejects file", rejects)))
    config = RelabelConfig(k=k, budget=budget.value, lambda0=lambda0, eta=eta, mode=mode.value,
                           semantics=semantics.value, rewrite=rewrite.value)
    summary = Summary()
    n_workers = workers or os.cpu_count() or 1
    try:
        out = tables.RowWriter(output)
    except (OSError, tables.TableError) as exc:
        error_line(f"error: cannot write {output}: {getattr(exc, 'strerror', None) or exc}")
        raise typer.Exit(2)
    events = relabel_stream(read_groups(input), config=config, default_step=step,
                            include_originals=include_originals, system=system,
                            workers=n_workers, batch_groups=batch_groups, summary=summary,
                            verl=out.parquet)
    report = RejectReport(rejects)
    try:
        with progress_bar("relabeling", not quiet, lambda: tables.count_rows(input)) as advance:
            for event in events:
                for row in event.rows:
                    out.write(row)
                for rej in event.rejects:
                    report.add(rej)
                advance(event.consumed)
        out.flush()
        out.close()  # a Parquet file is written here, once every row is known
    except BrokenPipeError:
        exit_on_closed_pipe()
    finally:
        if not out.parquet:
            out.close()
        report.close()
    if not quiet:
        data = {"input": jsonl.display_name(input), "output": output or "<stdout>",
                "rejects": rejects if report.count else None, "k": k, "budget": budget.value,
                "semantics": semantics.value, "mode": mode.value, **summary.to_json()}
        if json_summary:
            console(stderr=to_stdout).print(jsonl.dumps(data), markup=False, soft_wrap=True)
        else:
            console(stderr=True).print(render_summary(data))
    if report.count:
        raise typer.Exit(1)


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.2f}%"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def render_summary(data: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title=f"hir relabel {data['input']} (k={data['k']}, {data['budget']} budget, "
                        f"{data['mode']}, {data['semantics']} semantics)",
                  caption=f"{data['rejected_rows']} rows rejected"
                          + (f" (see {data['rejects']})" if data['rejects'] else ""),
                  caption_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    rows = [
        ("groups", _fmt(data["groups"])),
        ("responses", _fmt(data["responses"])),
        ("ILA (responses satisfying all constraints)", _fmt(data["ila"], pct=True)),
        ("CLA (mean fraction of constraints satisfied)", _fmt(data["cla"], pct=True)),
        ("groups where every response failed", _fmt(data["all_failed_groups_before"])),
        ("... and still no success after replays", _fmt(data["all_failed_groups_after"])),
        ("replays", _fmt(data["replays"])),
        ("replays per group", _fmt(data["replays_per_group"])),
        ("mean kept constraints per replay", _fmt(data["mean_kept_constraints"])),
    ]
    if data["mean_rephrased_constraints"]:
        rows.append(("mean rephrased constraints per replay (--rewrite achieved*)",
                     _fmt(data["mean_rephrased_constraints"])))
    if data["originals_written"]:
        rows.append(("original samples written", _fmt(data["originals_written"])))
    if data["groups_without_task"]:
        rows.append(("groups without a separate task (prompt used)",
                     _fmt(data["groups_without_task"])))
    for name, value in rows:
        table.add_row(name, value)
    return table
