"""SIGTERM and SIGINT at each phase, in a real subprocess (SPEC §3, §7): no orphan build the
user cannot see — the id is exported the moment it is known, and the child is terminated
when TERMINATE_ON_CANCEL (the default); the step exits 143 / 130 itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reliability_kit import API_KEY, FIGURES, SECRET_VALUE, scan

from cfstep.emulator import Emulator, Fault
from scenarios import DEFAULT_SCENARIO

CODES = {signal.SIGTERM: 143, signal.SIGINT: 130}
SIGNALS = pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])


@pytest.fixture
def live() -> Iterator[Emulator]:
    """The emulator on real time: the step runs in another process."""
    emu = Emulator(DEFAULT_SCENARIO, api_key=API_KEY).start()
    yield emu
    emu.stop()


class Step:
    """`python -m cfstep` in a subprocess, its export file, and a way to wait for things."""

    def __init__(self, emu: Emulator, tmp_path: Path, **env: str) -> None:
        self.export = tmp_path / "env_vars_to_export"
        environ = {
            "PATH": os.environ.get("PATH", ""),
            "CF_URL": emu.url,
            "CF_API_KEY": API_KEY,
            "PIPELINE_ID": "proj/slow",
            "SECRETS": f"TOKEN={SECRET_VALUE}",
            "EXPORT_FILE": str(self.export),
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cfstep"],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def exported(self) -> dict[str, str]:
        text = self.export.read_text() if self.export.exists() else ""
        return dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line)

    def wait_for(self, what: Callable[[], bool], timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not what():
            assert self.proc.poll() is None, f"the step ended early: {self.proc.communicate()}"
            assert time.monotonic() < end, "timed out waiting"
            time.sleep(0.01)

    def finish(self, timeout: float = 20.0) -> tuple[int, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        hits = scan(
            {"stdout": out, "stderr": err, "export file": self.export_text()},
            [API_KEY, SECRET_VALUE],
        )
        assert not hits, hits
        FIGURES["signal_cases"] += 1
        return self.proc.returncode, err

    def export_text(self) -> str:
        return self.export.read_text() if self.export.exists() else ""


def _received(emu: Emulator, method: str, prefix: str) -> Callable[[], bool]:
    return lambda: any(r.method == method and r.path.startswith(prefix) for r in emu.requests)


def _assert_terminated(emu: Emulator, step: Step) -> None:
    (build,) = emu.runs()
    assert step.exported()["BUILD_ID"] == build.id  # the user can see it
    assert build.terminated_at is not None  # and it does not run on


@SIGNALS
def test_before_the_trigger_nothing_is_started(
    signum: signal.Signals, live: Emulator, tmp_path: Path
) -> None:
    """Stopped while reading its inputs (a VARIABLE_FILE that is a FIFO nobody writes yet)."""
    fifo = tmp_path / "variables.yaml"
    os.mkfifo(fifo)
    step = Step(live, tmp_path, VARIABLE_FILE=str(fifo))
    writer = -1

    def reader_waits() -> bool:
        nonlocal writer
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: the step has not opened it yet
            return False
        return True

    step.wait_for(reader_waits)
    time.sleep(0.05)  # into the read
    step.proc.send_signal(signum)
    code, err = step.finish()
    os.close(writer)
    assert code == CODES[signum], err
    assert f"stopped by {signum.name}" in err
    assert live.requests == []
    assert "BUILD_ID" not in step.exported()


@SIGNALS
def test_during_the_run_request_the_build_is_exported_and_terminated(
    signum: signal.Signals, live: Emulator, tmp_path: Path
) -> None:
    """The signal is held until the run request answers: its id is learnt, exported, and
    the child terminated — never a build started behind the user's back."""
    live.add_fault(Fault("POST", "/api/pipelines/run/", "delay", delay=1.0))
    step = Step(live, tmp_path)
    step.wait_for(_received(live, "POST", "/api/pipelines/run/"))
    step.proc.send_signal(signum)
    code, err = step.finish()
    assert code == CODES[signum], err
    _assert_terminated(live, step)
    assert step.exported()["BUILD_STATUS"] == "terminated"


@SIGNALS
def test_while_following_the_child_is_terminated(
    signum: signal.Signals, live: Emulator, tmp_path: Path
) -> None:
    step = Step(live, tmp_path)
    step.wait_for(lambda: "BUILD_ID" in step.exported())
    step.proc.send_signal(signum)
    code, err = step.finish()
    assert code == CODES[signum], err
    _assert_terminated(live, step)
    assert step.exported()["BUILD_STATUS"] == "terminated"
    assert f"stopped by {signum.name}" in err.splitlines()[-1]


@SIGNALS
def test_a_second_signal_during_terminate_does_not_cut_it_short(
    signum: signal.Signals, live: Emulator, tmp_path: Path
) -> None:
    live.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = Step(live, tmp_path)
    step.wait_for(lambda: "BUILD_ID" in step.exported())
    step.proc.send_signal(signum)
    step.wait_for(_received(live, "DELETE", "/api/progress/"))
    step.proc.send_signal(signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM)
    code, err = step.finish()
    assert code == CODES[signum], err  # the first signal decides
    _assert_terminated(live, step)
    assert step.exported()["BUILD_STATUS"] == "terminated"


def test_a_signal_during_the_timeout_terminate(live: Emulator, tmp_path: Path) -> None:
    """ON_TIMEOUT=terminate has sent its DELETE when SIGTERM arrives: exit 143, and the
    child is stopped all the same."""
    live.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = Step(live, tmp_path, TIMEOUT_MINS="0.02", ON_TIMEOUT="terminate")
    step.wait_for(_received(live, "DELETE", "/api/progress/"))
    step.proc.send_signal(signal.SIGTERM)
    code, err = step.finish()
    assert code == 143, err
    time.sleep(1.1)  # the DELETE the server holds is processed after its delay
    _assert_terminated(live, step)


def test_terminate_on_cancel_false_leaves_the_child_visible(live: Emulator, tmp_path: Path) -> None:
    step = Step(live, tmp_path, TERMINATE_ON_CANCEL="false")
    step.wait_for(lambda: "BUILD_ID" in step.exported())
    step.proc.send_signal(signal.SIGINT)
    code, err = step.finish()
    assert code == 130, err
    (build,) = live.runs()
    assert build.terminated_at is None  # as asked
    assert step.exported()["BUILD_ID"] == build.id
    assert step.exported()["BUILD_STATUS"] == "detached"
    assert f"leaving {build.id} running" in err
