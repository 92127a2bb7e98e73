"""A real server in its own process, on a fresh SQLite database with demo data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class LiveServer(str):
    """The server's base URL; `.db_path` is its SQLite file, for checks behind the UI."""

    def __new__(cls, url: str, db_path: Path):
        value = super().__new__(cls, url)
        value.db_path = db_path
        return value


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "AGENTPATH_ENV": "development",
        "DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
        "SECRET_KEY": "e2e-only-secret",
        "FLASK_APP": "app",
        "LOGIN_LIMIT_PER_IP": "1000 per minute",
        "KPI_INLINE_BYTES": "4000",           # larger KPI files go through the background job and its progress bar
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["content", "sync"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(folder / "server.log", "w")
    server = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the test server did not start; see {folder / 'server.log'}") from None
            time.sleep(0.2)
    yield LiveServer(url, folder / "e2e.db")
    server.terminate()
    server.wait(timeout=10)
    log.close()
