"""`cfstep-emulator`: serve a scenario on 127.0.0.1 until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import importlib.resources
import os
import signal
import ssl
import sys
import threading

import cfstep
from cfstep.emulator import background
from cfstep.emulator.emulator import DEFAULT_API_KEY, Emulator
from cfstep.emulator.scenario import ScenarioError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType
    from typing import Any


class _Version(argparse.Action):
    """The emulator ships in cfstep's package: its version is cfstep's, read when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"cfstep-emulator {cfstep.__version__}")
        parser.exit()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cfstep-emulator",
        description="A fake Codefresh API on 127.0.0.1 to try cfstep without an account.",
    )
    parser.add_argument(
        "-V", "--version", action=_Version, help="show the version (cfstep's) and exit"
    )
    parser.add_argument("--scenario", help="scenario YAML file (default: the demo scenario)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the key clients must send")
    parser.add_argument(
        "--print-env", action="store_true", help="also print `export CF_URL=... CF_API_KEY=...`"
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="serve detached from this shell; print `export CF_URL=... CF_API_KEY=... "
        'CFSTEP_EMULATOR_PID=...` once it answers (eval "$(cfstep-emulator --background)"; '
        'stop it with kill "$CFSTEP_EMULATOR_PID")',
    )
    parser.add_argument(
        "--log-file", help="with --background: append the emulator's output here (default: none)"
    )
    parser.add_argument(background.DETACHED_FLAG, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the certificate's PEM private key (if not in it)")
    return parser.parse_args(argv)


def demo_scenario() -> str:
    return importlib.resources.files("cfstep.emulator").joinpath("demo.yaml").read_text()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.background:
        problem = background.can_write(args.log_file)
        if problem is not None:
            print(f"cfstep-emulator: {problem}", file=sys.stderr)
            return 5
        return background.start(args)
    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            tls.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            print(f"cfstep-emulator: cannot load the TLS certificate: {exc}", file=sys.stderr)
            return 5
    try:
        emulator = Emulator(
            args.scenario or demo_scenario(),
            api_key=args.api_key,
            port=args.port,
            verbose=args.verbose,
            tls=tls,
        )
    except (OSError, ScenarioError) as exc:
        print(f"cfstep-emulator: cannot load scenario: {exc}", file=sys.stderr)
        return 5
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        emulator.start()
    except OSError as exc:
        print(f"cfstep-emulator: cannot listen on port {args.port}: {exc}", file=sys.stderr)
        return 4
    if args.detached:
        print(background.export_line(emulator, os.getpid()), flush=True)
        background.detach_output(args.log_file)
    print(f"cfstep-emulator listening on {emulator.url} (api key: {emulator.api_key})")
    if args.print_env:
        print(f"export CF_URL={emulator.url} CF_API_KEY={emulator.api_key}")
    sys.stdout.flush()
    # Event.wait with a timeout lets the main thread run the signal handler promptly.
    while not stopped.wait(0.5):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
