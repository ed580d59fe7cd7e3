"""A throwaway PostgreSQL instance on a free loopback port, for tests that restart it.

The shared cluster on 5432 is never touched: this one lives in a temporary directory,
trusts local connections, and is stopped and removed by `close()`. initdb refuses to
run as root, so as root every PostgreSQL command runs as the `postgres` OS user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bindir() -> Path:
    """The newest installed PostgreSQL server binaries (Debian layout), or from PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


def free_port(start: int = 5439) -> int:
    """The first loopback port from `start` nobody listens on."""
    for port in range(start, start + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port for PostgreSQL")


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory; `url` points at database `aftercare`."""

    def __init__(self, port: int | None = None) -> None:
        self.bindir = _bindir()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="aftercare-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/aftercare"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            check=check,
            capture_output=True,
            text=True,
            start_new_session=True,  # Ctrl-C reaches us, not the postmaster: we stop it
        )

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c max_connections=100"
        )
        (self.root / "options").write_text(options)
        self.start()
        self._psql("CREATE DATABASE aftercare")

    def _psql(self, sql: str) -> None:
        psql = shutil.which("psql") or str(self.bindir / "psql")
        command = [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", sql]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        options = (self.root / "options").read_text()
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def restart(self, down_seconds: float) -> None:
        """Stop (fast: open sessions are cut), stay down a while, start again."""
        self.stop("fast")
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        """Stop the instance (if it runs) and remove its directory; safe to call twice."""
        try:
            if self.data.exists() and self.is_running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
