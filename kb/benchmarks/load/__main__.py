"""``python -m kb.benchmarks.load``: the load test of issue 10 on one configuration.

    python -m kb.benchmarks.load --backend whoosh   --scale 100000 --seconds 300
    python -m kb.benchmarks.load --backend postgres --scale 100000 --seconds 300

``whoosh`` serves SQLite with the Whoosh index; ``postgres`` serves PostgreSQL with the
postgres search backend, in a database of its own (``kb_load`` on
KB_BENCH_POSTGRES_ADMIN_URL, dropped and made again) unless ``--database-url`` names one,
which is then emptied. The installation is kept in ``--folder`` (default bench/load-<backend>)
so ``--reuse`` can run again on it without building the data. The figures are printed and
written to <folder>/load-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from config import BASE_DIR
from kb.benchmarks.installation import installation, served_installation
from kb.benchmarks.load.run import load_test, printed
from kb.benchmarks.load.world import read_world
from kb.benchmarks.postgres import DEFAULT_ADMIN_URL, admin_statement
from kb.benchmarks.worlds import bench_app, dispose

LOAD_DATABASE = "kb_load"


def _postgres_url(explicit: str | None, reuse: bool) -> str:
    if explicit:
        url = explicit
    else:
        admin = os.environ.get("KB_BENCH_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
        url = make_url(admin).set(database=LOAD_DATABASE).render_as_string(hide_password=False)
    if reuse:
        return url
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    admin_statement(admin, f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin_statement(admin, f'CREATE DATABASE "{target.database}"')
    return url


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.benchmarks.load", description=__doc__)
    parser.add_argument("--backend", choices=("whoosh", "postgres"), required=True)
    parser.add_argument("--scale", type=int, default=100_000, help="generated experiences")
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL database to use (it is emptied)")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--reuse", action="store_true", help="run on the installation kept")
    options = parser.parse_args(arguments)
    folder = (options.folder or BASE_DIR / "bench" / f"load-{options.backend}").resolve()
    if not options.reuse and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if options.backend == "postgres":
        url = _postgres_url(options.database_url, options.reuse)
    else:
        url = f"sqlite:///{folder / 'kb.sqlite'}"
    started = time.perf_counter()
    if options.reuse:
        setup = served_installation(folder, url, options.backend, name="last")
    else:
        print(f"Bygger installationen: demo + {options.scale:,} erfarenheter ...", flush=True)
        setup = installation(folder, url, options.backend, options.scale, name="last")
        print(f"  klar på {time.perf_counter() - started:.0f} s", flush=True)
    app = bench_app(url, folder / "instance", options.backend)
    world = read_world(app)
    dispose(app)
    print(f"Last: {options.users} användare i {options.seconds} s mot gunicorn ...", flush=True)
    result = load_test(
        setup, world, options.backend, options.users, options.seconds, options.workers
    )
    print(printed(result))
    output = folder / f"load-{options.backend}.json"
    output.write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    print(f"wrote {output}")
    return 0 if result.total.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
