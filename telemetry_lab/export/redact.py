"""Credentials out of what leaves the toolkit (HAR): headers, URLs and request bodies.

Pure functions on strings. What counts as a credential:

- headers: ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``,
  ``Cookie2``, ``Set-Cookie2``, ``X-Api-Key``, ``X-Auth-Token``, ``X-CSRF-Token``,
  ``X-Amz-Security-Token`` and any header ending in ``-token``, ``-key`` or ``-secret``: the
  whole value goes;
- URLs (also in ``Referer``, ``Location``, ``Content-Location`` and redirect targets): the
  userinfo (``user:password@``), and the values of sensitive query and fragment parameters;
- form (``a=1&b=2``), JSON and multipart request bodies: the values of sensitive fields.

A parameter or field is sensitive when its name contains ``token``, ``secret``, ``passw``,
``session``, ``credential``, ``signature``, ``apikey``, ``auth`` or starts with ``x-amz-``, or
when one of its words (split at ``_ - .`` and camelCase) is ``key``, ``sig``, ``code``,
``pwd``, ``pass``, ``sid``, ``jwt``, ``otp`` or ``nonce``.

Examples
--------
>>> redact_url("https://ann:pw@a.test/cb?code=42&page=2#access_token=abc&state=s")
'https://redacted@a.test/cb?code=[redacted]&page=2#access_token=[redacted]&state=s'
>>> redact_body('{"user": "ann", "password": "hunter2"}', "application/json")
'{"user": "ann", "password": "[redacted]"}'
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

REDACTED = "[redacted]"
#: What replaces URL userinfo (no brackets: they would read as an IPv6 host).
REDACTED_USERINFO = "redacted"
#: Headers whose whole value is a credential (compared case-insensitively).
SECRET_HEADERS: frozenset[str] = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "cookie2", "set-cookie2",
    "x-api-key", "x-auth-token", "x-csrf-token", "x-amz-security-token",
})
SECRET_HEADER_SUFFIXES = ("-token", "-key", "-secret")
#: Headers whose value is a URL, redacted as one.
URL_HEADERS: frozenset[str] = frozenset({"referer", "location", "content-location"})
_ROOTS = ("token", "secret", "passw", "session", "credential", "signature", "apikey", "auth")
_WORDS = frozenset({"key", "sig", "code", "pwd", "pass", "sid", "jwt", "otp", "nonce"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_MULTIPART_FIELD = re.compile(
    r'(Content-Disposition:[^\r\n]*\bname="([^"]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)'
    r"(.*?)(?=\r?\n--)", re.IGNORECASE | re.DOTALL)


def sensitive(name: str) -> bool:
    """Whether a query parameter or body field called ``name`` holds a credential.

    Examples
    --------
    >>> [sensitive(n) for n in ("access_token", "apiKey", "X-Amz-Date", "page", "zipcode")]
    [True, True, True, False, False]
    """
    lower = name.lower()
    if lower.startswith("x-amz-") or any(root in lower for root in _ROOTS):
        return True
    return any(word.lower() in _WORDS for word in _WORD.findall(name))


def secret_header(name: str) -> bool:
    """Whether the whole value of header ``name`` is a credential."""
    lower = name.lower()
    return lower in SECRET_HEADERS or lower.endswith(SECRET_HEADER_SUFFIXES)


def _pairs(text: str) -> str:
    """``a=1&b=2`` with the values of sensitive names replaced (the rest byte for byte)."""
    out = []
    for part in text.split("&"):
        name, eq, _ = part.partition("=")
        out.append(f"{name}={REDACTED}" if eq and sensitive(unquote_plus(name)) else part)
    return "&".join(out)


def redact_url(url: str) -> str:
    """``url`` without userinfo and with sensitive query and fragment values replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED_USERINFO}@{netloc.rpartition('@')[2]}"
    fragment = _pairs(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, _pairs(parts.query), fragment))


def redact_header(name: str, value: str) -> str:
    """The value of header ``name`` as it may be exported."""
    if secret_header(name):
        return REDACTED
    if name.lower() in URL_HEADERS:
        return redact_url(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if sensitive(str(k)) and not isinstance(v, dict | list) else
                _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def redact_body(text: str, mime_type: str) -> str:
    """A request body with the values of sensitive fields replaced.

    JSON (by type, or text that parses as a JSON object or array), multipart form data, and
    anything else shaped like ``a=1&b=2`` are understood; other text is kept as it is.
    """
    kind = mime_type.lower()
    if "multipart/" in kind:
        return _MULTIPART_FIELD.sub(
            lambda m: m.group(1) + (REDACTED if sensitive(m.group(2)) else m.group(3)), text)
    if "json" in kind or text.lstrip()[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except ValueError:
            pass
        else:
            clean = _json(value)
            return text if clean == value else json.dumps(clean, ensure_ascii=False)
    if "=" in text and "\n" not in text.strip():
        return _pairs(text.strip())
    return text


__all__ = ["REDACTED", "REDACTED_USERINFO", "redact_body", "redact_header", "redact_url",
           "sensitive"]
