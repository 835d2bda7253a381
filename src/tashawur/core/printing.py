"""Printing a page as a PDF: a print template's HTML rendered by WeasyPrint, with the vendored
fonts and nothing fetched from the network. The action programme, the published diagnosis,
a meeting's badges and attendance sheet all print through here.

WeasyPrint reads fonts (and any other resource a template names) through a URL fetcher; ours
opens ``file:`` URLs under the folders we name and refuses everything else, so a stray
``http:`` link in a label can neither leak a request nor slow the rendering down.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.apps import apps
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The vendored fonts (``core/static/vendor/VENDOR.md``), by CSS family, with the characters
#: each covers; everything else falls back on the system's sans-serif.
FONTS = (
    # Printing uses Cairo where the site uses Noto Sans Arabic: Noto draws a dotted letter as a
    # dotless shape plus dots, which a PDF's text layer cannot map back to the letter (pdftotext,
    # a screen reader, search and copy would read "ف ساء" for "النساء"); Cairo's glyphs are
    # whole letters. (Of the fonts tried, only the lam-alef ligature still reads back as
    # "ال": a limit of how PDF readers reorder ligatures, not of the font.)
    (
        "Cairo",
        "vendor/fonts/cairo-arabic-400-normal.woff2",
        "U+0600-06FF, U+0750-077F, U+0870-088E, U+0890-0891, U+0897-08E1, U+08E3-08FF, "
        "U+200C-200E, U+2010-2011, U+204F, U+2E41, U+FB50-FDFF, U+FE70-FE74, U+FE76-FEFC",
    ),
    (
        "Noto Sans Tifinagh",
        "vendor/fonts/noto-sans-tifinagh-tifinagh-400-normal.woff2",
        "U+02C7, U+0301-0302, U+0304, U+0306-0307, U+0309, U+0323, U+0331, U+25CC, U+2D30-2D7F",
    ),
)


class LocalFilesOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
    """A WeasyPrint URL fetcher that opens ``file:`` URLs inside ``roots`` and refuses every
    other URL (``http:``, ``https:``, ``ftp:``, ``data:``, files elsewhere) with ``ValueError``,
    before anything is opened."""

    def __init__(self, roots: Iterable[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = [Path(root).resolve() for root in roots]

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Only local files are read when printing, not {url!r}.")
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise ValueError(f"{path} is outside the folders printing may read.")
        return super().fetch(url, headers)


def static_file(name: str) -> Path:
    """A static file's path on disk: from the static finders, else from the core app's own
    ``static`` folder (where the vendored files live, whatever the finders are set to)."""
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    return Path(apps.get_app_config("core").path) / "static" / name


@dataclass(frozen=True)
class FontFace:
    family: str
    url: str
    unicode_range: str


def font_faces() -> list[FontFace]:
    """The ``@font-face`` rules of the print template: the vendored fonts as ``file:`` URLs."""
    return [
        FontFace(family=family, url=static_file(name).as_uri(), unicode_range=unicode_range)
        for family, name, unicode_range in FONTS
    ]


def url_fetcher() -> LocalFilesOnly:
    """A fetcher limited to the folders the vendored fonts live in."""
    return LocalFilesOnly({static_file(name).parent for _family, name, _range in FONTS})


def html_to_pdf(html: str) -> bytes:
    """Render ``html`` (a print template's output) to PDF bytes, offline."""
    pdf: bytes = HTML(string=html, url_fetcher=url_fetcher()).write_pdf()
    return pdf


def cached_pdf(
    request: HttpRequest,
    *,
    template: str,
    context: Mapping[str, Any],
    kind: str,
    page_path: str,
    versions: Iterable[str] = (),
) -> tuple[bytes, datetime.datetime]:
    """A page's PDF and when it was laid out, laid out once per content: ``template``
    rendered with ``context`` and what every print template reads (its generation time, the
    site's public name, the address of the page it prints — from settings, never the request's
    host — and the vendored fonts). The key is the print HTML without its generation time
    (and ``versions``), so that a change of anything the PDF shows lays it out again and
    nothing else does."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import timezone

    from tashawur.core.caching import cached_build, content_key

    public_url = settings.TASHAWUR_PUBLIC_URL

    def print_html(generated_at: datetime.datetime | None) -> str:
        return render_to_string(
            template,
            {
                **context,
                "generated_at": generated_at,
                "site_name": settings.TASHAWUR_SITE_NAME,
                "origin": public_url,
                "page_url": public_url + page_path if public_url else "",
                "font_faces": font_faces(),
            },
            request=request,
        )

    def lay_out() -> tuple[bytes, datetime.datetime]:
        generated_at = timezone.localtime()
        return html_to_pdf(print_html(generated_at)), generated_at

    return cached_build(content_key(kind, *versions, print_html(None)), lay_out)
