"""gunicorn settings, read from the working directory: ``gunicorn "wsgi:app"``.

Every value can be overridden on the command line or through the KB_* variables below.

- Workers: one process per core (KB_WORKERS, default the number of cores). Each holds the app
  and, on Whoosh, the cached document sets of the index (about 100-200 MB at 100,000
  experiences), so more processes than cores costs memory and gains nothing.
- Threads: gthread workers with KB_THREADS (default 4) threads each, so that a request
  waiting for the database does not hold up the others; the app keeps no per-thread state.
- Timeout: KB_TIMEOUT seconds (default 60) for the slowest requests, an export or an import.
- Access logs are off: the app writes its own structured line per request
  (kb/ops/request_log.py), without the client address or the query string.
"""

import os

bind = os.environ.get("KB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KB_WORKERS", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("KB_THREADS", "4"))
timeout = int(os.environ.get("KB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"
# A worker restarted after this many requests (with jitter) frees whatever memory it grew.
max_requests = int(os.environ.get("KB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
