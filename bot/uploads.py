"""The bytes of an LHEO catalogue sent in the chat, read before the dialog step.

A step runs inside one database transaction; a download (up to a few seconds) never does: the
channel reads the file first, and only an XML file (``domain.lheo.is_catalogue``) whose size, as
Telegram announces it, is within ``CATALOGUE_MAX_BYTES`` (a file of unknown size is not
downloaded). The use case checks the size of the bytes again (``import_catalogue``). A file not
read reaches the dialogs without its bytes, and the member is told it could not be read.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from dialogs.io import Incoming
from domain.lheo import CATALOGUE_MAX_BYTES, is_catalogue

log = logging.getLogger(__name__)


def wanted(inc: Incoming) -> bool:
    """Whether the document of ``inc`` is a catalogue to read (XML, announced size within the limit)."""
    document = inc.document
    return (
        document is not None
        and is_catalogue(document)
        and document.size is not None
        and document.size <= CATALOGUE_MAX_BYTES
    )


async def with_catalogue(bot: Bot, inc: Incoming) -> Incoming:
    """``inc`` with the bytes of its catalogue, when it is one to read (see ``wanted``)."""
    if not wanted(inc):
        return inc
    assert inc.document is not None
    try:
        file = await bot.get_file(inc.document.file_id)
        if file.file_size is not None and file.file_size > CATALOGUE_MAX_BYTES:
            return inc
        data = bytes(await file.download_as_bytearray())
    except (TelegramError, OSError) as exc:
        log.warning("could not read a catalogue", extra={"chat": inc.chat_id, "error": exc.__class__.__name__})
        return inc
    return dataclasses.replace(inc, content=data)


def read_local(inc: Incoming, path: Path) -> Incoming:
    """The console's ``/fichier PATH``: the same rule, the file read from the disk."""
    if not wanted(inc):
        return inc
    try:
        return dataclasses.replace(inc, content=path.read_bytes())
    except OSError:
        return inc
