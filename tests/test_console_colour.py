"""console.wants_colour and Console.paint: colour on a terminal, never with NO_COLOR,
always with FORCE_COLOR (docs/output.md)."""

from __future__ import annotations

import io

import pytest

from cfstep.console import Console, wants_colour


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize(
    ("environ", "stream", "colour"),
    [
        pytest.param({}, _Terminal(), True, id="terminal"),
        pytest.param({}, io.StringIO(), False, id="pipe"),
        pytest.param({"TERM": "dumb"}, _Terminal(), False, id="dumb-terminal"),
        pytest.param({"NO_COLOR": "1"}, _Terminal(), False, id="NO_COLOR"),
        pytest.param({"NO_COLOR": ""}, _Terminal(), True, id="NO_COLOR-empty"),
        pytest.param({"FORCE_COLOR": "1"}, io.StringIO(), True, id="FORCE_COLOR"),
        pytest.param({"FORCE_COLOR": "true"}, io.StringIO(), True, id="FORCE_COLOR-true"),
        pytest.param({"FORCE_COLOR": "0"}, _Terminal(), True, id="FORCE_COLOR-0-terminal"),
        pytest.param({"FORCE_COLOR": "0"}, io.StringIO(), False, id="FORCE_COLOR-0-pipe"),
        pytest.param({"FORCE_COLOR": "false"}, io.StringIO(), False, id="FORCE_COLOR-false"),
        pytest.param({"FORCE_COLOR": ""}, io.StringIO(), False, id="FORCE_COLOR-empty"),
        pytest.param({"NO_COLOR": "1", "FORCE_COLOR": "1"}, _Terminal(), False, id="both"),
        pytest.param({}, _Closed(), False, id="closed-stream"),
    ],
)
def test_wants_colour(environ: dict[str, str], stream: io.StringIO, colour: bool) -> None:
    assert wants_colour(environ, stream) is colour


def test_paint_wraps_in_sgr_only_when_colour_is_on() -> None:
    assert Console(colour=True).paint("success", "green") == "\x1b[32msuccess\x1b[0m"
    assert Console(colour=False).paint("success", "green") == "success"
    assert Console(colour=True).paint("success", "mauve") == "success"
