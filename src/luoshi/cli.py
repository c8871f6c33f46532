"""`luoshi` — the command line: demo, serve, worker, sweep, manage.

The database is the one in DATABASE_URL (default: var/luoshi.sqlite3 under the current directory).
"""

import argparse
import os
import signal
import sys
import time

PERSONA_HELP = {
    "district_admin": "区委管理员 District administrator (two-factor)",
    "org_officer": "组织部 Organization officer",
    "discipline_officer": "纪委监委 Discipline officer (two-factor)",
    "publicity_officer": "宣传部 Publicity officer",
    "street_secretary": "街道党工委书记 Street secretary",
    "branch_secretary": "支部书记 Branch secretary",
    "member": "党员 Member",
    "inspector": "督查组 Inspector",
    "auditor": "审计 Auditor (read-only)",
}


def _setup(demo: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    if demo:
        # DEBUG stays off (unless set): the demo is shown to users, who get the app's own error pages, and
        # WhiteNoise serves the static files as in production
        os.environ.setdefault("LUOSHI_DEMO", "true")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _print_logins(password: str) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from luoshi.accounts.models import User

    print(f"\n落实 Luoshi — demo district. Logins (password for all: {password})\n")
    users = {u.username: u for u in User.objects.filter(username__in=PERSONA_HELP)}
    for username, help_text in PERSONA_HELP.items():
        if username in users:
            print(f"  {username:<20} {help_text}")
    devices = TOTPDevice.objects.filter(user__username__in=PERSONA_HELP, confirmed=True).select_related(
        "user"
    )
    if devices:
        print("\nTwo-factor logins: add the key to any TOTP app, or print the current code with")
        print("  .venv/bin/luoshi totp-code USERNAME")
        for device in devices:
            from base64 import b32encode

            print(f"  {device.user.username:<20} key {b32encode(device.bin_key).decode()}")


def cmd_demo(args) -> int:
    _setup(demo=True)
    from django.db import connection

    from luoshi.demo.build import build_demo, demo_exists

    _migrate()
    if args.reset and demo_exists():
        print(
            "luoshi: --reset needs an empty database; remove var/ (or drop the database) first",
            file=sys.stderr,
        )
        return 2
    if not demo_exists():
        started = time.monotonic()
        print(
            f"Building the {args.size} demo (seed {args.seed}) in {connection.settings_dict['NAME']} …",
            flush=True,
        )
        build_demo(seed=args.seed, size=args.size, password=args.password)
        print(f"Built in {time.monotonic() - started:.1f} s.")
    else:
        print("The demo district is already in the database.")
    if args.seed_only:
        return 0
    _print_logins(args.password)
    from huey.contrib.djhuey import HUEY

    # The worker runs in this process (threads), so one command serves the whole demo.
    consumer = HUEY.create_consumer(workers=1, worker_type="thread", periodic=True, check_worker_health=False)
    consumer.start()
    # The consumer took over SIGINT/SIGTERM for its own main loop, which does not run here: give them back
    # to the server so Ctrl-C and `kill` stop the demo.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"\nOpen http://{args.bind} — Ctrl-C stops.\n", flush=True)
    from django.core.management import call_command

    addr, _, port = args.bind.rpartition(":")
    try:
        call_command("runserver", f"{addr or '127.0.0.1'}:{port}", use_reloader=False, use_threading=True)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop(graceful=False)
    return 0


def cmd_serve(args) -> int:
    """Production server: gunicorn with the app serving its own static files (WhiteNoise)."""
    _setup()
    if args.migrate:
        _migrate(verbosity=1)
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "luoshi.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-" if args.access_log else "/dev/null",
        "--timeout",
        "60",
    ]
    return run()


def cmd_worker(args) -> int:
    _setup()
    from django.core.management import call_command

    # Periodic tasks (the obligation sweep) are scheduled by workers started without --no-periodic; with
    # several worker machines, start one with periodic tasks and the others with --no-periodic.
    call_command("run_huey", workers=args.workers, worker_type="thread", periodic=not args.no_periodic)
    return 0


def cmd_sweep(args) -> int:
    _setup()
    from luoshi.core.obligations import obligation_sweep, run_syncs

    run_syncs()
    print(obligation_sweep())
    return 0


def cmd_totp_code(args) -> int:
    _setup()
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from luoshi.demo.build import DEMO_DEVICE_NAME

    # Only the authenticators the demo itself enrolled: a real user's device never answers here.
    device = TOTPDevice.objects.filter(
        user__username=args.username, confirmed=True, name=DEMO_DEVICE_NAME
    ).first()
    if device is None:
        print(f"luoshi: {args.username} has no demo two-factor device", file=sys.stderr)
        return 2
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    print(f"{totp.token():0{device.digits}d}")
    return 0


def cmd_init(args) -> int:
    """First start of a real installation: the district's root organization and its first administrator."""
    _setup()
    import getpass

    from django.db import transaction

    from luoshi.accounts.models import Role
    from luoshi.accounts.services import role_grant, roles_sync, user_create
    from luoshi.core.errors import ServiceError
    from luoshi.orgs.models import OrgKind
    from luoshi.orgs.services import organization_create

    _migrate()
    roles_sync()
    if args.password_file:
        password = open(args.password_file, encoding="utf-8").read().strip()
    else:
        password = getpass.getpass(f"Password for {args.admin}: ")
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError as exc:
        print("luoshi: " + " ".join(exc.messages), file=sys.stderr)
        return 2
    from luoshi.accounts.models import User

    if User.objects.filter(username=args.admin).exists():
        print(f"luoshi: the user {args.admin} already exists", file=sys.stderr)
        return 2
    try:
        with transaction.atomic():
            root = organization_create(name=args.name, kind=OrgKind.DISTRICT, code=args.code)
            admin = user_create(username=args.admin, password=password, display_name=args.admin)
            role_grant(by=None, user=admin, role=Role.objects.get(code="district_admin"), organization=root)
    except ServiceError as exc:
        print(f"luoshi: {exc.message}", file=sys.stderr)
        return 2
    print(f"Created {root.name} ({root.code}) and its administrator {admin.username}.")
    print("The administrator sets up two-factor login at the first login, then adds users and roles.")
    return 0


def cmd_import_members(args) -> int:
    """Check a member sheet (Excel or CSV) row by row and, with --commit, import it all or nothing."""
    _setup()
    from pathlib import Path

    from django.core.files import File

    from luoshi.accounts.models import User
    from luoshi.core.errors import ServiceError
    from luoshi.members import services
    from luoshi.members.models import ImportStatus
    from luoshi.orgs.models import Organization

    path = Path(args.file)
    if not path.is_file():
        print(f"luoshi: no file {path}", file=sys.stderr)
        return 2
    into = (
        Organization.objects.filter(code=args.into).first()
        if args.into
        else Organization.objects.filter(parent=None).order_by("pk").first()
    )
    if into is None:
        print("luoshi: no such organization (--into takes an organization code)", file=sys.stderr)
        return 2
    user = (
        User.objects.filter(username=args.user).first()
        if args.user
        else User.objects.filter(grants__role__code="district_admin", grants__organization=into).first()
    )
    if user is None:
        print("luoshi: name the importing user with --user", file=sys.stderr)
        return 2
    try:
        with open(path, "rb") as stream:
            job = services.import_start(
                by=user, organization=into, upload=File(stream, name=path.name), queue=False
            )
        job = services.import_check(job.pk)
        for row, problems in sorted(job.errors.items(), key=lambda kv: int(kv[0])):
            for problem in problems:
                print(f"{path.name}:{row}: {problem}" if row != "0" else f"{path.name}: {problem}")
        print(
            f"{job.valid_rows} correct rows, {job.error_rows} with errors; importing would add "
            f"{job.created_count}, change {job.updated_count}, leave {job.unchanged_count} unchanged."
        )
        if job.status != ImportStatus.CHECKED:
            print("Nothing imported.")
            return 1
        if not args.commit:
            print("Nothing imported yet: run again with --commit.")
            return 0
        job = services.import_commit(by=user, job=job, queue=False)
    except ServiceError as exc:
        print(f"luoshi: {exc.message}", file=sys.stderr)
        return 2
    print(
        f"Imported as {user.username}: {job.created_count} new, {job.updated_count} changed, "
        f"{job.unchanged_count} unchanged."
    )
    return 0 if job.status == ImportStatus.COMMITTED else 1


def cmd_manage(args) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["luoshi manage", *args.rest])
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="luoshi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="prepare the demo district (if absent), start the worker and the server"
    )
    demo.add_argument("--seed-only", action="store_true", help="build the demo database and exit")
    demo.add_argument("--size", choices=["district", "city", "province"], default="district")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--password", default="luoshi-demo")
    demo.add_argument("--bind", default="127.0.0.1:8000")
    demo.add_argument("--reset", action="store_true", help=argparse.SUPPRESS)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="production server (gunicorn)")
    serve.add_argument("--bind", default="127.0.0.1:8000")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="run a task worker (embedded queue, or Redis when REDIS_URL is set)"
    )
    worker.add_argument("--workers", type=int, default=2)
    worker.add_argument("--no-periodic", action="store_true", help="do not schedule the periodic sweep here")
    worker.set_defaults(func=cmd_worker)

    sweep = sub.add_parser("sweep", help="run the obligation sweep once now")
    sweep.set_defaults(func=cmd_sweep)

    init = sub.add_parser(
        "init", help="a new installation: the root organization and its first administrator"
    )
    init.add_argument("--name", required=True, help="e.g. 中共江城区委员会")
    init.add_argument("--code", required=True, help="its organization code (党组织代码)")
    init.add_argument("--admin", required=True, help="user name of the first district administrator")
    init.add_argument("--password-file", help="read the password from this file instead of asking")
    init.set_defaults(func=cmd_init)

    code = sub.add_parser("totp-code", help="demo only: print a persona's current two-factor code")
    code.add_argument("username")
    code.set_defaults(func=cmd_totp_code)

    members = sub.add_parser(
        "import-members", help="check a member sheet (.xlsx or .csv) and, with --commit, import it"
    )
    members.add_argument("file")
    members.add_argument("--commit", action="store_true", help="import it if every row is correct")
    members.add_argument("--into", help="organization code of the register (default: the root)")
    members.add_argument(
        "--user", help="the importing user, recorded in the history (default: the root's administrator)"
    )
    members.set_defaults(func=cmd_import_members)
    manage = sub.add_parser("manage", help="Django's management commands", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
