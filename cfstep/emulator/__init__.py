"""A fake Codefresh API on 127.0.0.1: try cfstep without an account, and test it.

with Emulator("scenario.yaml") as emu:
    ...  # CF_URL=emu.url CF_API_KEY=emu.api_key
"""

from __future__ import annotations

from cfstep.emulator.emulator import DEFAULT_API_KEY, Emulator
from cfstep.emulator.faults import Fault
from cfstep.emulator.logstore import LogFault
from cfstep.emulator.recording import RecordedRequest
from cfstep.emulator.scenario import PipelineSpec, ScenarioError
from cfstep.emulator.state import Build

__all__ = [
    "DEFAULT_API_KEY",
    "Build",
    "Emulator",
    "Fault",
    "LogFault",
    "PipelineSpec",
    "RecordedRequest",
    "ScenarioError",
]
