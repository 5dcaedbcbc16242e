"""URLs and sites: the parts of a URL, and the registrable domain that decides third party.

The registrable domain (eTLD+1: ``example.co.uk`` for ``static.shop.example.co.uk``) comes from
the Public Suffix List bundled with the ``publicsuffixlist`` package: nothing is fetched at run
time.

Examples
--------
>>> import pandas as pd
>>> parts = url_parts(pd.Series(["https://cdn.example.co.uk:8443/a/b.js?v=1", "data:,hi"]))
>>> parts
  scheme                    host     path
0  https  cdn.example.co.uk:8443  /a/b.js
1   data                    <NA>     <NA>
"""

from __future__ import annotations

import ipaddress
from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from publicsuffixlist import PublicSuffixList

from telemetry_lab.metrics.columns import STRING

_URL = (
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):"
    r"(?://(?:[^@/?#]*@)?(?P<host>[^/?#]*))?(?P<path>[^?#]*)"
)


def _hostname(host: str) -> str:
    """``host`` without port or IPv6 brackets, lower case."""
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.rpartition(":")[0].lower() if host.count(":") == 1 else host.lower()


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


@cache
def registrable_domain(host: str) -> str:
    """The registrable domain (eTLD+1) of ``host`` from the bundled Public Suffix List.

    An IP address or a name with no registrable part (``localhost``, a bare public suffix) is
    its own domain. The list ships with the ``publicsuffixlist`` package: no network access.

    Examples
    --------
    >>> registrable_domain("static.shop.example.co.uk:8443"), registrable_domain("127.0.0.4:80")
    ('example.co.uk', '127.0.0.4')
    """
    name = _hostname(host).rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return _suffixes().privatesuffix(name) or name


def domains(hosts: pd.Series) -> pd.Series:
    """:func:`registrable_domain` of every host, computed once per distinct host."""
    names = {h: registrable_domain(h) for h in hosts.dropna().unique()}
    return hosts.map(names).astype(STRING)


def url_parts(urls: pd.Series) -> pd.DataFrame:
    """``scheme``, ``host`` (null without an authority) and ``path`` of each URL."""
    parts = pc.extract_regex(pa.array(urls.astype(STRING)), _URL)
    authority = pc.struct_field(parts, "host")
    host = pc.if_else(pc.equal(authority, ""), None, authority)
    path = pc.if_else(host.is_null(), None, pc.struct_field(parts, "path"))
    columns = {"scheme": pc.struct_field(parts, "scheme"), "host": host, "path": path}
    return pd.DataFrame(
        {name: pd.arrays.ArrowExtensionArray(array) for name, array in columns.items()},
        index=urls.index,
    )
