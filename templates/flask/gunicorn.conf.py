"""gunicorn settings for production.

gunicorn already reads the rest from the environment: it binds 0.0.0.0:$PORT when
PORT is set (127.0.0.1:8000 otherwise), starts $WEB_CONCURRENCY workers, and takes
any option from GUNICORN_CMD_ARGS.
"""

import gc
import os

# Threads let one worker overlap requests that wait on the database or the network.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Restart each worker after many requests (at staggered times) to contain slow memory
# leaks: every few minutes under full load. At 1000, a busy worker restarted every second
# or so and lost about half its throughput to restarts and cold caches.
max_requests = 100_000
max_requests_jitter = 10_000
# Import the app once, in the master, and fork the workers from it: a (re)started worker
# is ready at once instead of importing everything again, and workers share memory pages.
preload_app = True
# No control socket: gunicorn >= 25.1 opens one under $HOME by default, which nothing
# here uses, which read-only containers cannot create, and which every gunicorn on a
# machine would share.
control_socket_disable = True
# Logs to stdout/stderr, where the container platform collects them.
accesslog = "-"
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (set to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    """Before each fork, move what the master imported out of the garbage collector's
    reach: a collection in a worker would otherwise write to every page holding those
    objects, so each worker would end up with its own copy of them (measured: 39 MiB of
    memory of its own per Flask worker with accounts, 13 MiB with this)."""
    gc.freeze()
