"""Gunicorn settings for SRX in production: `gunicorn -c gunicorn.conf.py 'marketplace:create_app()'`.

Every setting can be overridden on the command line (`--workers 8`) or by the environment variable named
beside it. The reasons, measured with `python -m bench pages|approvals|startup` (README, "Deployment"):
"""

import multiprocessing
import os

# One process per core: rendering a page is CPU work under Python's GIL, so more processes than cores only
# add memory and context switches. WEB_CONCURRENCY is the usual override (a container's CPU quota).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))

# Threads in each worker: while one request waits for PostgreSQL (a commit, a lock) or Meilisearch, another
# runs. gthread also keeps connections alive, so a proxy or client need not reconnect per request. Four per
# worker stays within the engine's pool (5 + 5 overflow).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Load the app once in the master and fork the workers from it: the imports (Flask, SQLAlchemy, the
# models; ~0.5 s) and the warm-up below happen once, the workers share that memory copy-on-write, a worker
# that is replaced starts in milliseconds, and an app that cannot start fails at once instead of per worker.
# The cost: new code needs a restart of the master (`kill -HUP` reloads the config, not preloaded code).
preload_app = True

# A worker that answers nothing for 30 s is stuck: the master kills it and forks a fresh one. The slowest
# real request (a plan over 200 candidates) takes well under a second; reindexing runs in `srx`, not here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart or deploy, running requests get 30 s to finish.
graceful_timeout = 30
# Idle keep-alive connections from the proxy or a client stay open 5 s.
keepalive = 5
# Replace a worker after about 20,000 requests (the jitter keeps them from restarting together): bounds slow
# memory growth. Not 2,000, as before: a replacement is not free (the fork, copy-on-write faults as the new
# worker touches the master's pages, per-process caches built again), and at 2,000 a worker of a busy server
# was replaced every few seconds. Measured with `bench pages --rounds 3`: the login page ran at 614-992
# requests/s with 2,000 and 1,136-1,452 with 20,000; the bench's bare page at 945-1,537 and 2,667-3,686.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000

# gunicorn 23+ opens a control socket under ~/.gunicorn by default; several instances on one host (or a
# read-only home) would trip over it, and SRX needs nothing from it.
control_socket_disable = True

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # "-" for stdout; off by default (the proxy logs)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def _srx_app(server):  # type: ignore[no-untyped-def]
    """The loaded SRX app, or None (another WSGI app, such as the bench's bare page)."""
    wsgi = server.app.wsgi()
    return wsgi if "srx.engine" in getattr(wsgi, "extensions", {}) else None


def when_ready(server):  # type: ignore[no-untyped-def]
    """Preloaded: warm the master before it forks, so the first request of every worker is fast."""
    if not server.cfg.preload_app:
        return
    app = _srx_app(server)
    if app is not None:
        from marketplace.warmup import warm_up

        server.log.info("warmed up in %.2f s", warm_up(app))
    # Move everything the master holds out of the garbage collector's sight before the fork: a worker's
    # collections then never walk (and so never write to) the master's objects, the pages stay shared, and a
    # new worker does not spend its first seconds copying them. Measured (bench pages, the first page after
    # start): company dashboard 134-187 requests/s without, 277-297 with.
    import gc

    gc.collect()
    gc.freeze()


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """A forked worker opens its own database connections (warm_up closed the master's already)."""
    if server.cfg.preload_app:
        app = _srx_app(server)
        if app is not None:
            app.extensions["srx.engine"].dispose(close=False)
        from marketplace.jobs import huey

        huey.storage.close()  # the job queue's SQLite connection (if any) is the master's: reopen it here


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Not preloaded: each worker warms itself up before it accepts its first request."""
    app = worker.wsgi if "srx.engine" in getattr(worker.wsgi, "extensions", {}) else None
    if app is not None and not worker.cfg.preload_app:
        from marketplace.warmup import warm_up

        worker.log.info("worker warmed up in %.2f s", warm_up(app))
    worker.log.info("worker %s ready", worker.pid)
