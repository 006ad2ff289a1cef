"""The load test (issue 10): locust against gunicorn on 127.0.0.1 with a realistic mix.

``python -m kb.benchmarks.load`` builds (or reuses) an installation at ``--scale N``, serves it
with gunicorn, runs locust headless in a subprocess (locustfile.py), samples the workers'
resident memory while it runs, and prints requests/s, median, p95 and p99 per request type,
the errors and the peak memory per worker. ``make bench`` runs a shorter one in its report.
"""
