"""requests' plumbing under the step's sessions (`cfstep.codefresh.transport`): connections
that tell the request's watchdog which socket they are on, so that it can cut a blocked
one, and a session that trusts nothing of the process environment.
"""

from __future__ import annotations

import threading

import requests
import urllib3
from requests.adapters import HTTPAdapter

from cfstep.codefresh.network import USER_AGENT, proxies_for

TYPE_CHECKING = False  # not from typing: a run never imports typing itself
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


sending = threading.local()  # .watch: the _Watch of the request this thread is sending


def _watched(connection: urllib3.connection.HTTPConnection) -> None:
    watch = getattr(sending, "watch", None)
    if watch is not None:
        watch.connection = connection
        if watch.was_cut:  # cut while connecting: the request must not go on
            watch.cut()


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)  # also a kept-alive connection, which connects no more
        super().request(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, whose connections tell the watchdog which socket to cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has connection classes of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager


class Http(requests.Session):
    """requests' session, trusting nothing of the process environment: the proxies
    `environ` gives for each URL (NO_PROXY matched per host: a log can move to another
    host), its CAs, watched connections."""

    def __init__(self, environ: Mapping[str, str], verify: bool | str) -> None:
        super().__init__()
        self.trust_env = False  # no .netrc, no process proxies: `environ` is the whole truth
        self.verify = verify
        self.headers["User-Agent"] = USER_AGENT
        self._environ = environ
        self._proxies: dict[str, dict[str, str]] = {}  # by scheme://host:port
        for prefix in ("http://", "https://"):
            self.mount(prefix, WatchedAdapter())
        if verify is False:  # INSECURE: the step has said so once; not a warning per request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if not kwargs.get("proxies"):
            kwargs["proxies"] = self._proxies_for(request.url or "")
        return super().send(request, **kwargs)

    def _proxies_for(self, url: str) -> dict[str, str]:
        origin = "/".join(url.split("/", 3)[:3])
        if origin not in self._proxies:
            self._proxies[origin] = proxies_for(url, self._environ)
        return self._proxies[origin]
