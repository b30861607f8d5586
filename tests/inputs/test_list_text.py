"""List text that starts as YAML, variable names and pipeline names as read by
`cfstep.inputs.values`."""

from __future__ import annotations

import pytest

from cfstep.errors import InputError
from cfstep.inputs import values


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[APP_VERSION=1.2.3, NOTE=a", "expected ',' or ']', but got '<stream end>'"),
        ('["A=1", "B=2"', "expected ',' or ']', but got '<stream end>'"),
        ("- A=1\n- B: c: d\n", "mapping values are not allowed here"),
        ("{A=1, B=2", "expected ',' or '}', but got '<stream end>'"),
        ("-\tA=1\n  - x: [", "cannot start any token"),
    ],
    ids=["flow-list-unclosed", "json-unclosed", "block-list-bad-item", "flow-map", "tab"],
)
def test_list_text_that_starts_as_yaml_must_be_yaml(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        values.parse_list("VARIABLE", text)
    message = caught.value.message
    assert message.startswith("VARIABLE: the value is not valid YAML/JSON (")
    assert problem in message
    assert message.endswith(
        " — close the list, quote an item that holds `: ` or `, `, or give one item per line "
        "without brackets or dashes"
    )


def test_a_yaml_map_where_a_list_belongs_is_refused() -> None:
    with pytest.raises(InputError, match=r"^CONTEXT: the value is YAML but a map — write a"):
        values.parse_list("CONTEXT", "{a: b}")


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("-x\n-y", ("-x", "-y")),  # `-x` starts no YAML list item: lines
        ("--flag", ("--flag",)),
        ("[a, b]", ("a", "b")),
        ("- a\n- b", ("a", "b")),
        ("A=[1, 2]", ("A=[1, 2]",)),  # a bracket later in the text: one item
    ],
)
def test_what_starts_otherwise_is_read_as_before(text: str, items: tuple[str, ...]) -> None:
    assert values.parse_list("L", text) == items


@pytest.mark.parametrize("key", ["[APP_VERSION", '"A"', "{A", "1ABC", "A$B", "A:B", "é"], ids=repr)
def test_a_key_that_is_not_a_variable_name_is_refused(key: str) -> None:
    with pytest.raises(InputError, match=r"is not a variable name \(letters, digits, _ and -"):
        values.parse_pair("VARIABLE", f"{key}=1", variable=True)


@pytest.mark.parametrize("key", ["APP_VERSION", "_x", "sample-var1", "a.b", "A1"])
def test_variable_names_as_codefresh_writes_them(key: str) -> None:
    """Codefresh's own documentation names variables `sample-var1` and `my-key`."""
    assert values.parse_pair("VARIABLE", f"{key}=v", variable=True) == (key, "v")


def test_a_secrets_key_is_never_echoed() -> None:
    with pytest.raises(InputError) as caught:
        values.parse_pair("SECRETS", "[TOKEN=s3cr3t", variable=True)
    assert "TOKEN" not in caught.value.message
    assert "(the value is hidden)" in caught.value.message


@pytest.mark.parametrize("name", ["..", ".", "../deploy", "proj/..", "./x", "proj/ .. "])
def test_dot_segments_are_not_pipeline_names(name: str) -> None:
    with pytest.raises(InputError) as caught:
        values.pipeline_name("PIPELINE_ID", name)
    assert caught.value.message.endswith(
        "is not a pipeline: `.` and `..` cannot be names — give the pipeline as "
        "project/pipeline, or its id"
    )


@pytest.mark.parametrize("name", ["proj/deploy", "a0000000000000000000000a", "p.x/y..z", "..a"])
def test_names_with_dots_inside_are_names(name: str) -> None:
    assert values.pipeline_name("PIPELINE_ID", name) == name
