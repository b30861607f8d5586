"""The emulator's build history and triggers, as CHANGED_SINCE=last-success and
MODIFIED_FILES_GLOB=trigger read them: GET /api/workflow filtered by pipeline id, status,
branch and revision, newest first, `limit`; builds that ended before the run (scenario
`builds:`); triggers carrying `modifiedFilesGlob`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from emuhttp import call, run

from cfstep.emulator import Emulator, ScenarioError
from fakeclock import FakeClock

Factory = Callable[..., Emulator]
WEB_ID = "c0000000000000000000000c"
OLD, NEWER, OTHER_BRANCH, FAILED = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)

SCENARIO = {
    "pipelines": {
        "shop/web": {
            "id": WEB_ID,
            "builds": [
                {"status": "success", "branch": "main", "revision": OLD, "seconds_ago": 7200},
                {"status": "success", "branch": "main", "revision": NEWER, "seconds_ago": 3600},
                {
                    "status": "success",
                    "branch": "dev",
                    "revision": OTHER_BRANCH,
                    "seconds_ago": 1800,
                },
                {"status": "error", "branch": "main", "revision": FAILED, "seconds_ago": 60},
            ],
            "triggers": [
                {"name": "push-main", "modifiedFilesGlob": "services/web/**"},
                "manual",
            ],
        },
        "shop/api": {"builds": [{"status": "success", "branch": "main", "revision": OLD}]},
    }
}


def _revisions(emu: Emulator, query: str) -> list[str]:
    reply = call(emu, "GET", f"/api/workflow?{query}")
    assert reply.status == 200
    return [doc["revision"] for doc in reply.json["workflows"]["docs"]]


def test_the_last_success_on_a_branch_is_the_newest_first(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    query = f"pipeline={WEB_ID}&status=success&branchName=main"
    assert _revisions(emu, query) == [NEWER, OLD]
    assert _revisions(emu, query + "&limit=1") == [NEWER]


@pytest.mark.parametrize(
    ("query", "revisions"),
    [
        (f"pipeline={WEB_ID}", [FAILED, OTHER_BRANCH, NEWER, OLD]),
        (f"pipeline={WEB_ID}&status=error", [FAILED]),
        (f"pipeline={WEB_ID}&branchName=dev", [OTHER_BRANCH]),
        (f"pipeline={WEB_ID}&revision={OLD}", [OLD]),
        ("pipeline=shop%2Fweb", []),  # a name is not an id: Codefresh matches none
        (f"pipeline={WEB_ID}&status=success&branchName=feature", []),
    ],
    ids=["all", "status", "branch", "revision", "by-name", "new-branch"],
)
def test_the_filters(emulator: Factory, query: str, revisions: list[str]) -> None:
    assert _revisions(emulator(SCENARIO), query) == revisions


def test_a_triggered_build_is_listed_with_its_branch_and_revision(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(SCENARIO, clock=fake_clock)
    build_id = run(emu, "shop/web", {"branch": "main", "sha": "e" * 40})
    fake_clock.advance(5)
    (doc, *_) = call(emu, "GET", f"/api/workflow?pipeline={WEB_ID}").json["workflows"]["docs"]
    assert (doc["id"], doc["status"], doc["branchName"], doc["revision"]) == (
        build_id,
        "success",
        "main",
        "e" * 40,
    )


def test_past_builds_are_in_the_past(emulator: Factory, fake_clock: FakeClock) -> None:
    emu = emulator(SCENARIO, clock=fake_clock)
    docs = call(emu, "GET", f"/api/workflow?pipeline={WEB_ID}").json["workflows"]["docs"]
    assert all(doc["finished"] >= doc["created"] for doc in docs)
    assert docs[0]["created"] > docs[1]["created"] > docs[2]["created"]


def test_a_past_build_added_later(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    build_id = emu.add_past_build("shop/api", revision="f" * 40, seconds_ago=10)
    api_id = emu.runs("shop/api")[0].pipeline_id
    docs = call(emu, "GET", f"/api/workflow?pipeline={api_id}").json["workflows"]["docs"]
    assert [(d["id"], d["revision"]) for d in docs] == [(build_id, "f" * 40), (docs[1]["id"], OLD)]


def test_triggers_carry_their_modified_files_glob(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    triggers = call(emu, "GET", "/api/pipelines/shop%2Fweb").json["spec"]["triggers"]
    assert triggers == [
        {
            "name": "push-main",
            "id": "push-main",
            "type": "git",
            "modifiedFilesGlob": "services/web/**",
        },
        {"name": "manual", "id": "manual", "type": "git"},
    ]
    assert run(emu, "shop/web", {"trigger": "push-main"})


def test_a_past_build_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(ScenarioError, match="may only have"):
        Emulator({"pipelines": {"p/q": {"builds": [{"sha": "x"}]}}})
