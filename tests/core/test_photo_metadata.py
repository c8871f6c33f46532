"""A photo's own time and place (EXIF) are read at upload and kept beside the unchanged original."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from luoshi.core.attachments import attachment_add, blob_path


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:18 09:31:05"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (30.0, 15.0, 36.0)
    gps[3], gps[4] = "E", (120.0, 9.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_exif_kept(world):
    data = jpeg_with_exif()
    stored = attachment_add(upload=SimpleUploadedFile("现场.jpg", data), user=world.users["inspector"])
    assert stored.meta == {"taken_at": "2026:03:18 09:31:05", "latitude": 30.26, "longitude": 120.15}
    assert blob_path(stored.blob.sha256).read_bytes() == data  # the original, metadata and all


def test_no_exif_no_metadata(world):
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    stored = attachment_add(upload=SimpleUploadedFile("a.png", out.getvalue()), user=world.users["inspector"])
    assert stored.meta == {}
