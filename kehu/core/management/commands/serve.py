import gc
import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from kehu.core import keys

ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def freeze_after_start(worker: Any = None) -> None:
    """gunicorn's ``post_worker_init``: load the URL configuration (every view module), then
    take everything the start made out of the garbage collector's sight (``gc.freeze``). A
    worker holds ~500,000 objects after its start; every full collection walked them all, so a
    page that allocates much (a rep's /work/ with 1,300 items, 100,000-customer demo) paid
    ~230 ms about every 15th request. Frozen, the collections walk only what requests made."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imported for its side effect)
    gc.collect()
    gc.freeze()


def server_options(options: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's settings for ``kehu serve``."""
    return {
        "bind": f"{options['host']}:{options['port']}",
        "workers": options["workers"],
        "threads": options["threads"],
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        # The path without its query string and no referrer: a query may carry a
        # phone or ID number, and the log is kept outside the encrypted database.
        "access_log_format": ACCESS_LOG_FORMAT,
        # Recycle each worker after about 20,000 requests, at staggered times, so memory a
        # large request took goes back to the system. Not much sooner: a new worker costs
        # ~1.5 s of CPU to start, and at 300 requests/s every 1,000 requests was a restart
        # every few seconds, with clients waiting on it (bench/RESULTS.md, issue 26).
        "max_requests": int(os.environ.get("KEHU_WEB_MAX_REQUESTS", "20000")),
        "max_requests_jitter": int(os.environ.get("KEHU_WEB_MAX_REQUESTS_JITTER", "2000")),
        # No control socket: its default path is shared by every instance of a user.
        "control_socket_disable": True,
        "forwarded_allow_ips": os.environ.get("KEHU_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "post_worker_init": freeze_after_start,
    }


class KehuServer(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kehu.config.wsgi import application

        return application


class Command(BaseCommand):
    help = (
        "Serve the web UI and API with gunicorn (a production-grade WSGI server) and, unless "
        "--no-worker, the background task worker beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KEHU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEHU_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("KEHU_WEB_WORKERS", "3")),
            help="Web worker processes (default 3, or KEHU_WEB_WORKERS).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("KEHU_WEB_THREADS", "4")),
            help="Threads per web worker (default 4).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the task worker (run 'kehu worker' separately on a team server).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # A lost or wrong key stops the start here (the system check reports it too).
        keys.require_readable_keys()
        keys.canaries_record()
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(  # our own interpreter and module
                [sys.executable, "-m", "kehu.cli", "worker"], start_new_session=True
            )
        self.stdout.write(
            f"Kehu is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops it)"
        )
        try:
            KehuServer(server_options(options)).run()
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
