"""Row and navigation labels the charts share: short, readable and unique.

A request row reads ``host/path``: ``www.`` dropped, a long host cut to its last labels, a long
path cut in the middle (the file name stays), the query elided to ``?…``. Rows that would still
read the same show as much of their query as tells them apart, then a running number.

Examples
--------
>>> import pandas as pd
>>> urls = pd.Series(["https://www.shop.test/img/card.png?id=1",
...                   "https://www.shop.test/img/card.png?id=2",
...                   "https://www.shop.test/img/card.png?id=2", "https://cdn.test/"])
>>> for label in request_labels(urls):
...     print(label)
shop.test/img/card.png?id=1
shop.test/img/card.png?id=2
shop.test/img/card.png?id=2 #2
cdn.test/
>>> nav_labels(pd.DataFrame({"url": ["https://shop.test/cart?x=1"], "nav_seq": [2]})).tolist()
['nav 2 · /cart?…']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Longest host, path and query shown (characters).
HOST_CHARS, PATH_CHARS, QUERY_CHARS = 24, 40, 16

_URL = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?P<host>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?"


def _cut_middle(text: pd.Series, limit: int) -> pd.Series:
    """``text`` longer than ``limit`` with its middle replaced by ``…`` (the end kept)."""
    long = text.str.len() > limit
    head = limit // 3
    tail = limit - head - 1
    cut = text.str.slice(0, head) + "…" + text.str.slice(-tail)
    return cut.where(long, text)


def _cut_host(host: pd.Series) -> pd.Series:
    host = host.str.replace(r"^www\.", "", regex=True)
    long = host.str.len() > HOST_CHARS
    return ("…" + host.str.slice(-(HOST_CHARS - 1))).where(long, host)


def _parts(urls: pd.Series) -> pd.DataFrame:
    parts = urls.astype(object).fillna("").astype(str).str.extract(_URL)
    return parts.fillna("")


def request_labels(urls: pd.Series) -> np.ndarray:
    """One unique, readable label per URL, in order (see the module docstring)."""
    parts = _parts(urls)
    host = _cut_host(parts["host"])
    path = _cut_middle(parts["path"].where(parts["path"] != "", "/"), PATH_CHARS)
    base = host + path
    short = base + np.where(parts["query"] != "", "?…", "")
    repeated = short.duplicated(keep=False) & (parts["query"] != "")
    with_query = base + "?" + _cut_middle(parts["query"], QUERY_CHARS)
    label = with_query.where(repeated, short)
    label = label.where(label != "", urls.astype(object).fillna("(no URL)").astype(str))
    number = label.groupby(label).cumcount().to_numpy() + 1
    suffix = np.where(number > 1, np.char.add(" #", number.astype(str)), "")
    return (label + suffix).to_numpy(dtype=object)


def nav_labels(frame: pd.DataFrame) -> pd.Series:
    """``nav <nav_seq> · <path>`` for each navigation row (query elided, path cut)."""
    parts = _parts(frame["url"])
    path = _cut_middle(parts["path"].where(parts["path"] != "", "/"), PATH_CHARS)
    path = path + np.where(parts["query"] != "", "?…", "")
    seq = frame["nav_seq"].astype("string").fillna("?")
    return ("nav " + seq + " · " + path).set_axis(frame.index)
