"""Where a child's log is kept, and the HTTP session that reads it there.

As Codefresh's own clients do it: the build's `progress` job names a `location`; a
`firebase` location (a running build) is read with a token from `firebaseAuth`, any other
(a finished build's storage link) is fetched at its `url` without the API key. Neither host
is CF_URL's, so they get their own `requests` session, which never carries the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.codefresh.answers import clean_text
from cfstep.codefresh.run_request import quote_segment
from cfstep.codefresh.transport import Timeouts, keyless_session
from cfstep.errors import CfstepError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    import requests

    from cfstep.codefresh.client import CodefreshClient

CONNECT_SECONDS = 5.0
FETCH_TIMEOUTS = Timeouts(connect=CONNECT_SECONDS, read=30.0, total=60.0)
"""A finished build's log, read whole: a storage link, or the log database read once. (The
live log's event stream has no total bound: it is open for as long as the child runs.)"""


class LogUnavailable(CfstepError):
    """The log cannot be read; said in one line, never an exit code."""


@dataclass(frozen=True)
class Location:
    kind: str  # "firebase" while the build runs; a storage type once it is archived
    url: str | None


@dataclass(frozen=True)
class FirebaseAuth:
    url: str
    token: str
    new_structure: bool

    def job_url(self, progress: str) -> str:
        root = self.url if self.new_structure else f"{self.url}/build-logs"
        return f"{root}/{quote_segment(progress)}"

    def credentials(self) -> list[str]:
        """What output must never show: the token and the database's address."""
        return [self.token, self.url]


def location(client: CodefreshClient, progress: str, timeout: float) -> Location:
    data = client.progress(progress, timeout)
    found = data.get("location") if isinstance(data, dict) else None
    kind = clean_text(found.get("type"), 64) if isinstance(found, dict) else None
    if not isinstance(found, dict) or not kind:
        raise LogUnavailable("the build's progress names no log location")
    return Location(kind, clean_text(found.get("url")) or None)


def firebase_auth(client: CodefreshClient, progress: str, timeout: float) -> FirebaseAuth:
    data = client.firebase_auth(progress, timeout)
    if not isinstance(data, dict):
        raise LogUnavailable("firebaseAuth gave no token")
    url, token = clean_text(data.get("url")), clean_text(data.get("accessToken"))
    if not url or not token:
        raise LogUnavailable("firebaseAuth gave no url or token")
    return FirebaseAuth(url.rstrip("/"), token, data.get("newStructure") is True)


def http_session(
    environ: Mapping[str, str], *, insecure: bool, ca_bundle: str | None
) -> requests.Session:
    """A session for the log hosts (README, "Live logs of the child"): proxies and CAs from
    the step's environment, never the API key."""
    return keyless_session(environ, insecure=insecure, ca_bundle=ca_bundle)
