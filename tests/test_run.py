"""`lara run` as a newcomer starts it: demo inbox fills live, and a crash loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .factories import inbound

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lara:
    """One embedded install in a temporary var/ directory, driven like a user would."""

    def __init__(self, var: Path) -> None:
        self.var, self.port = var, _free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(LARA_VAR_DIR=str(var), LARA_WORKER_THREADS="2")
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""

    def cli(self, *args: str, stdin: str = "") -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "lara.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        return proc.stdout

    def start(self, *flags: str) -> None:
        log = (self.var / "run.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lara.cli", "run", "--port", str(self.port), *flags],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError((self.var / "run.log").read_text())

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture
def lara(tmp_path: Path) -> Iterator[Lara]:
    app = Lara(tmp_path)
    yield app
    if app.proc and app.proc.poll() is None:
        app.proc.terminate()
        app.proc.wait(timeout=20)


def _wait(predicate: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    return value


def test_the_demo_inbox_fills_live_from_several_channels_languages_and_teams(lara: Lara) -> None:
    lara.start()
    lara.token = lara.cli("token", "create", "admin").strip()

    def spread() -> Any:
        items = lara.get("/api/cases?limit=200")["items"]
        kinds = {k: {c[k] for c in items} for k in ("channel", "language", "team")}
        return kinds if all(len(v) >= 3 for v in kinds.values()) else None

    assert _wait(spread, 120), lara.get("/api/cases?limit=200")
    before = lara.get("/api/messages?limit=1")["count"]
    assert _wait(lambda: lara.get("/api/messages?limit=1")["count"] > before, 30)
    logins = json.loads((lara.var / "demo-logins.txt").read_text())
    assert set(logins) >= {"admin", "lead", "sara"}


def test_messages_ingested_while_down_are_processed_after_a_restart(lara: Lara, tmp_path: Path) -> None:
    lara.start("--no-demo")
    lara.cli(
        "manage",
        "shell",
        "-c",
        "from lara.cases.defaults import defaults_install; from lara.channels.models import Channel;"
        "defaults_install(); Channel.objects.create(slug='x', name='X', network='twitter')",
    )
    lara.kill()
    path = tmp_path / "batch.jsonl"
    path.write_text(
        "\n".join(json.dumps(inbound(external_id=f"k{i}", text="It is broken?")) for i in range(5))
    )
    assert lara.cli("ingest", str(path)).splitlines()[0] == "5 new, 0 duplicate, 0 rejected"

    lara.start("--no-demo")
    lara.cli(
        "manage",
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "User.objects.create_superuser('root', 'root@example.org', 'x-unused-9')",
    )
    lara.token = lara.cli("token", "create", "root").strip()

    def routed() -> Any:
        items = lara.get("/api/messages?limit=10")["items"]
        return len(items) == 5 and all(m["stage"] == "routed" for m in items)

    assert _wait(routed, 90)
    assert lara.get("/api/cases")["count"] == 5


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc: Linux only")
def test_the_web_and_worker_processes_end_when_lara_run_is_killed(lara: Lara) -> None:
    """Two web processes and one more job-worker process run beside `lara run`; none outlives it."""
    lara.env.update(LARA_WEB_WORKERS="2", LARA_WORKER_PROCESSES="2")
    lara.start("--no-demo")
    assert lara.proc is not None
    pid = lara.proc.pid
    children = _wait(lambda: found if len(found := _children(pid)) >= 3 else None, 30)
    assert children and len(children) >= 3, children

    lara.kill()

    assert _wait(lambda: not any(_alive(pid) for pid in children), 20)
