"""What files Kehu accepts as attachments (of interactions, of knowledge articles): the types
and the size, checked in one place."""

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "audio/mpeg",
    "audio/wav",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
}


def attachment_problems(uploads: list[UploadedFile]) -> list[str]:
    """Why some of ``uploads`` cannot be attached (too large, a type not accepted), one line
    per file, in the user's language; empty when all are fine."""
    problems = []
    for upload in uploads:
        if upload.size and upload.size > MAX_ATTACHMENT_BYTES:
            problems.append(_("“%(name)s” is larger than 10 MB.") % {"name": upload.name})
        elif (upload.content_type or "") not in ALLOWED_ATTACHMENT_TYPES:
            problems.append(
                _("“%(name)s”: this type of file is not accepted.") % {"name": upload.name}
            )
    return problems
