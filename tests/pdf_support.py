"""Looking at a PDF as a reader would, with pypdfium2: its pages' text, where a piece of text is, and
a page rendered to a bitmap (the printed récapitulatif's tests).

PDF coordinates: points, origin at the bottom left; bitmap pixels: origin at the top left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium

A4 = (595.28, 841.89)  # points
SCALE = 2.0  # bitmap pixels per point
Box = tuple[float, float, float, float]  # left, bottom, right, top (points)


@contextmanager
def opened(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    document = pdfium.PdfDocument(pdf)
    try:
        yield document
    finally:
        document.close()


def text_of(page: pdfium.PdfPage) -> str:
    """The page's text, lines joined by single spaces (a value may wrap in its column)."""
    return " ".join(str(page.get_textpage().get_text_range()).split())


def find(page: pdfium.PdfPage, needle: str) -> Box | None:
    """The box around the first occurrence of ``needle`` on the page, or None."""
    textpage = page.get_textpage()
    found = textpage.search(needle, match_case=True).get_next()
    if found is None:
        return None
    start, count = found
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def reddish(pixel: tuple[int, ...]) -> bool:
    red, green, blue = pixel[:3]
    return red > 150 and red - green > 12 and red - blue > 12


def band(page: pdfium.PdfPage, top: float, bottom: float) -> list[tuple[int, ...]]:
    """The bitmap's pixels between two heights (points from the page's bottom), full width."""
    image = page.render(scale=SCALE).to_pil().convert("RGB")
    height = page.get_height()
    y0, y1 = int((height - top) * SCALE), int((height - bottom) * SCALE)
    return [image.getpixel((x, y)) for y in range(y0, y1) for x in range(0, image.width, 2)]
