"""``bailian-fc release`` / ``rollback``: publish a version of each function, move the ``live`` alias.

s.yaml points every trigger, custom-domain route and the timer's async config at the alias
``vars.alias`` (``live``), so ``s deploy`` only stages code on ``LATEST`` and traffic moves when
the alias does. Each step is an fc3 command (``s <resource> deploy|version|alias …``), printed before it
runs; ``--dry-run`` prints them all and runs none (values that only the cloud knows, such as the version
a publish creates, appear as ``<…>``).

release, per function:
  1. ``s R deploy -y --function``: code and config to LATEST (its pre-deploy action runs ``bailian-fc build``);
  2. ``s R version publish``: an immutable version N of LATEST;
  3. ``s R alias publish --alias-name live --version-id N --vw '{}'``: all traffic to N, or with
     ``--canary W`` the alias stays on its current version S and N gets the share W
     (``--vw '{"N": W}'``); ``release --promote`` later moves the alias to N entirely;
  4. ``s R deploy -y --trigger …``: the triggers serve the alias (created by the first release).
then ``s <domain> deploy -y``: the custom domain's routes serve the alias.

rollback, per function: ``alias get``; with a canary on, the alias drops it (back to S only); else it
moves to the version before its current one (``version list``), or to ``--to N``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

READ = ("-o", "json", "--silent")  # s's global options: the component's result as JSON, no progress lines
NO_WEIGHTS = "{}"  # additionalVersionWeight cleared: the alias's version gets all traffic


class ReleaseError(RuntimeError):
    """A step failed or the cloud answered something the next step cannot use; the message says which."""


class Unknown(str):
    """What a dry run cannot know (a version the cloud would create): printed as ``<…>``."""


@dataclass(frozen=True)
class Target:
    resource: str
    name: str
    region: str
    triggers: tuple[str, ...]

    @property
    def where(self) -> list[str]:
        # fc3's version command reads the function name from props.function.functionName in yaml mode,
        # which FC3 props do not have: name it (and the region) explicitly for version and alias.
        return ["--function-name", self.name, "--region", self.region]


@dataclass
class Plan:
    alias: str
    targets: list[Target]
    domains: list[str]


@dataclass
class Runner:
    """Prints each ``s`` command, then runs it (unless dry); ``read`` parses its JSON answer."""

    s_bin: str = "s"
    cwd: Path | None = None
    dry_run: bool = False
    out: Callable[[str], None] = print
    executed: list[list[str]] = field(default_factory=list)

    def __call__(self, argv: list[str], why: str, *, read: bool = False, unknown: str = "<?>") -> Any:
        command = [self.s_bin, *argv, *(READ if read else ())]
        self.out(f"$ {shlex.join(command)}    # {why}")
        if self.dry_run:
            return Unknown(unknown)
        self.executed.append(command)
        done = subprocess.run(command, cwd=self.cwd, capture_output=read, text=True, check=False)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip()[-800:] if read else ""
            raise ReleaseError(
                f"`{shlex.join(command)}` failed (exit {done.returncode}){': ' + detail if detail else ''}"
            )
        if not read:
            return None
        from bailian_fc_tools.builder.manifest import first_json

        value = first_json(done.stdout)
        if value is None:
            raise ReleaseError(f"`{shlex.join(command)}` printed no JSON: {done.stdout.strip()[:300]!r}")
        return value


def version_of(answer: Any, what: str) -> str:
    """``versionId`` of an FC version or alias answer (a dry run's placeholder passes through)."""
    if isinstance(answer, Unknown):
        return answer
    if isinstance(answer, dict) and answer.get("versionId") not in (None, ""):
        return str(answer["versionId"])
    raise ReleaseError(f"{what}: no versionId in {json.dumps(answer)[:300]}")


def weights_of(answer: Any) -> dict[str, float]:
    if isinstance(answer, Unknown) or not isinstance(answer, dict):
        return {}
    weights = answer.get("additionalVersionWeight") or {}
    return {str(k): float(v) for k, v in weights.items() if float(v) > 0} if isinstance(weights, dict) else {}


def load_plan(root: Path, only: list[str] | None = None) -> Plan:
    from bailian_fc_tools.builder.manifest import load_manifest

    manifest = load_manifest(root / "s.yaml", strict=False)
    alias = str((manifest.rendered.get("vars") or {}).get("alias") or "")
    if not alias or alias == "LATEST":
        raise ReleaseError("s.yaml has no vars.alias: triggers and routes must serve an alias (e.g. live)")
    if unknown := [n for n in only or [] if n not in manifest.functions]:
        raise ReleaseError(
            f"unknown function(s) {', '.join(unknown)}; s.yaml has {', '.join(manifest.functions)}"
        )
    targets = [
        Target(
            f.resource, f.name, str(f.props.get("region")), tuple(str(t["triggerName"]) for t in f.triggers)
        )
        for f in manifest.functions.values()
        if not only or f.resource in only
    ]
    domains = [
        name
        for name, res in manifest.rendered["resources"].items()
        if str(res.get("component", "")).startswith("fc3-domain")
    ]
    return Plan(alias, targets, domains)


def alias_of(run: Runner, target: Target, alias: str) -> Any:
    return run(
        [target.resource, "alias", "get", "--alias-name", alias, *target.where],
        f"where {alias} points now",
        read=True,
        unknown=f"<{alias} version of {target.resource}>",
    )


def point(run: Runner, target: Target, alias: str, version: str, weights: dict[str, float], why: str) -> None:
    vw = json.dumps(weights) if weights else NO_WEIGHTS
    run(
        [
            target.resource,
            "alias",
            "publish",
            "--alias-name",
            alias,
            *target.where,
            "--version-id",
            version,
            "--vw",
            vw,
        ],
        why,
    )


def release(run: Runner, plan: Plan, *, canary: float | None = None, note: str = "") -> None:
    alias = plan.alias
    for target in plan.targets:
        run(
            [target.resource, "deploy", "-y", "--function"],
            "code and config to LATEST (runs bailian-fc build)",
        )
        published = run(
            [
                target.resource,
                "version",
                "publish",
                *target.where,
                "--description",
                note or "bailian-fc release",
            ],
            "an immutable version of LATEST",
            read=True,
            unknown=f"<new version of {target.resource}>",
        )
        new = version_of(published, f"{target.resource}: version publish")
        if canary is None:
            point(run, target, alias, new, {}, f"{alias} -> {new}, all traffic")
        else:
            stable = version_of(
                alias_of(run, target, alias), f"{target.resource}: alias get (release without --canary first)"
            )
            point(
                run,
                target,
                alias,
                stable,
                {new: canary},
                f"{alias}: {1 - canary:.0%} on {stable}, {canary:.0%} on {new}",
            )
        if target.triggers:
            run(
                [target.resource, "deploy", "-y", "--trigger", ",".join(target.triggers)],
                f"triggers serve {alias}",
            )
    for domain in plan.domains:
        run([domain, "deploy", "-y"], f"the custom domain's routes serve {alias}")


def promote(run: Runner, plan: Plan) -> None:
    """The canary version gets all traffic."""
    for target in plan.targets:
        current = alias_of(run, target, plan.alias)
        weights = weights_of(current)
        if not weights and not isinstance(current, Unknown):
            raise ReleaseError(f"{target.resource}: {plan.alias} has no canary to promote")
        canary = (
            max(weights, key=weights.__getitem__)
            if weights
            else Unknown(f"<canary version of {target.resource}>")
        )
        point(run, target, plan.alias, canary, {}, f"{plan.alias} -> {canary} (the canary), all traffic")


def rollback(run: Runner, plan: Plan, *, to: str | None = None) -> None:
    for target in plan.targets:
        current = alias_of(run, target, plan.alias)
        version = version_of(current, f"{target.resource}: alias get")
        if weights_of(current) and to is None:
            point(run, target, plan.alias, version, {}, f"canary withdrawn: {plan.alias} -> {version} only")
            continue
        previous = to or previous_version(run, target, version)
        point(run, target, plan.alias, previous, {}, f"{plan.alias} back to {previous}")


def previous_version(run: Runner, target: Target, current: str) -> str:
    listed = run(
        [target.resource, "version", "list", *target.where],
        "the published versions",
        read=True,
        unknown=f"<previous version of {target.resource}>",
    )
    if isinstance(listed, Unknown) or isinstance(current, Unknown):
        return Unknown(f"<previous version of {target.resource}>")
    items = listed.get("versions", []) if isinstance(listed, dict) else listed
    ids = sorted(
        int(v["versionId"]) for v in items if isinstance(v, dict) and str(v.get("versionId", "")).isdigit()
    )
    older = [i for i in ids if i < int(current)]
    if not older:
        raise ReleaseError(f"{target.resource}: no version before {current} to roll back to")
    return str(older[-1])


def _canary(text: str) -> float:
    value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("a share between 0 and 1 (0.1) or a percentage (10%)")
    return value


def register(sub: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--function",
        action="append",
        default=None,
        metavar="FUNCTION",
        help="only this function (repeatable)",
    )
    common.add_argument("--dry-run", action="store_true", help="print the s commands, run none")
    common.add_argument("--s-bin", default="s", help="the Serverless Devs CLI (default: s on PATH)")
    parser = sub.add_parser(
        "release",
        parents=[common],
        help="publish a version of each function and move the live alias to it (or a canary share)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--canary", type=_canary, default=None, help="the new version's share: 0.1 or 10%%")
    mode.add_argument("--promote", action="store_true", help="give the canary version all traffic")
    parser.add_argument("--note", default="", help="the version's description (default: the time)")
    parser.set_defaults(func=_run_release)
    back = sub.add_parser(
        "rollback",
        parents=[common],
        help="move the live alias back to the previous version (or withdraw a canary)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    back.add_argument(
        "--to", default=None, metavar="VERSION", help="this version instead of the previous one"
    )
    back.set_defaults(func=_run_rollback)


def _go(args: argparse.Namespace, action: Callable[[Runner, Plan], None]) -> int:
    from bailian_fc_tools.builder.build import project_root

    root = project_root()
    run = Runner(args.s_bin, root, args.dry_run)
    try:
        plan = load_plan(root, args.function)
        print(
            f"{args.command}: alias {plan.alias}, functions {', '.join(t.resource for t in plan.targets)}"
            + (" (dry run: nothing runs)" if args.dry_run else ""),
            file=sys.stderr,
            flush=True,
        )
        action(run, plan)
    except (ReleaseError, OSError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _run_release(args: argparse.Namespace) -> int:
    note = args.note or f"bailian-fc release {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
    if args.promote:
        return _go(args, promote)
    return _go(args, lambda run, plan: release(run, plan, canary=args.canary, note=note))


def _run_rollback(args: argparse.Namespace) -> int:
    return _go(args, lambda run, plan: rollback(run, plan, to=args.to))
