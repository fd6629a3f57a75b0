"""Post-level field tests (``source:``, ``kind:``, ``lang:``, ``author:``, ``site:``).

Shared by both evaluators: these are the definitions of what a field filter means,
not an optimisation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from monitor.models import Post
from monitor.nlp.lang import detect_lang


def post_lang(post: Post) -> str:
    """The post's language tag, lower-case; guessed (monitor.nlp.lang, as the sentiment router does) when
    the post has none."""
    return (post.lang or detect_lang(post.text if not post.title else f"{post.title} {post.text}")).lower()


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


def _domain_match(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def field_matches(post: Post, name: str, value: str) -> bool:
    """Does ``post`` pass ``name:value``? Values are already lower-case (see the parser)."""
    if name == "source":
        return post.source.lower() == value
    if name == "kind":
        return (post.kind or "social").lower() == value
    if name == "lang":
        lang = post_lang(post)
        return lang == value or lang.startswith(value + "-") or lang.startswith(value + "_")
    if name == "author":
        return (post.author or "").lower().lstrip("@") == value
    if name == "site":
        outlet = (post.outlet or "").lower().rstrip(".")
        outlet = host_of(outlet) if "/" in outlet else outlet
        return (bool(outlet) and _domain_match(outlet.removeprefix("www."), value)) or _domain_match(
            host_of(post.url).removeprefix("www."), value)
    raise ValueError(f"unknown field {name!r}")  # the parser only produces known fields
