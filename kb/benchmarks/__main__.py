"""``python -m kb.benchmarks [--quick] [--output DIR]``: run every bench, write the report.

The full run writes ``bench/report.md`` and ``bench/report.json``; ``--quick`` writes
``bench/quick-report.md`` and ``bench/quick-report.json`` (with ``"quick": true``), so a quick
run never overwrites a full report. The exit status is 1 when a bench failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config import BASE_DIR
from kb.benchmarks import writers
from kb.benchmarks.profiles import profile_from_environment
from kb.benchmarks.run import run_report


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 3 minutes")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "bench")
    parser.add_argument("--sqlite-only", action="store_true", help="do not measure PostgreSQL")
    options = parser.parse_args(arguments)
    profile = profile_from_environment(options.quick)
    report, context = run_report(profile, options.quick, with_postgres=not options.sqlite_only)
    stem = "quick-report" if options.quick else "report"
    for path in writers.write(report, context, options.output, stem):
        print(f"wrote {path}")
    return 1 if context["failed_steps"] else 0


if __name__ == "__main__":
    sys.exit(main())
