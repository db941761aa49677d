"""gunicorn's settings for production (see docs/deployment.md).

    gunicorn --config gunicorn.conf.py --paste production.ini

Processes × threads: one process per core by default, so that Python uses every
core (the threads of one process share its interpreter lock), and 8 threads in
each, for the time a request waits on PostgreSQL. Command-line options and
``GUNICORN_CMD_ARGS`` override what is here (``--workers 4``, ``--bind``).
"""

import multiprocessing
import os
from typing import Any

bind = ["0.0.0.0:6543"]
# WEB_CONCURRENCY is gunicorn's own variable for the number of processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = 8
# Each process loads the application itself, after its fork: the database
# engine, its pool and the job queue's connection belong to one process
# (SQLAlchemy's pool must not cross a fork), and `kill -HUP` on the master
# starts processes with the new code while the old ones finish their requests.
preload_app = False
# A process that gives no sign of life to the master for this long is killed and replaced.
timeout = 60
graceful_timeout = 30
keepalive = 5
# The proxies whose X-Forwarded-Proto says the request came over HTTPS (the
# application believes their X-Forwarded-For: cagou.proxies.trusted).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# systemd drives the processes with signals (HUP, TERM); without this, every
# gunicorn of the account would share one control socket in its home folder.
control_socket_disable = True


def post_fork(server: Any, worker: Any) -> None:
    """Before the process loads the application: its pool is sized to its threads (cagou.threads)."""
    os.environ["CAGOU_THREADS"] = str(worker.cfg.threads)
