"""Benchmarks of the hub, run on demand with `python -m bench`: they print figures and assert nothing.

Each operation is measured on the hub and, side by side, on a bare asyncpg + orjson route that reads and writes
the same rows (bench/bare.py), on the same data set in the same PostgreSQL.
"""

BARE_APPLICATION_NAME = "bench-bare"  # the application_name of the bare app's database connections
