"""SF2900 v2.4 (3.1.7.2) names of case documents on Serviceplatformen's SFTP: pure functions,
no SSH library (app/dubu/sftp_upload.py uploads; app/dubu/sf2900_client.py names the file in
`DokumentFilNavn` and derives the VariantType from the extension).

`<SFTP user>_SAGSDOKUMENT_<løbenummer or UUID>.<EXT>`, e.g.
`SAPA_SAGSDOKUMENT_123e4567-e89b-12d3-a456-426655440000.PDF`: `sagsdokument_name()`; the UUID of
file n of a decision is stable (`document_file_uuid`), so a retry finds its own upload.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

_NAMESPACE = uuid.UUID("6f1d3c1e-3a4b-5d8e-9f00-5f2900000001")  # uuid5 namespace for files
# A valid SFTP user name (also the prefix of every remote name).
SFTP_USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_EXT_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")
_MIME_EXT = {
    "application/pdf": "PDF",
    "text/plain": "TXT",
    "text/html": "HTML",
    "text/xml": "XML",
    "application/xml": "XML",
    "image/png": "PNG",
    "image/jpeg": "JPG",
    "image/tiff": "TIF",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
}


def file_extension(filename: str | None, mime_type: str | None = None) -> str:
    """The upper-case extension for the remote name: the original file's suffix when it is a
    plain 1-10 character alphanumeric one, else one from the MIME type, else "BIN"."""
    suffix = Path(filename or "").suffix.lstrip(".")
    if _EXT_RE.match(suffix):
        return suffix.upper()
    if mime_type:
        found = _MIME_EXT.get(mime_type.split(";")[0].strip().lower())
        if found:
            return found
    return "BIN"


def document_file_uuid(decision_id: uuid.UUID | str, index: int) -> uuid.UUID:
    """A stable UUID for file number `index` of a decision: the same decision always gives the
    same remote names, so a retry after a crash finds its own upload."""
    if index < 0:
        raise ValueError("filnummeret skal være 0 eller større")
    return uuid.uuid5(_NAMESPACE, f"{uuid.UUID(str(decision_id))}/{index}")


def sagsdokument_name(sftp_user: str, file_uuid: uuid.UUID | str, extension: str) -> str:
    """`<SFTP user>_SAGSDOKUMENT_<UUID>.<EXT>` (SF2900 v2.4, 3.1.7.2)."""
    if not SFTP_USER_RE.match(sftp_user):
        raise ValueError(f"ugyldigt SFTP-brugernavn {sftp_user!r}")
    ext = extension.lstrip(".")
    if not _EXT_RE.match(ext):
        raise ValueError(f"ugyldig filendelse {extension!r}")
    return f"{sftp_user}_SAGSDOKUMENT_{uuid.UUID(str(file_uuid))}.{ext.upper()}"
