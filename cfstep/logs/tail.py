"""The last lines of a finished child's log, read where Codefresh keeps it.

The progress job's `location` says where: a storage link (`url`) is fetched without the API
key, as Codefresh's own CLI does (it is often another host); a `firebase` location is read
once. The log is read as it arrives (`cfstep.logs.stored`): only the last lines are kept,
so memory is bounded by LOG_TAIL, not by the length of the log; a log over MAX_LOG_BYTES is
not read to its end: the build's page has it.
"""

from __future__ import annotations

from cfstep.codefresh import transport
from cfstep.codefresh.failures import BodyTooLarge, TransportError
from cfstep.errors import Cancelled, CfstepError
from cfstep.logs import location
from cfstep.logs.location import LogUnavailable

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TypeVar

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console

    T = TypeVar("T")

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
    # Only a failed child's log pays for the reader (a trigger never does).
    from cfstep.logs import stored

    return _read(
        client,
        session,
        console,
        progress,
        lambda chunks, as_text: stored.last_lines(chunks, count, as_text=as_text),
    )


def line_count(
    client: CodefreshClient, session: requests.Session, console: Console, progress: str
) -> int:
    """How many lines the log has now, counted as the live log counts them."""
    from cfstep.logs import stored  # only a live log that fell behind counts its lines

    return _read(
        client,
        session,
        console,
        progress,
        lambda chunks, as_text: stored.line_count(chunks, as_text=as_text),
    )


def _read(
    client: CodefreshClient,
    session: requests.Session,
    console: Console,
    progress: str,
    parse: Callable[[Iterator[bytes], bool], T],
) -> T:
    """The log read by `parse`; the session is closed after, whatever happened."""
    from cfstep.logs.stored import NotJson  # loaded by the caller already

    try:
        url, params = _where(client, console, progress)
        try:
            return parse(_fetch(session, url, params), False)
        except NotJson:  # it began like JSON and is not: read again, as text
            return parse(_fetch(session, url, params), True)
    finally:
        session.close()


def _where(client: CodefreshClient, console: Console, progress: str) -> tuple[str, dict[str, str]]:
    """The log's URL and query (a token for the log database, kept secret)."""
    where = location.location(client, progress, API_SECONDS)
    if where.kind == "firebase":
        auth = location.firebase_auth(client, progress, API_SECONDS)
        console.add_secrets(auth.credentials())
        return auth.job_url(progress) + "/steps.json", {"auth": auth.token}
    if where.url is not None:
        return where.url, {}
    raise LogUnavailable(f"its {where.kind!r} location has no url")


def _fetch(session: requests.Session, url: str, params: dict[str, str]) -> Iterator[bytes]:
    """The log's bytes as they arrive (it is read as it comes, never held whole), under one
    total time bound like every request of the step, and never with the API key (the
    session has none)."""
    target = transport.with_query(url, params)
    try:
        with transport.bounded(session, "GET", target, timeouts=location.FETCH_TIMEOUTS) as answer:
            if answer.status != 200:
                raise LogUnavailable(f"the log's location answered {answer.status}")
            size = 0
            for chunk in answer.chunks():
                size += len(chunk)
                if size > MAX_LOG_BYTES:
                    raise BodyTooLarge("over the log's limit", maybe_processed=True)
                yield chunk
    except BodyTooLarge:
        raise LogUnavailable(f"it is over {MAX_LOG_BYTES // 2**20} MB") from None
    except TransportError as exc:  # its words never hold the URL, and so the token
        raise LogUnavailable(f"the log's location cannot be read ({exc})") from None


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
    console.say(f"last {len(tail)} log lines of {build_id}:")
    console.say_lines([f"  | {line}" for line in tail])
