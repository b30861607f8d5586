"""`compose.run` itself, as the entrypoint calls it, against the emulator on a fake clock:
what the run's unit tests drive (import it by name: `from composed import compose_run`)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfstep import outputs
from cfstep.cancel import CancelGuard
from cfstep.codefresh.client import client_for
from cfstep.console import Console
from cfstep.emulator import Emulator
from cfstep.errors import CfstepError
from cfstep.inputs import config as inputs
from cfstep.run import compose
from fakeclock import FakeClock
from harness import Result as StepResult
from harness import assert_no_leak, base_env, parse_exports


@dataclass
class Composed:
    """What one `compose.run` left: its exit code (or the error it raised), its lines, its
    export file and output JSON."""

    code: int
    error: CfstepError | None
    stderr: str
    export_text: str
    document: Any
    requests: list[Any] = field(default_factory=list)

    @property
    def exports(self) -> dict[str, str]:
        return parse_exports(self.export_text)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def keys(self) -> list[str]:
        return [line.partition("=")[0] for line in self.export_text.splitlines() if line]


def compose_run(
    emu: Emulator,
    clock: FakeClock,
    folder: Path,
    skip: Mapping[int, str] | None = None,
    **env: str,
) -> Composed:
    """`compose.run` with the run's one client on `emu`; `skip` is the hook's
    {index: reason}. Its export file and output JSON go to `folder`."""
    export, document = folder / "env_vars_to_export", folder / "out.json"
    environ = base_env(emu, EXPORT_FILE=str(export), OUTPUT_JSON=str(document), **env)
    config = inputs.parse([], environ)
    err = io.StringIO()
    console = Console(err=err)
    console.add_secrets(config.secrets)
    runtime = compose.Runtime(
        clock=clock, sleep=clock.sleep, jitter=lambda: 1.0, console=console, guard=CancelGuard()
    )
    exporter = outputs.Exporter(config.export_file, console)
    client = client_for(config, console, clock=clock, sleep=clock.sleep, jitter=lambda: 1.0)
    before = len(emu.requests)
    error: CfstepError | None = None
    try:
        code = compose.run(config, runtime, exporter, client, skip=skip)
    except CfstepError as exc:
        error, code = exc, exc.exit_code
    finally:
        client.session.close()
    text = export.read_text(encoding="utf-8") if export.exists() else ""
    found = json.loads(document.read_text(encoding="utf-8")) if document.exists() else None
    ran = Composed(code, error, err.getvalue(), text, found, emu.requests[before:])
    assert_no_leak(StepResult(code, "", ran.stderr, ran.export_text, json.dumps(found)))
    return ran
