"""Documents and files: sendDocument, getFile, and the files fake users upload.

``DocumentsMixin`` stores every file the server knows (``files``, by file_id, each with the
``file_path`` that ``/file/bot<token>/<path>`` serves, see ``app.py``), answers sendDocument (an
uploaded file or a known file_id, with a caption checked like a message's, see ``messages.py``)
and getFile (20 MB download limit).
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
from typing import Any

from .messages import MessagesMixin
from .models import StoredFile, UploadedFile
from .protocol import Params, bad_request

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024


class DocumentsMixin(MessagesMixin):
    """Files and document messages (a document message is a message: see MessagesMixin)."""

    def _init_documents(self) -> None:
        self._file_counter = itertools.count(1)

    def _store_file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        number = next(self._file_counter)
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAI{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{number}{extension}",
        )
        self.files[stored.file_id] = stored
        return stored

    def _send_document(self, params: Params) -> dict[str, Any]:
        user = self._chat(params)
        value = params.values.get("document")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.values.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                guessed = mimetypes.guess_type(value.file_name or "")[0]
                mime = guessed or mime or "application/octet-stream"
            file = self._store_file(value.data, value.file_name, mime)
        elif isinstance(value, str) and value in self.files:
            file = self.files[value]
        elif value is None or value == "":
            raise bad_request("there is no document in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        caption, entities = self._caption(params)
        return self._sent(
            user, params, "caption", caption=caption, entities=entities, document=file
        )

    def _get_file(self, params: Params) -> dict[str, Any]:
        file = self.files.get(params.str("file_id") or "")
        if file is None:
            raise bad_request("invalid file_id")
        if file.size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }
