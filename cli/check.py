"""``hir check``: score responses against their constraints, strict and loose, IFEval style.

Thin: rows are parsed by ``hir.rows``, scored and summarised by ``hir.checking``; this module wires
files, options, the progress bar, the rejects report and the rich summary table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import typer

from hir import jsonl

from .choices import SemanticsChoice
from .progress import (RejectReport, console, error_line, exit_on_closed_pipe, progress_bar,
                       refuse_to_overwrite, rejects_path)

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table

    from hir import checking


def check(
    input: str = typer.Argument(
        ..., metavar="IN",
        help="Rows to check: JSONL ('-' reads stdin), a .json array or .parquet. IFEval form "
             "(key, prompt, instruction_id_list, kwargs, response), hir form (instruction + "
             "response(s)), MulDimIF items, HIR-16K and verl rows (see docs/check.md)."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="OUT",
        help="Where to write one result object per input row: JSONL, or Parquet when OUT ends "
             "with .parquet (default: JSONL on stdout)."),
    responses: Optional[str] = typer.Option(
        None, "--responses", "-r", metavar="RESPONSES",
        help="Two-file form: IN holds the prompts, RESPONSES holds {prompt, response} rows "
             "joined on the prompt text."),
    semantics: SemanticsChoice = typer.Option(
        SemanticsChoice.reference, "--semantics",
        help="'reference' reproduces the official checkers verdict for verdict; 'corrected' "
             "applies our fixes of their known wrong verdicts (see docs/check.md)."),
    strip_thinking: bool = typer.Option(
        False, "--strip-thinking",
        help="Judge only the final answer: drop a leading <think>...</think> block."),
    workers: int = typer.Option(
        1, "--workers", "-w", min=0,
        help="Worker processes (0: one per CPU). Output is identical for any number."),
    rejects: Optional[str] = typer.Option(
        None, "--rejects", metavar="FILE",
        help="Where to write the rejected rows, one record each (default: OUT.rejects.jsonl, or "
             "only stderr when OUT is stdout)."),
    json_summary: bool = typer.Option(
        False, "--json", help="Print the summary as JSON instead of a table (even with --quiet)."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar and no summary table (errors are still "
                                     "shown)."),
) -> None:
    """Check responses against their constraints and write per-row verdicts.

    Each output row has **key**, **strict** and **loose** (booleans aligned with
    instruction_id_list), **follow_all_strict**, **follow_all_loose** and the
    **failures** with their explanations. A summary (prompt- and instruction-level accuracy,
    per-constraint rates, and MulDimIF's metrics when rows have MulDimIF constraints) goes to
    stderr when OUT is stdout, else to stdout.

    A row that cannot be scored (malformed JSON, unknown constraint id, invalid kwargs, missing
    response, mismatched lengths, a checker that cannot run) gets an output row with an
    **error** and a **field** (the path at fault, as the row spells it), a message on stderr
    naming file, line and field, and a record in the rejects file (when OUT is a file, or with
    --rejects); the other rows are still
    scored. **Exit status**: 0 all rows scored; 1 some row rejected (the output is complete);
    2 aborted (usage error, unreadable input, internal error: the output is incomplete).
    """
    from hir import checking, rows, tables  # here, not at start-up: `hir --help` needs none

    for path in (input, responses):
        if path is not None and path != jsonl.STDIN and not Path(path).is_file():
            error_line(f"error: no such file: {path}")
            raise typer.Exit(2)
    if responses == jsonl.STDIN and input == jsonl.STDIN:
        error_line("error: IN and RESPONSES cannot both be stdin")
        raise typer.Exit(2)
    rejects = rejects if rejects is not None else rejects_path(output)
    refuse_to_overwrite((input, responses), (("OUT", output), ("the rejects file", rejects)))
    n_workers = workers or os.cpu_count() or 1
    to_stdout = output is None or output == jsonl.STDIN
    reporter = RejectReport(rejects)

    lines: Iterator[jsonl.Line] = tables.read_rows(input)
    response_index = None
    if responses is not None:
        response_index = rows.load_responses(tables.read_rows(responses),
                                             jsonl.display_name(responses))
        for rejected in response_index.rejected:
            reporter.add(rejected)
        lines = rows.attach_responses(lines, response_index)

    results = checking.score_rows(lines, semantics=semantics.value,
                                  strip_thinking=strip_thinking, workers=n_workers)
    summary = checking.Summary()
    try:
        out = tables.RowWriter(output)
    except (OSError, tables.TableError) as exc:
        reporter.close()
        error_line(f"error: cannot write {output}: {getattr(exc, 'strerror', None) or exc}")
        raise typer.Exit(2)
    try:
        with progress_bar("checking", not quiet, lambda: tables.count_rows(input)) as advance:
            for result in results:
                out.write(result.to_json())
                summary.add(result)
                if result.reject is not None:
                    reporter.add(result.reject)
                advance()
        out.flush()
        if response_index is not None:  # responses no prompt row asked for
            unused = response_index.unused()
            for rejected in unused:
                reporter.add(rejected)
            summary.responses_rejected = len(response_index.rejected) + len(unused)
        out.close()  # a Parquet file is written here, once every row is known
    except BrokenPipeError:
        exit_on_closed_pipe()
    finally:
        if not out.parquet:
            out.close()
        reporter.close()
    if json_summary or not quiet:
        destination = console(stderr=to_stdout)
        if json_summary:
            data = {"input": jsonl.display_name(input), "semantics": semantics.value,
                    **summary.to_json()}
            destination.print(jsonl.dumps(data), markup=False, soft_wrap=True)
        else:
            destination.print(render_summary(summary, jsonl.display_name(input),
                                             semantics.value))
    if summary.any_rejected:
        raise typer.Exit(1)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def render_summary(summary: checking.Summary, source: str, semantics: str) -> Table | Group:
    """The summary as a rich table: overall accuracy, then one line per constraint id; with
    MulDimIF constraints, a second table of MulDimIF's own metrics."""
    from rich.table import Table
    from rich.text import Text

    acc = summary.accuracy()
    caption = [f"{summary.scored} rows scored ({summary.samples} responses)",
               f"{summary.rejected} rejected" + (" (in no denominator)" if summary.rejected else "")]
    if summary.responses_rejected:
        caption.append(f"{summary.responses_rejected} responses-file rows rejected")
    table = Table(title=f"hir check {source} ({semantics} semantics)",
                  caption=", ".join(caption), caption_justify="left")
    table.add_column("level / constraint id")
    table.add_column("n", justify="right")
    table.add_column("strict %", justify="right")
    table.add_column("loose %", justify="right")
    table.add_row("[bold]prompt-level[/]", str(summary.samples), _pct(acc["prompt_strict"]),
                  _pct(acc["prompt_loose"]))
    table.add_row("[bold]instruction-level[/]", str(summary.instructions),
                  _pct(acc["instruction_strict"]), _pct(acc["instruction_loose"]),
                  end_section=True)
    for cid in sorted(summary.per_id):
        stats = summary.per_id[cid]
        table.add_row(Text(cid), str(stats.count), _pct(stats.strict / stats.count),
                      _pct(stats.loose / stats.count))
    if not summary.muldimif.overall.n:
        return table
    from rich.console import Group

    return Group(table, render_muldimif(summary.muldimif))


def render_muldimif(stats: checking.MulDimIFSummary) -> Table:
    """MulDimIF's metrics (strict): all-constraints and constraint-level accuracy, overall, by
    pattern, by difficulty, by category (first and second level)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="MulDimIF metrics (strict)", caption="all: responses that follow all "
                  "their constraints of the group; constraint: constraints followed",
                  caption_justify="left")
    table.add_column("group")
    table.add_column("n", justify="right")
    table.add_column("all %", justify="right")
    table.add_column("constraints", justify="right")
    table.add_column("constraint %", justify="right")

    def row(name: str, tally: checking.Tally, end: bool = False) -> None:
        data = tally.to_json()
        table.add_row(Text(name), str(tally.n), _pct(data["all"]), str(tally.constraints),
                      _pct(data["constraint"]), end_section=end)

    row("overall", stats.overall, end=True)
    for title, groups in (("pattern", stats.by_pattern), ("difficulty", stats.by_difficulty),
                          ("type", stats.by_type), ("category", stats.by_category)):
        names = sorted(groups)
        for i, name in enumerate(names):
            row(f"{title}: {name}", groups[name], end=i == len(names) - 1)
    return table
