"""The last lines of a finished child's log, read where Codefresh keeps it.

The progress job's `location` says where: a storage link (`url`) is fetched without the API
key, as Codefresh's own CLI does (it is often another host); a `firebase` location is read
once. Only the last lines are kept as the log is read, and a log over MAX_LOG_BYTES is not
read at all: the build's page has it.
"""

from __future__ import annotations

import json
from collections import deque

from cfstep.codefresh import transport
from cfstep.codefresh.failures import BodyTooLarge, TransportError
from cfstep.errors import Cancelled, CfstepError
from cfstep.logs import location
from cfstep.logs.location import LogUnavailable

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console

MAX_LOG_BYTES = 32 * 1024 * 1024
API_SECONDS = 15.0


def last_lines(
    client: CodefreshClient,
    session: requests.Session,
    console: Console,
    progress: str,
    count: int,
) -> list[str]:
    """The log's last `count` lines, step banners included; LogUnavailable if it cannot
    be read (the caller says so, and the exit code stays the child's)."""
    where = location.location(client, progress, API_SECONDS)
    if where.kind == "firebase":
        auth = location.firebase_auth(client, progress, API_SECONDS)
        console.add_secrets(auth.credentials())
        url, params = auth.job_url(progress) + "/steps.json", {"auth": auth.token}
    elif where.url is not None:
        url, params = where.url, {}
    else:
        raise LogUnavailable(f"its {where.kind!r} location has no url")
    body = _fetch(session, url, params)
    try:
        return list(deque(_lines(body), maxlen=count))
    except RecursionError:  # JSON nested deeper than any log: not a bug of the step
        raise LogUnavailable("it nests too deep to read") from None


def _fetch(session: requests.Session, url: str, params: dict[str, str]) -> bytes:
    """The log, read under one total time bound like every request of the step, and
    never with the API key (the session has none)."""
    target = transport.with_query(url, params)
    try:
        with transport.bounded(session, "GET", target, timeouts=location.FETCH_TIMEOUTS) as answer:
            if answer.status != 200:
                raise LogUnavailable(f"the log's location answered {answer.status}")
            return answer.read(MAX_LOG_BYTES)
    except BodyTooLarge:
        raise LogUnavailable(f"it is over {MAX_LOG_BYTES // 2**20} MB") from None
    except TransportError as exc:  # its words never hold the URL, and so the token
        raise LogUnavailable(f"the log's location cannot be read ({exc})") from None


def _lines(body: bytes) -> Iterator[str]:
    """A stored log is JSON steps (`{steps: [...]}` or Firebase's `{key: step}`); plain
    text is taken line by line."""
    try:
        data = json.loads(body)
    except ValueError:
        yield from body.decode("utf-8", "replace").splitlines()
        return
    steps = data.get("steps", data) if isinstance(data, dict) else data
    yield from _step_lines(steps.values() if isinstance(steps, dict) else steps)


def _step_lines(steps: Iterable[object]) -> Iterator[str]:
    # Only a tail read from the log database pays for the tree (a trigger never does).
    from cfstep.logs.tree import LogTree

    tree = LogTree()
    updates: dict[str, object] = {}
    for number, step in enumerate(steps):
        if isinstance(step, dict):
            logs = step.get("logs")
            if isinstance(logs, list):  # a list keeps its order: number its items
                logs = {f"{i:012d}": text for i, text in enumerate(logs)}
            updates[f"{number:06d}"] = {**step, "logs": logs or {}}
    yield from tree.put("/", updates)


def show(
    console: Console,
    client: CodefreshClient,
    session: requests.Session,
    *,
    progress: str | None,
    build_id: str,
    url: str,
    count: int,
) -> None:
    """Print a failed build's last `count` lines, or one line saying where to read them."""
    if count <= 0:
        return
    if progress is None:
        console.say(f"could not read the child's log (no progress id); see {url}")
        return
    try:
        tail = last_lines(client, session, console, progress, count)
    except Cancelled:  # a signal is not a log we cannot read: the step stops
        raise
    except CfstepError as exc:  # a log we cannot read must not hide the child's result
        console.say(f"could not read the child's log ({exc.message}); see {url}")
        return
    finally:
        session.close()
    console.say(f"last {len(tail)} log lines of {build_id}:")
    console.say_lines([f"  | {line}" for line in tail])
