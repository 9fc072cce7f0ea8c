"""Start a throw-away PostgreSQL server from Debian's binaries for the store tests.

``initdb`` refuses to run as root, so under root the cluster is created and run as the
``postgres`` system user (``runuser``). The server listens on loopback on a free port.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<v>/bin`` holding initdb and pg_ctl."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")) and os.path.exists(
            os.path.join(candidate, "pg_ctl")
        ):
            return Path(candidate)
    return None


def skip_reason() -> str | None:
    if pg_bin() is None:
        return "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to drop privileges for PostgreSQL"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a ``postgresql://`` URL of a fresh cluster; stop and delete it afterwards."""
    binaries = pg_bin()
    assert binaries is not None
    root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="dt-agent-pg-"))
    data = base / "data"
    user = "postgres" if root else pwd.getpwuid(os.geteuid()).pw_name
    if root:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = ["runuser", "-u", "postgres", "--", *args] if root else list(args)
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    port = free_port()
    run(str(binaries / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8")
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} -c fsync=off"
    run(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        opts,
        "-l",
        str(base / "log"),
        "-w",
        "-t",
        "60",
        "start",
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if root else [])
            + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
