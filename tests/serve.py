"""A real ``runde serve`` in a subprocess, for the tests that need the command itself: signals,
worker and export processes, a SIGKILL, what the server writes. ``runde_serve`` creates the
moderator, starts the server on a free port with its output in a file, waits until ``/healthz``
answers and stops it at the end; the /proc helpers find the processes it started (Linux)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from tests.conftest import _free_port

# The console script that ``pip install`` made, as an operator runs it.
RUNDE_SCRIPT = (str(Path(sys.executable).parent / "runde"),)
# The same CLI as a module, for environments that put the checkout on PYTHONPATH themselves.
RUNDE_MODULE = (sys.executable, "-m", "app.cli")


@dataclass
class Served:
    """One ``runde serve --no-demo --port <port> <args>``; ``start`` again after a kill runs a
    new ``process`` on the same port, the same database and the same log."""

    env: dict[str, str]
    args: Sequence[str]
    log: Path
    command: Sequence[str] = RUNDE_SCRIPT
    cwd: Path | None = None
    up_within: float = 60
    stop_within: float = 30
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the server wrote so far, stdout and stderr (every start appends)."""
        return self.log.read_text(errors="replace")

    def start(self) -> None:
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*self.command, "serve", "--no-demo", "--port", str(self.port), *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_up(self, http: httpx.Client | None = None) -> None:
        """Until ``/healthz`` answers 200 (asked through ``http`` when given); a failure with the
        server's output when it exits first or does not answer within ``up_within`` seconds."""
        deadline = time.monotonic() + self.up_within
        with contextlib.ExitStack() as stack:
            client = http if http is not None else stack.enter_context(httpx.Client(timeout=5))
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return
                code = self.process.poll()
                assert code is None, f"runde serve exited with {code} before it answered:\n{self.output()}"
                assert time.monotonic() < deadline, (
                    f"runde serve did not answer within {self.up_within:g} s:\n{self.output()}"
                )
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM unless it has ended (a test may have signalled it itself); SIGKILL and a
        failure when it still runs ``stop_within`` seconds later, so no server outlives a test."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=self.stop_within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"runde serve did not end within {self.stop_within:g} s of SIGTERM:\n{self.output()}"
            ) from None


def create_moderator(
    env: dict[str, str], email: str, password: str, *, command: Sequence[str] = RUNDE_SCRIPT, cwd: Path | None = None
) -> None:
    done = subprocess.run(
        [*command, "create-moderator", "--email", email, "--password", password],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"runde create-moderator failed:\n{done.stdout}{done.stderr}"


@contextlib.contextmanager
def runde_serve(
    env: dict[str, str],
    *args: str,
    log: Path,
    moderator: tuple[str, str] | None = None,
    command: Sequence[str] = RUNDE_SCRIPT,
    cwd: Path | None = None,
    up_within: float = 60,
    wait: bool = True,
    stop_within: float = 30,
) -> Iterator[Served]:
    """``runde create-moderator`` for ``moderator`` (email, password) when given, then ``runde
    serve`` with ``env`` and the extra ``args`` on a free port, its output in ``log``. Yields once
    it answers (``wait=False``: the test calls ``wait_up`` itself) and stops it at the end."""
    if moderator is not None:
        create_moderator(env, *moderator, command=command, cwd=cwd)
    served = Served(env=env, args=args, log=log, command=command, cwd=cwd, up_within=up_within, stop_within=stop_within)
    served.start()
    try:
        if wait:
            served.wait_up()
        yield served
    finally:
        served.stop()


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The parent pid is the 4th field after the ")" that ends the command name.
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
    return found


def descendants(pid: int) -> set[int]:
    found = set(children(pid))
    for child in list(found):
        found |= descendants(child)
    return found


def spawned(pids: set[int]) -> list[int]:
    """The processes started by multiprocessing's spawn: the workers and the export processes."""
    return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def running(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie has ended, only its parent's wait is missing."""
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False
