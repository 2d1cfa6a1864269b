"""Documents sent in the chat (``Kind.DOCUMENT``): a PDF or a picture, 20 Mo at most."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.errors import FieldError
from domain.models import Document
from domain.parsing.common import as_model
from domain.parsing.kinds import Spec
from domain.text import number, quote

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024

_DOCUMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".gif", ".tif", ".tiff")


def check_document(spec: Spec, value: Any) -> Document:
    document = as_model(spec, value, Document)
    if not isinstance(document.file_id, str) or not document.file_id.strip():
        raise FieldError("Fichier illisible : envoyez-le à nouveau (PDF ou photo).", key=spec.key)
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime:
        accepted = mime == "application/pdf" or mime.startswith("image/")
    else:
        accepted = name.endswith(_DOCUMENT_EXTENSIONS)
    if not accepted:
        shown = quote(document.file_name or document.mime_type or "ce fichier")
        raise FieldError(
            f"Format non accepté : {shown}. Envoyez le justificatif en PDF ou en photo.",
            key=spec.key,
        )
    if document.size is not None and document.size > DOCUMENT_MAX_BYTES:
        megabytes = Decimal(document.size) / (1024 * 1024)
        raise FieldError(
            f"Fichier trop lourd : {number(megabytes.quantize(Decimal('0.1')))} Mo : "
            f"{number(DOCUMENT_MAX_BYTES // (1024 * 1024))} Mo au plus",
            key=spec.key,
        )
    return document
