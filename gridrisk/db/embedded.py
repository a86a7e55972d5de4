"""gridrisk's own PostgreSQL + PostGIS cluster under the data directory (the embedded default).

The cluster listens on a Unix socket inside the data directory and on a free loopback port,
with a generated password. PostgreSQL refuses to run as root, so as root the server runs as
an unprivileged system user (``Settings.pg_run_as``) that owns the cluster's files.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridrisk.errors import Unavailable

POSTGIS_PACKAGE = "postgresql-{major}-postgis-3"


def find_pg_bin_dir(explicit: Path | None = None) -> Path:
    """The newest /usr/lib/postgresql/N/bin unless one is named."""
    if explicit is not None:
        if not (explicit / "initdb").exists():
            raise Unavailable(f"GRIDRISK_PG_BIN_DIR={explicit} holds no initdb")
        return explicit
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise Unavailable(
            "PostgreSQL server binaries not found under /usr/lib/postgresql: install them with "
            "'apt-get install postgresql postgresql-15-postgis-3', or set GRIDRISK_DATABASE_URL "
            "to an existing PostGIS database"
        )
    return candidates[-1].parent


def pg_major(bin_dir: Path) -> str:
    return bin_dir.parent.name


def postgis_installed(bin_dir: Path) -> bool:
    share = subprocess.run(
        [str(bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip() or f"/usr/share/postgresql/{pg_major(bin_dir)}"
    return any(Path(share, "extension").glob("postgis.control"))


def reachable_scratch(prefix: str) -> Path:
    """A temporary folder the unprivileged server user can enter, for clusters in tests and
    benchmarks (a root-owned temporary folder is private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether the server could listen on `port`: it sets SO_REUSEADDR, so a port whose last
    connections linger in TIME_WAIT after a restart is still free to it (and kept)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class ClusterStatus:
    initialised: bool
    running: bool
    port: int | None
    data_dir: Path


class EmbeddedCluster:
    """A private cluster: ``start`` creates it the first time, ``stop`` keeps its data."""

    user = "gridrisk"
    dbname = "gridrisk"

    def __init__(
        self,
        root: Path,
        *,
        bin_dir: Path | None = None,
        run_as: str = "postgres",
        durable: bool = True,
    ) -> None:
        self.root = Path(root).expanduser().resolve()
        self.bin_dir = find_pg_bin_dir(bin_dir)
        self.durable = durable
        self.run_as = run_as if os.geteuid() == 0 else None
        self.home = self.root / "pg"
        self.pgdata = self.home / "data"
        self.socket_dir = self.home / "run"
        self.log_file = self.home / "server.log"
        self.state_file = self.root / "pg.json"

    # -- public -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        state = self._state()
        if state is None:
            raise Unavailable(f"no embedded cluster under {self.root}: run 'gridrisk db start'")
        return (
            f"postgresql+psycopg://{self.user}:{state['password']}"
            f"@127.0.0.1:{state['port']}/{self.dbname}"
        )

    def status(self) -> ClusterStatus:
        state = self._state()
        initialised = (self.pgdata / "PG_VERSION").exists()
        running = initialised and self._pg_ctl("status", check=False).returncode == 0
        return ClusterStatus(
            initialised=initialised,
            running=running,
            port=state["port"] if state else None,
            data_dir=self.pgdata,
        )

    def start(self) -> None:
        """Create (first time) and start the cluster; a no-op when it already runs."""
        with self._lock():
            if not postgis_installed(self.bin_dir):
                package = POSTGIS_PACKAGE.format(major=pg_major(self.bin_dir))
                raise Unavailable(
                    f"PostGIS is not installed for PostgreSQL {pg_major(self.bin_dir)}: "
                    f"install it with 'apt-get install {package}' (as root)"
                )
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            if self._pg_ctl("status", check=False).returncode == 0:
                return
            state = self._state()
            assert state is not None
            if not port_is_free(state["port"]):
                state["port"] = free_loopback_port()
                self._save_state(state)
            # minimal WAL: nothing streams or archives from this cluster (backups are
            # pg_dump's), and a bulk import's index rebuilds then write no WAL of their own:
            # PostgreSQL syncs their files at commit instead
            options = f"-p {state['port']} -c wal_level=minimal -c max_wal_senders=0"
            if not self.durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            result = self._pg_ctl("start", "-w", "-t", "120", "-l", str(self.log_file),
                                  "-o", options, check=False)
            if result.returncode != 0:
                raise Unavailable(
                    f"the embedded PostgreSQL did not start: {result.stderr.strip()}\n"
                    f"{self._log_tail()}"
                )
            self._create_database(state)

    def stop(self) -> None:
        with self._lock():
            if self._pg_ctl("status", check=False).returncode == 0:
                self._pg_ctl("stop", "-w", "-m", "fast")

    def ensure_running(self) -> str:
        if not self.status().running:
            self.start()
        return self.url

    def destroy(self) -> None:
        """Stop and delete the cluster and its data (tests use this)."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)

    # -- internals --------------------------------------------------------------------------

    def _state(self) -> dict[str, Any] | None:
        if not self.state_file.exists():
            return None
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))
        self.state_file.chmod(0o600)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "pg.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise Unavailable(f"{' '.join(args[:2])} failed: {result.stderr.strip()}")
        return result

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if not self.pgdata.exists():
            return subprocess.CompletedProcess(args, 4, "", "no data directory")
        return self._run(str(self.bin_dir / "pg_ctl"), args[0], "-D", str(self.pgdata),
                         *args[1:], check=check)

    def _initdb(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        password = secrets.token_hex(16)
        pwfile = self.home / ".pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if self.run_as:
            self._hand_to_server_user()
        try:
            self._run(
                str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", self.user,
                f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-locale",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# gridrisk embedded cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "max_wal_size = 2GB\n"
                "timezone = 'UTC'\n"
            )
        self._save_state({"password": password, "port": free_loopback_port()})

    def _hand_to_server_user(self) -> None:
        """Give the server's files to the unprivileged user and check it can reach them."""
        try:
            entry = pwd.getpwnam(self.run_as or "")
        except KeyError as exc:
            raise Unavailable(
                f"running as root, the embedded PostgreSQL needs the system user "
                f"'{self.run_as}' (set GRIDRISK_PG_RUN_AS to another unprivileged user)"
            ) from exc
        for path in [self.home, self.socket_dir, *self.home.iterdir()]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        reachable = self._run("test", "-w", str(self.home), check=False).returncode == 0
        if not reachable:
            raise Unavailable(
                f"the user '{self.run_as}' cannot reach {self.home}: put GRIDRISK_DATA_DIR "
                "under a directory that other users may enter (e.g. not under /root)"
            )

    def _create_database(self, state: dict[str, Any]) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=state["port"], user=self.user, password=state["password"],
            dbname="postgres", autocommit=True,
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.dbname]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.dbname}"')

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self._run("tail", "-n", str(lines), str(self.log_file), check=False).stdout
        except OSError:
            return ""
        return text
