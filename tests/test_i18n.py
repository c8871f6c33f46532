"""Chinese is complete: every string the code marks for translation has its zh_Hans text."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import luoshi

PACKAGE = Path(luoshi.__file__).resolve().parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def messages(path: Path) -> dict:
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    bad = [
        key
        for key, m in messages(PO).items()
        if m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert bad == []


@pytest.mark.skipif(not shutil.which("xgettext") and not os.environ.get("CI"), reason="needs GNU gettext")
def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """Extract the strings afresh from a copy of the code and compare with the committed catalogue."""
    copy = tmp_path / "luoshi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    (copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").unlink()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--settings=luoshi.settings",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "LUOSHI_VAR_DIR": str(tmp_path / "var")},
    )
    extracted = set(messages(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = extracted - set(messages(PO))
    assert missing == set()


def test_interface_is_chinese_by_default(world, login):
    page = login(world.users["branch_secretary"]).get("/", HTTP_ACCEPT_LANGUAGE="en-US,en")
    text = page.content.decode()
    assert page["Content-Language"] == "zh-hans" and "首页" in text and "Home" not in text
