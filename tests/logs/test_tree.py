"""The child's step tree becomes lines: banners, order of steps, no line twice."""

from __future__ import annotations

from cfstep.logs.tree import LogTree


def _step(
    name: str, created: int, logs: dict[str, str], status: str = "running"
) -> dict[str, object]:
    return {"name": name, "creationTimeStamp": created, "status": status, "logs": logs}


def test_a_replayed_tree_prints_only_what_is_new() -> None:
    tree = LogTree()
    both = {"b": _step("Build", 2, {"-2": "two\r\n"}), "a": _step("Clone", 1, {"-1": "one\r\n"})}
    first = list(tree.put("/", both))
    assert first == ["--- step: Clone ---", "one", "--- step: Build ---", "two"]
    assert list(tree.patch("/", {"b/logs/-3": "three\r\n"})) == ["three"]
    replay = {
        "a": _step("Clone", 1, {"-1": "one\r\n"}),
        "b": _step("Build", 2, {"-2": "two\r\n", "-3": "three\r\n", "-4": "four\r\n"}),
    }
    assert list(tree.put("/", replay)) == ["four"]


def test_paths_of_put_and_patch_and_completion() -> None:
    tree = LogTree()
    assert list(tree.put("/s1", _step("Test", 1, {}))) == ["--- step: Test ---"]
    assert list(tree.put("/s1/logs/-1", "a\r\nb\r\n")) == ["a", "b"]
    assert not tree.complete()
    tree.patch("/s1", {"status": "success", "finishTimeStamp": 5})
    assert tree.complete()
