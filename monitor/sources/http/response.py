"""What a request returns: :class:`Response` (fully read) and :class:`Validators` (conditional GET)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDictProxy

from monitor.errors import SourceError
from monitor.sources.encoding import charset_of
from monitor.sources.http.shapes import redact_url
from monitor.sources.text import html_to_text, truncate

__all__ = ["Response", "Validators"]



@dataclass(frozen=True, slots=True)
class Validators:
    """ETag / Last-Modified of the last full response, sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out

    def to_cursor(self) -> dict[str, str]:
        """JSON-serialisable form for a source cursor (empty values left out)."""
        return {k: v for k, v in (("etag", self.etag), ("last_modified", self.last_modified)) if v}

    @classmethod
    def from_cursor(cls, data: Any) -> Validators:
        if not isinstance(data, dict):
            return cls()
        etag, modified = data.get("etag"), data.get("last_modified")
        return cls(etag if isinstance(etag, str) else None, modified if isinstance(modified, str) else None)


# --------------------------------------------------------------------------- response


@dataclass(slots=True)
class Response:
    """A fully read response. ``json()`` / ``text()`` decode; ``not_modified`` is a 304."""

    source: str
    method: str
    url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    sent_validators: Validators | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The ``charset`` the Content-Type header declares (lower-case), or None."""
        return charset_of(self.headers.get("Content-Type"))

    @property
    def language(self) -> str | None:
        """The first language of the ``Content-Language`` header (``en-US, de`` -> ``en-US``), or None."""
        first = self.headers.get("Content-Language", "").split(",")[0].strip()
        return first or None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def validators(self) -> Validators:
        """Validators to send next time; a 304 keeps the ones we sent unless it brings new ones."""
        prev = self.sent_validators or Validators()
        return Validators(
            self.headers.get("ETag") or prev.etag,
            self.headers.get("Last-Modified") or prev.last_modified,
        )

    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, val = part.strip().partition("=")
            if key.lower() == "charset" and val:
                charset = val.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def snippet(self, limit: int = 200) -> str:
        """A readable start of the body for error messages (HTML reduced to its text)."""
        text = self.text()
        if "html" in self.content_type or text.lstrip().startswith("<"):
            text = html_to_text(text)
        return truncate(" ".join(text.split()), limit) or "(empty body)"

    def json(self) -> Any:
        """Decode JSON, or raise a SourceError naming the URL and what came instead."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            pass
        ctype = self.content_type or "no content type"
        raise SourceError(
            f"{self.source}: {self.method} {redact_url(self.url)} returned {ctype} instead of JSON "
            f"(HTTP {self.status}): {self.snippet()}",
            retryable=True,
        )


