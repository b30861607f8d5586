"""CF_URL and CF_API_KEY: where Codefresh's API is, and the key that opens it (README,
"Inputs"). Each reader gives the value and the notices the user should see about it, one
line each, printed before anything starts.
"""

from __future__ import annotations

import re

from cfstep.errors import InputError
from cfstep.model import DEFAULT_URL

CODEFRESH_KEY_LENGTH = 57
"""The length of a Codefresh API key: a 24-hex-digit key id, a dot and a 32-hex-digit secret
(the id is what Codefresh's API names the key by, `/api/auth/key/<id>`); the tokens it also
accepts (JWTs) are longer. A shorter key is a mistake, and masking its letters everywhere
would garble every message: it is masked only where it stands alone."""

# scheme://host[:port][path]: checked with `re` (loaded already) rather than urllib.parse,
# which the skip path would import for this alone; no user:password@ in a URL the key goes to.
_HTTP_URL = re.compile(
    r"(?i)(?P<origin>https?://(?:\[[0-9a-f:.]+\]|(?P<host>[^\s/?#@:\[\]]+))"
    r"(?::(?P<port>\d{1,5}))?)(?P<path>[/?#]\S*)?"
)
_API_PATH = re.compile(r"(?i)(?P<prefix>.*?)/api(?:/v\d+)?/*")


def api_key(text: str | None, *, dry_run: bool) -> tuple[str | None, list[str]]:
    """The key, and a warning when it cannot be a Codefresh key."""
    if not text and not dry_run:
        raise InputError(
            "CF_API_KEY: not set — Codefresh injects it into every step; "
            "outside a pipeline pass --api-key or export CF_API_KEY"
        )
    if text and not (text.isascii() and text.isprintable()):
        # It goes into an HTTP header, where the HTTP client would fail with a traceback.
        raise InputError(
            "CF_API_KEY: holds a line break, a control or non-ASCII character (value hidden) "
            "— copy the key again without extra characters"
        )
    notices = []
    if text and len(text) < CODEFRESH_KEY_LENGTH:
        notices.append(
            f"warning: CF_API_KEY looks too short to be a Codefresh key ({len(text)} "
            f"characters; Codefresh's API keys have {CODEFRESH_KEY_LENGTH}: an id, a dot and "
            "a secret) — copy the whole key from Codefresh's User Settings, API Keys; it is "
            "masked in this log only where it stands alone"
        )
    return text, notices


def url(text: str) -> tuple[str, list[str]]:
    """CF_URL checked, without its trailing `/` and without an `/api` that cfstep adds
    itself; a notice says when it was corrected or carries another path."""
    shown = re.sub(r"//[^/]*@", "//***@", text)  # never echo user:password
    match = _HTTP_URL.fullmatch(text.rstrip("/"))
    if match is None or int(match["port"] or 1) not in range(1, 65536):
        raise InputError(
            f"CF_URL: {shown!r} is not an http(s) URL — give the Codefresh address, "
            f"e.g. {DEFAULT_URL}"
        )
    if not text.isascii() or not text.isprintable():
        raise InputError(
            f"CF_URL: {shown!r} holds a non-ASCII or control character — percent-encode it, "
            "and write an international host name in its xn-- form"
        )
    labels = (match["host"] or "").rstrip(".").split(".")
    if match["host"] and not all(1 <= len(label) <= 63 for label in labels):
        raise InputError(
            f"CF_URL: {shown!r} has an invalid host name (each dot-separated part must be 1 "
            "to 63 characters) — check the address"
        )
    return _without_api_path(shown, match["origin"], match["path"] or "")


def _without_api_path(shown: str, origin: str, path: str) -> tuple[str, list[str]]:
    """Requests go to `CF_URL/api/…`: a CF_URL that ends in `/api` would send them to
    `/api/api/…`, which answers 404 as if the pipeline did not exist."""
    if "?" in path or "#" in path:
        raise InputError(
            f"CF_URL: {shown!r} has a query or a fragment — give the address alone, e.g. {origin}"
        )
    api = _API_PATH.fullmatch(path)
    if api is not None:
        fixed = origin + api["prefix"]
        return fixed, [
            f"CF_URL: {shown!r} ends in {path[len(api['prefix']) :]!r}, which cfstep adds "
            f"itself: using {fixed}"
        ]
    if not path:
        return origin, []
    if origin.lower() == DEFAULT_URL:
        # Codefresh's own service answers at its root: a path is a page's address pasted.
        raise InputError(
            f"CF_URL: {shown!r} has a path ({path}) — give the address alone: {DEFAULT_URL}"
        )
    return origin + path, [
        f"CF_URL: {shown!r} has a path: requests go to {origin + path}/api/… — give the "
        "address alone unless your Codefresh is served under that path"
    ]
