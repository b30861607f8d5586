"""The proxy's `user:password` pair is among the values masked from the start: a proxy's
Basic authentication is its base64, which a proxy's 407 page may echo back."""

from __future__ import annotations

import pytest

from cfstep import cli


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HTTPS_PROXY": "http://u:pw1@proxy:3128"}, ["u:pw1"]),
        ({"http_proxy": "http://us%40r:p%2Fw@proxy:3128/"}, ["us%40r:p%2Fw", "us@r:p/w"]),
        ({"ALL_PROXY": "socks5://u:pw:with:colons@proxy"}, ["u:pw:with:colons"]),
        ({"HTTP_PROXY": "http://u@proxy:3128", "HTTPS_PROXY": "http://u:@proxy"}, []),
        ({"HTTP_PROXY": "http://proxy:3128"}, []),
    ],
)
def test_proxy_credentials(environ: dict[str, str], expected: list[str]) -> None:
    assert cli.proxy_credentials(environ) == expected


def test_the_pair_is_masked_from_the_start() -> None:
    environ = {"HTTPS_PROXY": "http://builder:s3cret-pw@proxy:3128"}
    assert "builder:s3cret-pw" in cli._secret_candidates([], environ)
