"""A bad setting stops start-up with one line naming the variable."""

import os
import subprocess
import sys

import pytest


def start(tmp_path, **env):
    run_env = {
        **os.environ,
        "LUOSHI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "luoshi.settings",
        **env,
    }
    run_env.pop("DATABASE_URL", None) if "DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "name,value",
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("REDIS_URL", "http://localhost"),
        ("SECRET_KEY", "short"),
        ("LUOSHI_UPLOAD_MAX_MB", "lots"),
        ("LUOSHI_WEBHOOK_URL", "ftp://example"),
    ],
)
def test_bad_value_stops_startup_naming_the_variable(tmp_path, name, value):
    result = start(tmp_path, **{name: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0]


def test_secret_key_is_generated_once_and_kept(tmp_path):
    assert start(tmp_path).stdout.strip() == "started"
    key = (tmp_path / "secret_key").read_text()
    assert start(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key and len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
