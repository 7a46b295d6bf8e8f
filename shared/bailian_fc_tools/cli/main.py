"""``bailian-fc`` — the command line. Each subcommand imports what it needs when it runs."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

# Subcommands that live beside their domain; each module exposes register(subparsers).
COMMAND_MODULES = (
    "bailian_fc_tools.export.types",
    "bailian_fc_tools.demo.finance",
    "bailian_fc_tools.builder.build",
    "bailian_fc_tools.db.commands",
    "bailian_fc_tools.local.invoke",
    "bailian_fc_tools.deploy.store_init",
    "bailian_fc_tools.deploy.validate",
    "bailian_fc_tools.deploy.verify",
    "bailian_fc_tools.deploy.fc_logs",
    "bailian_fc_tools.deploy.release",
    "bailian_fc_tools.builder.lock",
)


def _dev(args: argparse.Namespace) -> int:
    from bailian_fc_tools.local.server import prepare, serve

    try:
        asyncio.run(
            serve(
                args.host,
                args.port,
                args.emulator_port,
                prepare(args.manifest),
                args.tick_seconds,
                header_timeout=args.header_timeout,
                body_timeout=args.body_timeout,
            )
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"bailian-fc dev: {exc}", file=sys.stderr)
        return 1
    return 0


def _token(args: argparse.Namespace) -> int:
    from bailian_fc.auth import ROLES, Authenticator
    from bailian_fc.settings import get_settings

    settings = get_settings()
    secret = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else None
    if secret is None:
        from pathlib import Path

        from bailian_fc_tools.local.server import dev_secret

        secret = dev_secret(Path(".bailian-data"))
        print("note: AUTH_JWT_SECRET is unset; using the dev secret of .bailian-data/", file=sys.stderr)
    if args.role not in ROLES:
        print(f"bailian-fc token: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    base = None
    if args.console_link:
        base = console_base(args.base_url)
        if base is None:
            print("bailian-fc token: --console-link needs --base-url or BAILIAN_FC_DOMAIN", file=sys.stderr)
            return 2
        if args.role != "admin":
            print("bailian-fc token: --console-link signs in an admin: use --role admin", file=sys.stderr)
            return 2
    ttl = args.ttl if args.ttl is not None else CONSOLE_LINK_TTL if args.console_link else 12 * 3600
    try:  # a short AUTH_JWT_SECRET is refused here: one line, not a traceback
        auth = Authenticator.from_settings(settings, secret)
        if ttl <= 0:
            raise ValueError(f"--ttl must be a positive number of seconds, not {ttl}")
        token = auth.mint(args.sub, args.site, args.role, ttl_seconds=ttl, platform=args.platform)
        print(token if base is None else console_link(base, token))
    except ValueError as exc:
        print(f"bailian-fc token: {exc}", file=sys.stderr)
        return 2
    return 0


# A sign-in link is pasted into chats and browser histories: it should not outlive the task it is for.
CONSOLE_LINK_TTL = 15 * 60


def console_base(base_url: str | None) -> str | None:
    """The console's origin: ``--base-url`` (dev), else ``https://$BAILIAN_FC_DOMAIN`` (s.yaml's domain)."""
    import os

    if base_url:
        return base_url.rstrip("/")
    domain = os.environ.get("BAILIAN_FC_DOMAIN", "").strip().strip("/")
    return f"https://{domain}" if domain else None


def console_link(base: str, token: str) -> str:
    """The link that signs an admin in: the console moves the token out of the address bar at once."""
    return f"{base}/admin/ui/#token={token}"


def _emulator(args: argparse.Namespace) -> int:
    from bailian_fc_tools.emulator.server import main as emulator_main

    return emulator_main(["--host", args.host, "--port", str(args.port)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bailian-fc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser(
        "dev",
        help="serve every function of s.yaml locally (emulator when no key)",
        description="Serve every function of s.yaml on one local port, with its routes, timers and an "
        "in-process Bailian emulator when DASHSCOPE_API_KEY is unset.",
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=9000)
    dev.add_argument("--emulator-port", type=int, default=0, help="0 picks a free port")
    dev.add_argument("--manifest", default=None, help="path to s.yaml (default: found from the cwd)")
    dev.add_argument(
        "--tick-seconds",
        type=float,
        default=None,
        help="fire timer triggers this often instead of their s.yaml period",
    )
    dev.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        help="close a connection whose request headers are not in after this many seconds",
    )
    dev.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        help="close a connection whose request body is not in this long after its headers",
    )
    dev.set_defaults(func=_dev)

    from bailian_fc.auth import ROLES

    token = sub.add_parser(
        "token",
        help="mint a JWT for local use",
        description="Mint an HS256 JWT signed with AUTH_JWT_SECRET (else the dev secret of .bailian-data/). "
        f"Roles: {', '.join(ROLES)}.",
    )
    token.add_argument("--sub", default="dev-user", help="the user id (claim sub)")
    token.add_argument("--site", default="site-001", help="the venue (claim site_id)")
    token.add_argument(
        "--role", default="manager", choices=ROLES, help="one of %(choices)s (default %(default)s)"
    )
    token.add_argument(
        "--ttl",
        type=int,
        default=None,
        help=f"lifetime in seconds (default 12 h; {CONSOLE_LINK_TTL // 60} min with --console-link)",
    )
    token.add_argument(
        "--platform", action="store_true", help="a platform admin (with --role admin): may act on every site"
    )
    token.add_argument(
        "--console-link",
        action="store_true",
        help="print a short-lived sign-in link to the admin console (https://<domain>/admin/ui/#token=…)",
    )
    token.add_argument(
        "--base-url",
        default=None,
        help="the console's origin for --console-link (default https://$BAILIAN_FC_DOMAIN)",
    )
    token.set_defaults(func=_token)

    emulator = sub.add_parser(
        "emulator",
        help="run the Bailian emulator",
        description="Run the Bailian (DashScope) emulator: app calls answered offline, faults scripted "
        "through POST /_emulator/script.",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8089)
    emulator.set_defaults(func=_emulator)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    describe(sub)
    return parser


def describe(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Every command's --help opens with what it does: its one-line help as a sentence when it has
    no longer description (nested commands too)."""
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, parser in sub.choices.items():
        if not parser.description and helps.get(name):
            text = str(helps[name])
            parser.description = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                describe(action)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
