"""Where a request goes and how it is trusted: proxies, CAs, the key's header.

- The key: as Codefresh's SDK sends it, a JWT in `x-access-token`, any other key in
  `Authorization`.
- TLS is verified against CA_BUNDLE, else REQUESTS_CA_BUNDLE, else certifi's CAs; INSECURE
  turns verification off (the step says so once).
- Proxies (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY, either case, `user:password@` included) come
  from the environment the step was given, resolved with requests' own helpers; no session
  trusts the process environment, so `main(environ=...)` is the whole truth.

The API's session and the keyless session that reads a child's log
(`cfstep.codefresh.transport`) are both set up from these.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from requests.utils import should_bypass_proxies

from cfstep import __version__
from cfstep.documents import check_ca_bundle

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping

USER_AGENT = f"cfstep/{__version__}"


def auth_header(api_key: str) -> dict[str, str]:
    """As Codefresh's SDK sends the key: a JWT (three base64url parts, the first a JSON
    object) in `x-access-token`, any other key in `Authorization`."""
    return {("x-access-token" if is_jwt(api_key) else "Authorization"): api_key}


def is_jwt(key: str) -> bool:
    parts = key.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return False
    head = parts[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        header = json.loads(decoded)
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return False
    return isinstance(header, dict)


def tls_verify(insecure: bool, ca_bundle: str | None, environ: Mapping[str, str]) -> bool | str:
    """requests' `verify`: False with INSECURE, else the first of CA_BUNDLE,
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (as requests reads them), else certifi's CAs."""
    if insecure:
        return False
    if ca_bundle:
        return ca_bundle
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        path = environ.get(name, "").strip()
        if path:
            check_ca_bundle(name, path)
            return path
    return True


def proxies_for(url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The proxies requests would use for `url` if `environ` were the process environment:
    `<scheme>_proxy` and `all_proxy` (lower case first, as requests), none when NO_PROXY
    covers the host (requests' own matching: names, suffixes, host:port, CIDR; and
    `address:port` for an IP address too, which requests leaves out)."""
    no_proxy = _proxy_variable(environ, "no_proxy")
    if _address_with_port_listed(url, no_proxy) or should_bypass_proxies(url, no_proxy=no_proxy):
        return {}
    return {
        scheme: value
        for scheme in ("http", "https", "all")
        if (value := _proxy_variable(environ, f"{scheme}_proxy"))
    }


def _address_with_port_listed(url: str, no_proxy: str) -> bool:
    """`127.0.0.1:8080` (or `[::1]:8080`) in NO_PROXY for a URL on that address and port:
    requests matches `host:port` for host names only, and compares an IP address without
    its port."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number: no entry can name it
        return False
    if not host or port is None:
        return False
    written = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return written in {entry.lower() for entry in no_proxy.replace(" ", "").split(",")}


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _proxy_variable(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name) or environ.get(name.upper()) or "").strip()
