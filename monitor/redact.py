"""One way to show a URL: credentials never leave in logs, /healthz, the store or alerts.

A source URL may carry a password (``https://user:pass@host/feed``) or a key in its query
(``?api_key=...``). :func:`redact_url` is how a URL is shown; :func:`redact_text` applies
the same to URLs inside free text (error messages, log lines) as the last line of
defence; :func:`strip_userinfo` is for URLs that are used, not shown (a feed's base URL
for resolving relative links must not carry the password into stored post links).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset(
    {"key", "api_key", "apikey", "access_token", "token", "client_secret", "password", "sig", "signature",
     "secret", "auth", "pass", "passwd", "pwd"}
)
MASK = "***"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@\"'<>]*@")
_QUERY_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r")=)"
                           r"[^&#\s\"'<>]+")


def redact_url(url: str) -> str:
    """The URL with its userinfo (``user:pass@``) and secret-looking query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs])
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def strip_userinfo(url: str) -> str:
    """The URL without ``user:pass@`` (for URLs that are used as a base, never for requests)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\1", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def redact_text(text: str) -> str:
    """Every URL in ``text`` with its credentials masked."""
    if "@" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    if "=" in text:
        text = _QUERY_SECRET.sub(rf"\1{MASK}", text)
    return text
