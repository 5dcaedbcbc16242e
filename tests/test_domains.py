"""URL parts and registrable domains (the Public Suffix List, offline)."""

from __future__ import annotations

import pandas as pd
import pytest

from telemetry_lab.metrics.domains import domains, registrable_domain, url_parts


@pytest.mark.parametrize(("host", "domain"), [
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("a.b.example.com:8443", "example.com"),
    ("user.github.io", "user.github.io"),
    ("[::1]:8080", "::1"),
    ("192.168.0.10", "192.168.0.10"),
    ("localhost:3000", "localhost"),
    ("Example.COM.", "example.com"),
])
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_url_parts_keeps_the_port_and_drops_credentials_query_and_fragment() -> None:
    urls = pd.Series(["http://u:p@127.0.0.1:80/a/b?x=1#f", "https://[::1]:8080/p",
                      "about:blank", None, "wss://live.example.com"], index=[5, 6, 7, 8, 9])
    parts = url_parts(urls)
    assert parts.index.tolist() == [5, 6, 7, 8, 9]
    assert parts["scheme"].tolist()[:3] == ["http", "https", "about"]
    assert parts["host"].tolist()[:2] == ["127.0.0.1:80", "[::1]:8080"]
    assert parts["path"].tolist()[:2] == ["/a/b", "/p"]
    assert parts.loc[7, ["host", "path"]].isna().all()
    assert parts.iloc[3].isna().all()
    assert parts.loc[9, "path"] == ""


def test_domains_maps_each_host_and_keeps_nulls() -> None:
    hosts = pd.Series(["a.example.com", None, "b.example.com:81", "x.co.uk"])
    assert domains(hosts).tolist()[:1] + domains(hosts).tolist()[2:] == [
        "example.com", "example.com", "x.co.uk"]
    assert pd.isna(domains(hosts)[1])
