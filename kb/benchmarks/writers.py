"""``report.md`` for people and ``report.json`` for tools, from the same records."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from kb.benchmarks.report import AT_LEAST, GROUPS, Figure, Report, Target


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in ("ms", "s") and abs(value) < 1000:
        text = f"{value:,.1f}" if unit == "ms" else f"{value:,.2f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {unit}".strip()


def _target_text(target: Target | None, unit: str) -> str:
    if target is None:
        return ""
    if math.isnan(target.limit):
        limit = "—"
    else:
        limit = f"{target.limit:,.0f}" if target.limit >= 100 else f"{target.limit:g}"
    relation = "≥" if target.direction == AT_LEAST else "<"
    text = f"{relation} {limit} {unit}"
    return f"{text} (`{target.relative_to}` in this run)" if target.relative_to else text


def _met_text(figure: Figure) -> str:
    if figure.target is None:
        return ""
    if figure.value is None:
        return "not measured"
    text = {True: "met", False: "**not met**", None: "—"}[figure.met]
    if not figure.at_target_size:
        text += f" (indicative: set for {figure.target.size:,})"
    return text


def _baseline_name(name: str) -> str:
    if ".fts5_baseline." in name:
        return "FTS5"
    if ".postgres_baseline." in name:
        return "raw PostgreSQL"
    if "_ratings_baseline." in name:
        return "raw GROUP BY"
    return name.split(".")[1]  # a figure of another backend, e.g. whoosh


def _ratios(report: Report, figure: Figure) -> str:
    parts = []
    for name in figure.baselines:
        ratio = report.ratio(figure, name)
        baseline = report.figures.get(name)
        if ratio is not None and baseline is not None:
            value = _number(baseline.value, baseline.unit)
            parts.append(f"{ratio:.1f}× {_baseline_name(name)} ({value})")
    return ", ".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _summary(report: Report) -> list[str]:
    checked = [f for f in report.figures.values() if f.target is not None]
    missed = [f for f in checked if f.met is False]
    unmeasured = [f for f in checked if f.value is None]
    lines = [
        "## Summary",
        "",
        f"{len(checked)} targets: {sum(f.met is True for f in checked)} met, {len(missed)} not "
        f"met, {len(unmeasured)} not measured.",
        "",
    ]
    lines += [f"- Not met: `{f.name}` {_number(f.value, f.unit)}, target "
              f"{_target_text(f.target, f.unit)}" for f in missed]  # fmt: skip
    return [*lines, ""] if missed else lines


def _context(data: dict[str, Any]) -> list[str]:
    machine, versions = data["machine"], data["versions"]
    before, after = data["load_average_before"], data["load_average_after"]
    rows = [
        ["CPU", str(machine["cpu"])],
        ["Cores", str(machine["cores"])],
        ["Memory", f"{machine['memory_gib']} GiB"],
        ["System", machine["system"]],
        ["Load average before (1, 5, 15 min)", ", ".join(map(str, before))],
        ["Load average after (1, 5, 15 min)", ", ".join(map(str, after))],
    ]
    lines = ["## Machine", "", *_table(["", ""], rows), "## Versions", ""]
    names = {"postgresql_server": "PostgreSQL server", "changed_files": "tracked files changed"}
    rows = [
        [names.get(key, key), "—" if value is None else str(value)]
        for key, value in versions.items()
    ]
    return lines + _table(["", ""], rows)


def _figures(report: Report) -> list[str]:
    lines = ["## Figures", ""]
    header = ["Figure", "Value", "n", "Target", "Met", "Ours / baseline", "Name"]
    for group, title in GROUPS.items():
        figures = [f for f in report.figures.values() if f.group == group]
        if not figures:
            continue
        rows = [
            [
                f.label + (f" — {f.note}" if f.note else ""),
                _number(f.value, f.unit),
                str(f.samples or ""),
                _target_text(f.target, f.unit),
                _met_text(f),
                _ratios(report, f),
                f"`{f.name}`",
            ]
            for f in figures
        ]
        lines += [f"### {title}", "", *_table(header, rows)]
    return lines


def markdown(report: Report, data: dict[str, Any]) -> str:
    command = "`make bench-quick`" if report.quick else "`make bench`"
    lines = [
        "# Kunskapsbanken benchmark report",
        "",
        f"Profile: {data['profile']['name']} ({command}). Started {data['started_at']}, took "
        f"{data['duration_s'] / 60:.1f} min.",
        "",
        f"Sizes: {data['profile_sizes']}.",
        "",
    ]
    if report.quick:
        lines += [
            "This is a quick run at small sizes: the targets were set for larger corpora and",
            "are shown as an indication only.",
            "",
        ]
    lines += _summary(report) + _context(data) + _figures(report)
    if report.notes:
        lines += ["## Notes", "", *[f"- {note}" for note in report.notes], ""]
    if report.phases:
        rows = [[name, f"{seconds:,.1f}"] for name, seconds in report.phases]
        lines += ["## Time per step", "", *_table(["Step", "Seconds"], rows)]
    return "\n".join(lines)


def _clean(value: Any) -> Any:
    """JSON has no NaN: a relative target whose reference was not measured becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def report_data(report: Report, context: dict[str, Any]) -> dict[str, Any]:
    return _clean(
        {
            "quick": report.quick,
            **context,
            "targets": report.targets(),
            "figures": [report.figure_dict(f) for f in report.figures.values()],
            "notes": report.notes,
            "phases": [{"step": name, "seconds": seconds} for name, seconds in report.phases],
        }
    )


def write(report: Report, context: dict[str, Any], folder: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.json`` into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = report_data(report, context)
    json_path, markdown_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path.write_text(markdown(report, data) + "\n", encoding="utf-8")
    return markdown_path, json_path
