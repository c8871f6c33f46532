import os
import subprocess
import sys


def run(tmp_path, *args, check=True):
    env = {**os.environ, "LUOSHI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "luoshi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def test_init_creates_the_root_and_its_administrator(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a-strong-first-password\n")
    out = run(
        tmp_path,
        "init",
        "--name",
        "中共江城区委员会",
        "--code",
        "330106",
        "--admin",
        "chief",
        "--password-file",
        str(secret),
    )
    assert "chief" in out.stdout
    again = run(
        tmp_path,
        "init",
        "--name",
        "x",
        "--code",
        "1",
        "--admin",
        "chief",
        "--password-file",
        str(secret),
        check=False,
    )
    assert again.returncode == 2 and "chief" in again.stderr
    weak = tmp_path / "weak"
    weak.write_text("123")
    refused = run(
        tmp_path,
        "init",
        "--name",
        "y",
        "--code",
        "2",
        "--admin",
        "other",
        "--password-file",
        str(weak),
        check=False,
    )
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    shell = run(
        tmp_path,
        "manage",
        "shell",
        "-c",
        "from luoshi.accounts.models import RoleGrant; g = RoleGrant.objects.get(user__username='chief');"
        "print(g.role.code, g.organization.code)",
    )
    assert shell.stdout.split()[-2:] == ["district_admin", "330106"]


def test_totp_code_only_for_demo_devices(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a-strong-first-password")
    run(tmp_path, "init", "--name", "区委", "--code", "9", "--admin", "chief", "--password-file", str(secret))
    refused = run(tmp_path, "totp-code", "chief", check=False)
    assert refused.returncode == 2 and "demo" in refused.stderr
