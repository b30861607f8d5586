"""Where a request goes: NO_PROXY's `address:port` entries hold for IP addresses too."""

from __future__ import annotations

import pytest

from cfstep.codefresh.network import proxies_for

PROXY = {"HTTP_PROXY": "http://proxy:3128", "HTTPS_PROXY": "http://proxy:3128"}


@pytest.mark.parametrize(
    ("url", "no_proxy", "bypassed"),
    [
        ("http://127.0.0.1:8080/api", "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080/api", "localhost, 127.0.0.1:8080", True),
        ("http://127.0.0.1:8081/api", "127.0.0.1:8080", False),
        ("http://127.0.0.1/api", "127.0.0.1:80", True),
        ("https://10.1.2.3/api", "10.1.2.3:443", True),
        ("https://10.1.2.3/api", "10.1.2.3:80", False),
        ("http://[::1]:8080/api", "[::1]:8080", True),
        ("http://127.0.0.1:8080/api", "127.0.0.1", True),  # requests': the address alone
        ("http://10.1.2.3:8080/api", "10.0.0.0/8", True),  # requests': a network
        ("https://cf.corp.example:8443/api", "cf.corp.example:8443", True),  # requests'
        ("http://127.0.0.1:8080/api", "", False),
    ],
)
def test_no_proxy_entries(url: str, no_proxy: str, bypassed: bool) -> None:
    found = proxies_for(url, {**PROXY, "NO_PROXY": no_proxy})
    assert (found == {}) is bypassed
