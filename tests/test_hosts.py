"""Which Host values links may be built from, and the base URL built from them (web/hosts.py)."""

from __future__ import annotations

import pytest

from feedsvc.web.hosts import BadHost, check_host, request_base_url

# 253 characters: the longest name DNS allows (RFC 1035 §3.1: 255 octets on the wire), and 254 with the
# trailing dot of its fully qualified form.
LONGEST = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])

VALID = [
    "example.com", "localhost", "localhost:8000", "a-b.example", "EXAMPLE.COM", "xn--kontum-9ta.vn",
    "example.com.",  # the fully qualified form, trailing dot
    "example.com.:8080", "a", "1.example", "a" * 63 + ".vn", LONGEST, LONGEST + ".",
    "127.0.0.1", "127.0.0.1:65535", "192.168.1.10:1",
    "[::1]", "[::1]:8080", "[2001:db8::1]", "[2001:db8::1]:443", "[::ffff:192.0.2.1]",
]
INVALID = [
    "", ".", "-.-", "a..b", ".example.com", "example..com", "-a.com", "a-.com", "ex_ample.com", "exa mple.com",
    " example.com", "example.com ", "a" * 64 + ".vn", LONGEST + "e", LONGEST + ".e",
    "example.com:0", "example.com:99999", "example.com:065", "example.com:", "example.com:80:80", "example.com:-1",
    "example.com:+80", "example.com:8o", "example.com:٨٠",  # Arabic-Indic digits are digits to int(), not to a port
    "example.com/..", "example.com/path", "user@example.com", "example.com?x", "example.com#x", "évil.com",
    "[:::::]", "[::1", "::1", "[::1]x", "[::1]:", "[::1]:0", "[::1]:99999", "[]", "[example.com]", "[1.2.3.4]",
    "example.com\n", "example.com:80\n", "[::1]\n",
    '[::1%"><script>]', "[fe80::1%eth0 x]", "[::1%]",  # IPv6 zone ids: not in a Host header (RFC 9110 §7.2)
]


def shown(host: str) -> str:
    return repr(host) if len(host) < 40 else f"{host[:6]}...{host[-6:]}({len(host)})"


@pytest.mark.parametrize("host", VALID, ids=shown)
def test_a_valid_host_is_given_back_unchanged(host):
    assert check_host(host) == host


@pytest.mark.parametrize("host", INVALID, ids=shown)
def test_a_forged_or_malformed_host_is_refused(host):
    with pytest.raises(BadHost):
        check_host(host)
    with pytest.raises(BadHost):
        request_base_url("http", host)


@pytest.mark.parametrize("scheme, host, base", [
    ("http", "example.com", "http://example.com"),
    ("http", "example.com:80", "http://example.com"),  # the default port is dropped
    ("https", "example.com:443", "https://example.com"),
    ("http", "example.com:443", "http://example.com:443"),  # but not another scheme's default
    ("https", "example.com:80", "https://example.com:80"),
    ("http", "example.com:8080", "http://example.com:8080"),
    ("http", "example.com:180", "http://example.com:180"),
    ("https", "example.com:1443", "https://example.com:1443"),
    ("http", "[::1]:80", "http://[::1]"),
    ("https", "[2001:db8::1]:443", "https://[2001:db8::1]"),
    ("http", "[::80]", "http://[::80]"),
    ("http", "127.0.0.1:80", "http://127.0.0.1"),
    ("http", "example.com.", "http://example.com."),
])
def test_the_base_url_is_the_scheme_and_host_without_a_default_port(scheme, host, base):
    assert request_base_url(scheme, host) == base


@pytest.mark.parametrize("scheme", ["ftp", "javascript", "data", "file", "", "http:", "https://", "ws", " http"])
def test_a_scheme_other_than_http_or_https_is_refused(scheme):
    with pytest.raises(BadHost):
        request_base_url(scheme, "example.com")


def test_a_bad_host_is_a_value_error_with_a_short_reason():
    with pytest.raises(ValueError, match="invalid Host header") as caught:
        check_host("x" * 5000)
    assert len(str(caught.value)) < 200  # a huge header is not echoed back whole
