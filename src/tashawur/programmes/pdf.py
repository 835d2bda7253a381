"""The action programme's PDF prints through ``core.printing`` (shared with the diagnosis and
the meeting sheets); its names stay importable from here."""

from tashawur.core.printing import (
    FONTS,
    FontFace,
    LocalFilesOnly,
    cached_pdf,
    font_faces,
    html_to_pdf,
    static_file,
    url_fetcher,
)

__all__ = [
    "FONTS",
    "FontFace",
    "LocalFilesOnly",
    "cached_pdf",
    "font_faces",
    "html_to_pdf",
    "static_file",
    "url_fetcher",
]
