"""MODIFIED_FILES_GLOB=trigger: which trigger's glob counts (docs/monorepos.md)."""

from __future__ import annotations

import pytest

from cfstep.changes.base import CannotTell
from cfstep.changes.trigger import NoFilter, glob_of
from cfstep.codefresh.answers import PipelineTriggers, Trigger

WEB = Trigger("push-web", "t1", "git", "services/web/**")
BARE = Trigger("push-any", "t2", "git", None)
DOCS = Trigger("push-docs", "t3", None, "**/*.md")  # no type: read as git, as Codefresh's are
CRON = Trigger("nightly", "t4", "cron", "x/**")
ODD = Trigger("odd", "t5", "git", None, glob_unreadable=True)


def _pipeline(*triggers: Trigger) -> PipelineTriggers:
    return PipelineTriggers("p" * 24, "shop/web", triggers)


@pytest.mark.parametrize(
    ("triggers", "named", "glob"),
    [
        ((WEB,), None, ("services/web/**", "push-web")),
        ((WEB, CRON), None, ("services/web/**", "push-web")),
        ((WEB, DOCS), "push-docs", ("**/*.md", "push-docs")),
        ((WEB, DOCS), "t1", ("services/web/**", "push-web")),  # by id
        ((CRON,), "nightly", ("x/**", "nightly")),  # named: read whatever its type
    ],
)
def test_the_glob_that_counts(
    triggers: tuple[Trigger, ...], named: str | None, glob: tuple[str, str]
) -> None:
    assert glob_of(_pipeline(*triggers), named) == glob


@pytest.mark.parametrize(
    ("triggers", "named", "error", "message"),
    [
        ((BARE,), None, NoFilter, "its trigger push-any has no Modified files glob"),
        ((WEB, DOCS), None, CannotTell, "shop/web has 2 git triggers — name the one"),
        ((), None, CannotTell, "shop/web has no git trigger"),
        ((CRON,), None, CannotTell, "shop/web has no git trigger"),
        ((WEB,), "push-api", CannotTell, "shop/web has no trigger push-api (TRIGGER_ID)"),
        ((ODD,), None, CannotTell, "the Modified files glob of trigger odd cannot be read"),
    ],
    ids=["no-glob", "two", "none", "cron-only", "unknown-name", "unreadable"],
)
def test_when_none_counts(
    triggers: tuple[Trigger, ...], named: str | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        glob_of(_pipeline(*triggers), named)
    assert str(raised.value).startswith(message)
