"""``bailian-fc lock``: one lock, with hashes, for every distribution a built function can ship.

``requirements/functions.lock`` pins ``name==version`` with the sha256 of the wheel for FC's target
(CPython 3.10, manylinux2014 x86_64) for the union of every function's requirements, every store
adapter and the PostgreSQL venue data: resolved by the same pip steps as ``bailian-fc build``
(``build.install_requirements``) from ``build/.wheels`` (filled from PyPI when it lacks something).
Its header carries the digest of what it was resolved from (pyproject's requirements and the build's
``NO_DEPS``/``TARGET_FIXUPS`` tables): ``bailian-fc build`` refuses a lock whose digest is not the
current one, installs with the lock's versions as pip constraints, and refuses a build whose wheels
differ from the lock's hashes. ``.bailian-build.json`` then records each shipped distribution's name,
version and hash and the lock's own sha256, so two builds from one lock write the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any

LOCK_PATH = Path("requirements") / "functions.lock"
REFRESH = "bailian-fc lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
_HEADER = re.compile(r"^# (python|platform|inputs): (\S+)$", re.M)


class LockError(RuntimeError):
    """The lock is missing, stale or does not match a build; the message says how to refresh it."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    sha256: str


@dataclass(frozen=True)
class Lock:
    python: str
    platform: str
    inputs: str
    pins: dict[str, Pin]
    digest: str  # sha256 of the file itself

    def constraints(self) -> str:
        return "".join(f"{p.name}=={p.version}\n" for p in sorted(self.pins.values(), key=lambda p: p.name))


def lock_inputs(root: Path, python: str) -> tuple[list[str], str]:
    """Every function's requirements for every store and data adapter on ``python``, and their digest."""
    from bailian_fc.store import SCHEMES as STORE_SCHEMES
    from bailian_fc.venue import DATA_KINDS
    from bailian_fc_tools.builder import build, slim

    project = build.read_pyproject(root)
    union = sorted(
        {
            req
            for function in build.EXCLUDED_DEPS
            for store in STORE_SCHEMES
            for data in DATA_KINDS
            for req in build.for_target(build.requirements_for(function, project, store, data), python)
        }
    )
    tables = {"requirements": union, "no_deps": slim.NO_DEPS, "fixups": build.TARGET_FIXUPS, "python": python}
    digest = hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()
    return union, f"sha256:{digest}"


def target_tags(python: str, platform: str) -> list[Any]:
    """The wheel tags pip accepts for ``--python-version python --platform platform``, best first."""
    from packaging import tags

    major, minor = (int(p) for p in python.split(".")[:2])
    platforms = [platform]
    if match := re.match(r"manylinux(2014|_2_(\d+))_(\w+)$", platform):
        glibc, arch = (17 if match.group(1) == "2014" else int(match.group(2))), match.group(3)
        platforms = [f"manylinux_2_{m}_{arch}" for m in range(glibc, 4, -1)]
        platforms += [
            f"manylinux{legacy}_{arch}" for m, legacy in ((17, 2014), (12, 2010), (5, 1)) if m <= glibc
        ]
    interpreter = f"cp{major}{minor}"
    return [
        *tags.cpython_tags((major, minor), platforms=platforms),
        *tags.compatible_tags((major, minor), interpreter, platforms),
    ]


def wheel_for(name: str, version: str, wheelhouse: Path, ranked: list[Any]) -> Path | None:
    """The wheel pip installs for ``name==version`` on the target: the best-ranked compatible file."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    rank = {tag: i for i, tag in enumerate(ranked)}
    best: tuple[int, Path] | None = None
    for path in wheelhouse.glob("*.whl"):
        try:
            wname, wversion, _, wtags = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue
        if canonical(str(wname)) != canonical(name) or str(wversion) != version:
            continue
        score = min((rank[t] for t in wtags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, path)
    return best[1] if best else None


def installed(target: Path) -> dict[str, str]:
    """Canonical name → version of the distributions installed in ``target`` (a build's python/)."""
    found = {}
    for meta in target.glob("*.dist-info/METADATA"):
        headers = Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"), headersonly=True)
        found[canonical(headers["Name"])] = str(headers["Version"])
    return found


def shipped(
    target: Path, wheelhouse: Path, python: str, platform: str, *, for_lock: bool = False
) -> list[Pin]:
    """Each distribution in ``target`` with the sha256 of the wheel it came from; a wheel this
    machine built from an sdist (oss2, crcmod) carries no hash outside the lock itself, since
    another machine's build of the same sdist has other bytes: it is held to its version."""
    ranked = target_tags(python, platform)
    pins = []
    for name, version in sorted(installed(target).items()):
        wheel = wheel_for(name, version, wheelhouse, ranked)
        if wheel is None:
            raise LockError(f"{name} {version} is installed but no target wheel for it is in {wheelhouse}")
        built_here = (wheel.parent / (wheel.name + ".from-sdist")).exists()
        digest = "" if built_here and not for_lock else hashlib.sha256(wheel.read_bytes()).hexdigest()
        pins.append(Pin(name, version, digest))
    return pins


def render(pins: list[Pin], python: str, platform: str, inputs: str) -> str:
    lines = [
        "# Every distribution a built function can ship, for FC's target; produced by `bailian-fc lock`",
        "# (do not edit: `bailian-fc build` refuses a lock whose inputs are not pyproject's current ones).",
        f"# python: {python}",
        f"# platform: {platform}",
        f"# inputs: {inputs}",
    ]
    for pin in sorted(pins, key=lambda p: p.name):
        lines += [f"{pin.name}=={pin.version} \\", f"    --hash=sha256:{pin.sha256}"]
    return "\n".join(lines) + "\n"


def parse(text: str) -> Lock:
    header = dict(_HEADER.findall(text))
    if set(header) != {"python", "platform", "inputs"}:
        raise LockError(f"not a bailian-fc lock (no python/platform/inputs header); run `{REFRESH}`")
    pins: dict[str, Pin] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if (pin := _PIN.match(block.strip())) and (wheel_hash := _HASH.search(block)):
            name = canonical(pin.group(1))
            pins[name] = Pin(name, pin.group(2), wheel_hash.group(1))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Lock(header["python"], header["platform"], header["inputs"], pins, f"sha256:{digest}")


def load(root: Path) -> Lock:
    path = root / LOCK_PATH
    if not path.is_file():
        raise LockError(f"no {LOCK_PATH}: run `{REFRESH}` (it resolves every function's wheels once)")
    return parse(path.read_text(encoding="utf-8"))


def check_current(lock: Lock, root: Path, python: str, platform: str) -> None:
    """Refuse a lock for another target or resolved from other requirements than pyproject's."""
    if (lock.python, lock.platform) != (python, platform):
        raise LockError(
            f"{LOCK_PATH} is for Python {lock.python} / {lock.platform}, this build for {python} / {platform}; "
            f"run `{REFRESH} --python-version {python} --platform {platform}`"
        )
    if lock.inputs != lock_inputs(root, python)[1]:
        raise LockError(
            f"{LOCK_PATH} is out of date: pyproject.toml's requirements (or the build's NO_DEPS/TARGET_FIXUPS) "
            f"changed since it was made; run `{REFRESH}` and commit it"
        )


def load_current(root: Path, pythons: set[str], platform: str) -> Lock:
    lock = load(root)
    for python in sorted(pythons):
        check_current(lock, root, python, platform)
    return lock


def constraint_flags(lock: Lock, out: Path) -> list[str]:
    """``--constraint FILE`` with the lock's ``name==version`` pins; the file sits in the build's output
    dir, named by the lock's digest, so concurrent builds write the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f".constraints-{lock.digest.removeprefix('sha256:')[:16]}.txt"
    if not path.is_file():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(lock.constraints(), encoding="utf-8")
        tmp.replace(path)
    return ["--constraint", str(path)]


def differences(pins: list[Pin], lock: Lock) -> list[str]:
    """What a build ships that the lock does not say (another version, another wheel, not locked)."""
    found = []
    for pin in pins:
        locked = lock.pins.get(pin.name)
        if locked is None:
            found.append(f"{pin.name} {pin.version} is not in the lock")
        elif locked.version != pin.version:
            found.append(f"{pin.name} is {pin.version}, the lock has {locked.version}")
        elif pin.sha256 and locked.sha256 != pin.sha256:
            found.append(
                f"{pin.name} {pin.version}: wheel sha256 {pin.sha256[:12]}…, the lock has {locked.sha256[:12]}…"
            )
    return found


def make_lock(root: Path, python: str, platform: str, wheelhouse: Path, *, refresh: bool) -> str:
    """Resolve the union with the build's own pip steps and render the lock."""
    from bailian_fc_tools.builder import build

    union, inputs = lock_inputs(root, python)
    flags = build.target_flags(python, platform)
    build.fill_wheelhouse(union, flags, wheelhouse, offline=False, refresh=refresh)
    with tempfile.TemporaryDirectory(prefix="bailian-lock-") as tmp:
        target = Path(tmp) / "python"
        build.install_requirements("lock", target, union, flags, wheelhouse, offline=False)
        return render(shipped(target, wheelhouse, python, platform, for_lock=True), python, platform, inputs)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "lock",
        help="write requirements/functions.lock: every shipped distribution's version and wheel hash",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--python-version", default="3.10", help="target Python (default 3.10, FC's runtimes)"
    )
    parser.add_argument("--platform", default="manylinux2014_x86_64", help="wheel platform tag")
    parser.add_argument("--refresh", action="store_true", help="ask the index for newer versions")
    parser.add_argument("--wheelhouse", type=Path, default=None, help="default: <project>/build/.wheels")
    parser.add_argument(
        "--check", action="store_true", help="only say whether the lock is current (exit 1 if not)"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bailian_fc_tools.builder.build import BuildError, project_root

    root = project_root()
    try:
        if args.check:
            check_current(load(root), root, args.python_version, args.platform)
            print(f"lock: {LOCK_PATH} is current", file=sys.stderr)
            return 0
        text = make_lock(
            root,
            args.python_version,
            args.platform,
            args.wheelhouse or root / "build" / ".wheels",
            refresh=args.refresh,
        )
    except (LockError, BuildError) as exc:
        print(f"lock: {exc}", file=sys.stderr)
        return 1
    path = root / LOCK_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"lock: wrote {LOCK_PATH} ({len(parse(text).pins)} distributions)", file=sys.stderr)
    return 0
