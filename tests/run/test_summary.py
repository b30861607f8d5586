"""The summary's parts that need no run: the table's layout."""

from __future__ import annotations

from cfstep.run.summary import table


def test_table_pads_every_column_but_the_last() -> None:
    lines = table([("#", "pipeline", "url"), ("10", "p", "http://x")])
    assert lines == ["#   pipeline  url", "10  p         http://x"]
