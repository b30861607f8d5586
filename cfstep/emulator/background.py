"""`cfstep-emulator --background`: the emulator detached from the shell that started it.

`eval "$(cfstep-emulator --background)"` (README, "Quick start") starts the same command again
in a session of its own, waits until it answers, and prints one line for the shell:
`export CF_URL=… CF_API_KEY=… CFSTEP_EMULATOR_PID=…`. The detached server then sends its
output to `--log-file`, or nowhere, so that it never writes into the terminal or into a pipe
nobody reads; `kill "$CFSTEP_EMULATOR_PID"` stops it.
"""

from __future__ import annotations

import os
import select
import shlex
import subprocess
import sys

TYPE_CHECKING = False  # not from typing: the emulator's start stays light, as cfstep's
if TYPE_CHECKING:
    import argparse
    from typing import IO

    from cfstep.emulator.emulator import Emulator

# How long the detached server may take to answer before it is given up (it binds a port
# and starts two threads: well under a second, even on a busy machine).
READY_SECONDS = 30.0
DETACHED_FLAG = "--detached"  # the server side of --background; not in --help


def export_line(emulator: Emulator, pid: int) -> str:
    """The line `eval` reads: every value quoted for the shell."""
    values = {"CF_URL": emulator.url, "CF_API_KEY": emulator.api_key, "CFSTEP_EMULATOR_PID": pid}
    return "export " + " ".join(f"{k}={shlex.quote(str(v))}" for k, v in values.items())


def server_arguments(args: argparse.Namespace) -> list[str]:
    """The command line of the detached server: the options given, and DETACHED_FLAG."""
    given = {
        "--scenario": args.scenario,
        "--port": str(args.port),
        "--api-key": args.api_key,
        "--tls-cert": args.tls_cert,
        "--tls-key": args.tls_key,
        "--log-file": args.log_file,
    }
    argv = [part for flag, value in given.items() if value for part in (flag, value)]
    return [*argv, *(["--verbose"] if args.verbose else []), DETACHED_FLAG]


def start(args: argparse.Namespace) -> int:
    """Start the detached server, print its export line once it answers; its exit code
    (and its message) when it cannot start."""
    server = subprocess.Popen(  # noqa: S603 - this Python and this module, with the options given
        [sys.executable, "-m", "cfstep.emulator", *server_arguments(args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # no terminal: Ctrl-C and a closed terminal leave it running
    )
    line = _announcement(server.stdout)
    if line is None:
        return _failed(server)
    for pipe in (server.stdout, server.stderr):
        if pipe is not None:
            pipe.close()
    print(line, flush=True)
    print(
        f"cfstep-emulator: serving in the background (pid {server.pid}); "
        'stop it with: kill "$CFSTEP_EMULATOR_PID"',
        file=sys.stderr,
    )
    return 0


def _announcement(stdout: IO[str] | None) -> str | None:
    """The export line, once the server answers (None: it ended, or said nothing in time)."""
    if stdout is None:
        return None
    ready, _, _ = select.select([stdout], [], [], READY_SECONDS)
    line = stdout.readline() if ready else ""  # one write of one short line: whole at once
    return line.strip() if line.startswith("export ") else None


def _failed(server: subprocess.Popen[str]) -> int:
    """The server ended before it answered (its message and exit code), or hung (stopped)."""
    try:
        code = server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        print(f"cfstep-emulator: no answer within {READY_SECONDS:.0f} s", file=sys.stderr)
        return 1
    message = server.stderr.read().strip() if server.stderr is not None else ""
    print(message or f"cfstep-emulator: the server ended ({code})", file=sys.stderr)
    return code or 1


def can_write(log_file: str | None) -> str | None:
    """Why the log file cannot be appended to (None: it can), checked before starting."""
    if log_file is None:
        return None
    try:
        with open(log_file, "a", encoding="utf-8"):
            return None
    except OSError as exc:
        return f"cannot write the log file: {exc}"


def detach_output(log_file: str | None) -> None:
    """From now on the detached server writes to `log_file` (appended), or nowhere."""
    target = os.open(log_file or os.devnull, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)
