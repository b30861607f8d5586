"""results: outcomes to exit codes, values handed back, the summary table."""

from __future__ import annotations

import pytest

from cfstep.inputs import config as inputs
from cfstep.model import Config
from cfstep.run import results


def _config(**env: str) -> Config:
    return inputs.parse([], {"CF_API_KEY": "k", "PIPELINE_ID": "p", **env})


@pytest.mark.parametrize(
    ("outcome", "env", "code"),
    [
        pytest.param("success", {}, 0, id="success"),
        pytest.param("detached", {}, 0, id="detached"),
        pytest.param("error", {}, 1, id="error"),
        pytest.param("weird-status", {}, 1, id="unknown-final"),
        pytest.param("terminated", {}, 2, id="terminated"),
        pytest.param("timeout", {}, 3, id="timeout"),
        pytest.param("pending-approval", {"ON_APPROVAL": "succeed"}, 0, id="approval-succeed"),
        pytest.param("pending-approval", {"ON_APPROVAL": "fail"}, 2, id="approval-fail"),
        pytest.param("error", {"PROPAGATE_FAILURE": "false"}, 0, id="error-not-propagated"),
        pytest.param("timeout", {"PROPAGATE_FAILURE": "false"}, 3, id="timeout-still-3"),
    ],
)
def test_exit_code(outcome: str, env: dict[str, str], code: int) -> None:
    assert results.exit_code(outcome, _config(**env)) == code


def test_returned_values_strip_the_prefix_and_refuse_unsafe_names() -> None:
    found = {
        "cfstep_out_DIGEST": "sha256:1",
        "cfstep_out_": "no name",
        "cfstep_out_BUILD_STATUS": "not ours",
        "cfstep_out_A-B": "not a name",
        "other": "not returned",
    }
    returned, refused = results.returned_values(found, "cfstep_out_")
    assert returned == {"DIGEST": "sha256:1"}
    assert [key for key, _ in refused] == ["cfstep_out_BUILD_STATUS", "cfstep_out_A-B"]


def test_table_pads_every_column_but_the_last() -> None:
    lines = results.table([("#", "pipeline", "url"), ("10", "p", "http://x")])
    assert lines == ["#   pipeline  url", "10  p         http://x"]
