"""URL rules shared by the spider and the pipelines: canonical form, site, document id."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import safe_url_string

TRACKING_PARAM = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|igshid|"
    r"ref|ref_src|cmpid|ocid|at_medium|at_campaign|ito|s_cid|share|amp)$", re.I)

# The public-suffix snapshot bundled with tldextract: resolving a site must never need the network.
_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def clean_url(url: str) -> str:
    """Tracking parameters and fragment removed, scheme and host lower-cased, unsafe
    characters percent-encoded."""
    parts = urlsplit(safe_url_string(url.strip()))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING_PARAM.match(k)])
    netloc = parts.netloc.lower()
    if parts.port and (parts.scheme, parts.port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def site_of(url: str) -> str:
    """The registered domain (`skynewsarabia.com`), or the host when it has none (an IP)."""
    return _site_of_host((urlsplit(url).hostname or "").lower())


@lru_cache(maxsize=4096)   # by host: every page of a site has its own URL, and few hosts
def _site_of_host(host: str) -> str:
    return _extract(host).top_domain_under_public_suffix or host


def is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonical_url(declared: str | None, fetched_url: str) -> str:
    """The page's declared canonical URL when it is on the same site, else the fetched URL.
    A page from a file, or from no known URL at all (`clean_page(html)`), has only its own
    word for where it lives. A canonical that is the site's home page, named by a page that is
    not, is a template's mistake (every article would be one URL, dropped as a duplicate): it
    is ignored."""
    if declared and urlsplit(declared).scheme in ("http", "https"):
        fetched_scheme = urlsplit(fetched_url).scheme
        if fetched_url and is_site_root(declared) and not is_site_root(fetched_url):
            pass
        elif not fetched_url or fetched_scheme == "file" or site_of(declared) == site_of(fetched_url):
            return clean_url(declared)
    return clean_url(fetched_url) if urlsplit(fetched_url).scheme in ("http", "https") else fetched_url


def doc_id(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()
