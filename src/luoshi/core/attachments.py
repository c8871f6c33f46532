"""Evidence attachments: kept once under their SHA-256, size-limited, type checked by content."""

import hashlib
from pathlib import Path

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from luoshi.core.errors import ServiceError
from luoshi.core.models import Attachment, Blob

ALLOWED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/x-ole-storage",
    "text/plain",
}


# "app_label.model" -> fetch(user, pk) that answers 404 unless the user may see the record; an attachment is
# downloadable only through a registered subject (a module registers its own in AppConfig.ready).
SUBJECTS: dict = {}


def register_subject(label: str, fetch) -> None:
    SUBJECTS[label] = fetch


def blob_path(sha256: str) -> Path:
    return Path(settings.MEDIA_ROOT) / sha256[:2] / sha256


def detect_type(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return None
    # UTF-8, or GB18030 (GBK) as Excel saves a CSV on Chinese Windows; a cut in the middle of a multi-byte
    # character at the end of the sample is still text
    for encoding in ("utf-8", "gb18030"):
        for cut in (0, 1, 2, 3):
            try:
                head[: len(head) - cut].decode(encoding)
                return "text/plain"
            except UnicodeDecodeError:
                continue
    return None


def attachment_add(*, upload, user, subject=None) -> Attachment:
    """Store an uploaded file (a Django UploadedFile) and attach it to `subject`.

    The content decides the type, not the name: a renamed executable is refused. The same bytes uploaded
    twice are stored once.
    """
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ServiceError(
            _("%(name)s is larger than %(mb)d MB.")
            % {"name": upload.name, "mb": settings.UPLOAD_MAX_BYTES // 2**20},
            field="files",
        )
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if len(head) < 8192:
            head += chunk[: 8192 - len(head)]
        digest.update(chunk)
    content_type = detect_type(head)
    if content_type not in ALLOWED_TYPES:
        raise ServiceError(
            _("%(name)s is not an accepted file type (images, PDF, Word, Excel, PowerPoint, text).")
            % {"name": upload.name},
            field="files",
        )
    sha256 = digest.hexdigest()
    path = blob_path(sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        tmp.replace(path)
    with transaction.atomic():
        blob, _created = Blob.objects.get_or_create(
            sha256=sha256, defaults={"size": upload.size, "content_type": content_type}
        )
        attachment = Attachment(blob=blob, filename=Path(upload.name).name[:200], uploaded_by=user)
        if content_type.startswith("image/"):
            attachment.meta = photo_metadata(path)
        if subject is not None:
            attachment.subject_type = ContentType.objects.get_for_model(subject)
            attachment.subject_id = str(subject.pk)
        attachment.save()
    return attachment


def photo_metadata(path: Path) -> dict:
    """When and where a photo says it was taken (EXIF DateTimeOriginal and GPS), as evidence beside the
    unchanged original. Nothing for an image without them; never an error for a broken one."""
    from PIL import Image, UnidentifiedImageError

    def degrees(value, ref) -> float | None:
        try:
            d, m, s = (float(x) for x in value)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        sign = -1 if ref in ("S", "W") else 1
        return round(sign * (d + m / 60 + s / 3600), 6)

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            info = {}
            taken = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal, else DateTime
            if taken:
                info["taken_at"] = str(taken)
            gps = exif.get_ifd(0x8825)
            if gps and 2 in gps and 4 in gps:
                lat, lon = degrees(gps[2], gps.get(1)), degrees(gps[4], gps.get(3))
                if lat is not None and lon is not None:
                    info["latitude"], info["longitude"] = lat, lon
            return info
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return {}


def attach_files(records, attribute: str = "files") -> list:
    """Give each record (of one model) the list of its attachments under `attribute`, in one query."""
    from collections import defaultdict

    records = list(records)
    files = defaultdict(list)
    if records:
        for attachment in Attachment.objects.filter(
            subject_type=ContentType.objects.get_for_model(records[0]),
            subject_id__in=[str(r.pk) for r in records],
            archived_at=None,
        ).select_related("blob", "uploaded_by"):
            files[attachment.subject_id].append(attachment)
    for record in records:
        setattr(record, attribute, files[str(record.pk)])
    return records
