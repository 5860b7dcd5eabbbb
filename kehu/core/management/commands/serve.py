import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


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
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(  # our own interpreter and module
                [sys.executable, "-m", "kehu.cli", "worker"], start_new_session=True
            )
        self.stdout.write(
            f"Kehu is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops it)"
        )
        try:
            KehuServer(
                {
                    "bind": f"{options['host']}:{options['port']}",
                    "workers": options["workers"],
                    "threads": options["threads"],
                    "worker_class": "gthread",
                    "timeout": 60,
                    "graceful_timeout": 20,
                    "accesslog": "-",
                    "forwarded_allow_ips": os.environ.get("KEHU_FORWARDED_ALLOW_IPS", "127.0.0.1"),
                }
            ).run()
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
