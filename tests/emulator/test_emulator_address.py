"""Where the emulator listens: a port the system chooses and the emulator reports, kept
while it is stopped with `keep_address` (connections refused, as from a server that is
down), so tests never guess a free port."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from emuhttp import call, run

from cfstep.emulator import Emulator

Factory = Callable[..., Emulator]


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_system_chooses_the_port_and_the_url_reports_it(emulator: Factory) -> None:
    first, second = emulator(), emulator()
    assert first.port != second.port
    assert first.url == f"http://127.0.0.1:{first.port}"
    assert call(first, "GET", "/api/user").status == 200


def test_stopped_with_its_address_kept_it_refuses_and_no_one_else_can_bind_it(
    emulator: Factory,
) -> None:
    emu = emulator()
    port = emu.port
    emu.stop(keep_address=True)
    assert _refused(port)
    with socket.socket() as other, pytest.raises(OSError, match="in use"):
        other.bind(("127.0.0.1", port))
    assert emu.url == f"http://127.0.0.1:{port}"  # still its address


def test_started_again_it_serves_the_same_address_with_the_same_state(
    emulator: Factory,
) -> None:
    emu = emulator()
    url = emu.url
    build_id = run(emu, "proj/ok")
    emu.stop(keep_address=True)
    emu.start()
    assert emu.url == url
    assert call(emu, "GET", "/api/user").status == 200
    assert [b.id for b in emu.runs()] == [build_id]  # made before the outage, kept


def test_a_plain_stop_gives_the_address_back(emulator: Factory) -> None:
    emu = emulator()
    port = emu.port
    emu.stop(keep_address=True)
    emu.stop()
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))  # free again
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url
