"""The two reads of the Codefresh API that CHANGED_SINCE=last-success and
MODIFIED_FILES_GLOB=trigger need: a pipeline's id and triggers (`GET /api/pipelines/<name>`)
and its last successful build on a branch (`GET /api/workflow`). Each is asked once per run;
all of them share one time budget; any failure is a reason the child runs (`CannotTell`),
never the end of the run.
"""

from __future__ import annotations

from cfstep.changes.base import CannotTell
from cfstep.errors import ApiError, TransientApiError
from cfstep.timing import Deadline

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from cfstep.codefresh.answers import LastBuild, PipelineTriggers
    from cfstep.codefresh.client import CodefreshClient
    from cfstep.timing import Clock

    T = TypeVar("T")


READS_SECONDS = 30.0
"""All the reads of one run together, retries included: a Codefresh that does not answer
costs the decision this long at most, then the children run and nothing more is read."""


class ApiHistory:
    """`base.BuildHistory` over the run's one API client, made only when a read is needed."""

    def __init__(
        self, client: Callable[[], CodefreshClient], clock: Clock, seconds: float = READS_SECONDS
    ) -> None:
        self._client = client
        self._clock = clock
        self._seconds = seconds
        self._deadline: Deadline | None = None
        self._unreachable: str | None = None  # why reads stopped: Codefresh did not answer
        self._pipelines: dict[str, PipelineTriggers | CannotTell] = {}
        self._builds: dict[tuple[str, str], LastBuild | CannotTell | None] = {}

    def pipeline(self, name: str) -> PipelineTriggers:
        if name not in self._pipelines:
            self._pipelines[name] = self._read(
                lambda client, t: client.pipeline_triggers(name, t), f"pipeline {name}"
            )
        return _or_raise(self._pipelines[name])

    def last_success(self, pipeline_id: str, branch: str) -> LastBuild | None:
        key = (pipeline_id, branch)
        if key not in self._builds:
            self._builds[key] = self._read(
                lambda client, t: client.last_successful_build(pipeline_id, branch, t),
                f"the builds of pipeline {pipeline_id}",
            )
        return _or_raise(self._builds[key])

    def _read(self, call: Callable[[CodefreshClient, float], T], what: str) -> T | CannotTell:
        if self._deadline is None:
            self._deadline = Deadline.after(self._clock, self._seconds)
        if self._unreachable is not None or self._deadline.passed():
            why = f" ({self._unreachable})" if self._unreachable else ""
            return CannotTell(f"Codefresh did not answer the reads before this one{why}")
        client = self._client()
        try:
            return client.retrying(lambda t: call(client, t), self._deadline.remaining())
        except TransientApiError as exc:  # retried for the whole budget: ask no more
            self._unreachable = exc.message
            return CannotTell(f"could not read {what} from Codefresh: {exc.message}")
        except ApiError as exc:  # a refusal of this read alone (a pipeline not found)
            return CannotTell(f"could not read {what} from Codefresh: {exc.message}")


class NoHistory:
    """Nothing can be read (a DRY_RUN without CF_API_KEY): every read says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def pipeline(self, name: str) -> PipelineTriggers:
        raise CannotTell(self.reason)

    def last_success(self, pipeline_id: str, branch: str) -> LastBuild | None:
        raise CannotTell(self.reason)


def _or_raise(found: T | CannotTell) -> T:
    if isinstance(found, CannotTell):
        raise found
    return found
