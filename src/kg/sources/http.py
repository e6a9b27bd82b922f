"""Sources over HTTP(S): downloaded once (with a timeout and a size limit), then read by the reader
their URL's suffix names (.md, .csv, .yml/.yaml; without one of these, the response's media type:
text/csv, text/markdown, else catalogue YAML). Only ``kg build URL`` reaches the network.

Limits: ``KG_HTTP_TIMEOUT`` (seconds, default 30) and ``KG_HTTP_MAX_BYTES`` (default 200 MB).
Every failure is one ``SourceError`` line naming the URL: HTTP status, timeout, refused connection,
too large, not decodable.
"""

from __future__ import annotations

import os
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .. import __version__
from ..errors import SourceError
from . import RawEntry, SourceInfo

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
CHUNK = 1 << 16
MEDIA_SUFFIX = {"text/csv": ".csv", "text/markdown": ".md", "text/x-markdown": ".md"}  # else YAML


def _limit(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SourceError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise SourceError(f"{name}={raw!r} must be positive")
    return value


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise SourceError(f"redirected to a non-HTTP URL ({newurl}); not followed", file=req.full_url)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def download(
    url: str,
    *,
    timeout: float | None = None,
    max_bytes: int | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body of ``url``; the response headers go into ``headers`` when a dict is given."""
    timeout = timeout if timeout is not None else _limit("KG_HTTP_TIMEOUT", DEFAULT_TIMEOUT)
    max_bytes = max_bytes if max_bytes is not None else int(_limit("KG_HTTP_MAX_BYTES", DEFAULT_MAX_BYTES))
    req = urllib.request.Request(
        url,
        headers={
            "User-Agent": f"kg/{__version__}",
            "Accept": "application/yaml, text/yaml, text/markdown, text/csv, text/plain;q=0.8, */*;q=0.5",
        },
    )
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            if headers is not None:
                headers.update({k.lower(): v for k, v in resp.headers.items()})
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SourceError(
                    f"too large: {int(length)} bytes announced, the limit is {max_bytes} (KG_HTTP_MAX_BYTES)",
                    file=url,
                )
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise SourceError(f"too large: more than {max_bytes} bytes (KG_HTTP_MAX_BYTES)", file=url)
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as e:
        raise SourceError(f"HTTP {e.code} {e.reason}", file=url) from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise SourceError(f"timed out after {timeout:g} s (KG_HTTP_TIMEOUT)", file=url) from None
        text = getattr(reason, "strerror", None) or str(reason)
        raise SourceError(f"cannot download: {text}", file=url) from None
    except TimeoutError:
        raise SourceError(f"timed out after {timeout:g} s (KG_HTTP_TIMEOUT)", file=url) from None
    except (OSError, ValueError) as e:  # connection reset mid-body, malformed URL, ...
        raise SourceError(f"cannot download: {e}", file=url) from None


def read_url(url: str, info: SourceInfo) -> Iterator[RawEntry]:
    from . import read_source

    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise SourceError("only http and https URLs are read", file=url)
    headers: dict[str, str] = {}
    body = download(url, headers=headers)
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix not in (".md", ".markdown", ".csv", ".yml", ".yaml"):  # no telling suffix: ask the server
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = MEDIA_SUFFIX.get(media, ".yml")
    with tempfile.TemporaryDirectory(prefix="kg-http-") as tmp:
        local = Path(tmp) / ("source" + suffix)
        local.write_bytes(body)
        try:
            entries = list(read_source(local, info))
        except SourceError as e:
            raise SourceError(str(e.args[0]), file=url, line=e.line) from None
    info.path = url
    for entry in entries:  # problems name the URL, not the temporary copy
        entry.file = url
    return iter(entries)
