"""CF_URL and CF_API_KEY as read (`cfstep.inputs.access`)."""

from __future__ import annotations

import pytest

from cfstep.errors import InputError
from cfstep.inputs import access

KEY = "65f0c0ffee0123456789abcd.0123456789abcdef0123456789abcdef"  # a key's shape


def test_a_key_of_codefreshs_length_draws_no_warning() -> None:
    assert len(KEY) == access.CODEFRESH_KEY_LENGTH
    assert access.api_key(KEY, dry_run=False) == (KEY, [])


@pytest.mark.parametrize("key", ["x", "demo", KEY[:-1]])
def test_a_shorter_key_draws_one_warning(key: str) -> None:
    value, notices = access.api_key(key, dry_run=False)
    assert value == key
    (line,) = notices
    assert line.startswith("warning: CF_API_KEY looks too short to be a Codefresh key")
    assert f"({len(key)} characters" in line
    assert key not in line.replace("CF_API_KEY", "").replace("Codefresh", "")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("https://g.codefresh.io", "https://g.codefresh.io"),
        ("https://g.codefresh.io/", "https://g.codefresh.io"),
        ("https://g.codefresh.io/api", "https://g.codefresh.io"),
        ("https://g.codefresh.io/api/", "https://g.codefresh.io"),
        ("https://G.codefresh.io/API", "https://G.codefresh.io"),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080"),
        ("https://cf.corp.example/codefresh/api", "https://cf.corp.example/codefresh"),
        ("https://cf.corp.example/codefresh", "https://cf.corp.example/codefresh"),
    ],
)
def test_the_url_requests_go_under(given: str, used: str) -> None:
    url, _ = access.url(given)
    assert url == used


def test_an_api_path_is_corrected_with_a_notice() -> None:
    _, notices = access.url("https://g.codefresh.io/api")
    assert notices == [
        "CF_URL: 'https://g.codefresh.io/api' ends in '/api', which cfstep adds itself: "
        "using https://g.codefresh.io"
    ]


def test_another_path_on_an_own_host_is_kept_with_a_notice() -> None:
    _, notices = access.url("https://cf.corp.example/codefresh")
    (line,) = notices
    assert "requests go to https://cf.corp.example/codefresh/api/…" in line


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("https://g.codefresh.io/build/65f0c0ffee", "has a path (/build/65f0c0ffee)"),
        ("https://g.codefresh.io/?account=x", "has a query or a fragment"),
        ("https://cf.corp.example/#builds", "has a query or a fragment"),
        ("https://user:pw@cf.corp.example/", "is not an http(s) URL"),
    ],
)
def test_a_path_on_codefreshs_own_host_is_refused_with_the_fix(given: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        access.url(given)
    assert says in caught.value.message
    assert " — give " in caught.value.message
    assert "pw" not in caught.value.message
