"""gunicorn settings for production.

gunicorn already reads the rest from the environment: it binds 0.0.0.0:$PORT when
PORT is set (127.0.0.1:8000 otherwise), starts $WEB_CONCURRENCY workers, and takes
any option from GUNICORN_CMD_ARGS.

The master serves the Prometheus metrics of every worker, with each process's CPU and
memory, at /metrics on METRICS_PORT (9100 by default; 0 turns them off): the address
the app listens on, but a port of its own, which only the metrics scraper is let reach.
"""

import gc
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

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
# The app writes one line per request itself, with the request's id (request_log.py):
# no access log of gunicorn's.
accesslog = None
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (set to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

METRICS_PORT = int(os.environ.get("METRICS_PORT", "9100"))
# Where each worker writes its figures for the master to add up: a new directory for
# each start (figures of an earlier run would count again), under TMPDIR, which stays
# writable when the root filesystem is read-only (/tmp is a tmpfs or an emptyDir).
# Set before the app imports prometheus_client, which reads it once.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-")


class AppLogging(Logger):
    """gunicorn's own messages (workers starting, stopping, timing out) go through the
    app's logging, which the master sets up as it loads the app: JSON lines in
    production, like every other line."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.handlers.clear()
        self.error_log.propagate = True


logger_class = AppLogging


def pre_fork(server, worker):
    """Before each fork, move what the master imported out of the garbage collector's
    reach: a collection in a worker would otherwise write to every page holding those
    objects, so each worker would end up with its own copy of them (measured: 39 MiB of
    memory of its own per Flask worker with accounts, 13 MiB with this)."""
    gc.freeze()


def when_ready(server):
    """Serve the metrics from the master, once it listens."""
    if not METRICS_PORT:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(ProcessMetrics(server))
    address = server.cfg.address[0]
    host = address[0] if isinstance(address, tuple) else "127.0.0.1"  # else a Unix socket
    try:
        start_http_server(METRICS_PORT, addr=host, registry=registry)
    except OSError as error:
        server.log.error("Metrics not served on port %s: %s", METRICS_PORT, error)


def on_exit(server):
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


class ProcessMetrics:
    """The process_* metrics (CPU time, memory, open files, start time) of the master and
    of each worker, labelled with its pid: a restarted worker is a new series."""

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def collect(self):
        from prometheus_client import Metric, ProcessCollector

        families = {}
        for pid in [os.getpid(), *list(self.arbiter.WORKERS)]:
            collector = ProcessCollector(pid=lambda pid=pid: pid, registry=None)
            for family in collector.collect():
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    merged.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        return list(families.values())
