"""A stand-in for ``s`` with fc3 against a Function Compute account, for release/rollback's decisions.

FC has no local server to talk to, so this keeps one account's versions and aliases in a JSON file
(``FAKE_S_STATE``) and answers the fc3 commands ``bailian-fc release``/``rollback`` run, in the shapes
FC's API returns (``versionId``, ``additionalVersionWeight``), after a WARN line as ``s`` prints as root.
It refuses what FC would: an alias get before the alias exists, an unknown version, a command it does
not know. Every command line is appended to ``calls``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def main(argv: list[str]) -> int:
    path = Path(os.environ["FAKE_S_STATE"])
    state = json.loads(path.read_text()) if path.exists() else {"calls": [], "functions": {}}
    state["calls"].append(argv)
    resource, command = argv[0], argv[1:3]
    fn = state["functions"].setdefault(resource, {"deployed": 0, "versions": [], "alias": None})
    answer: object = None
    if command[0] == "deploy":
        fn["deployed"] += "--function" in argv
    elif command == ["version", "publish"]:
        fn["versions"].append(
            {"versionId": str(len(fn["versions"]) + 1), "description": flag(argv, "--description")}
        )
        answer = fn["versions"][-1]
    elif command == ["version", "list"]:
        answer = list(reversed(fn["versions"]))
    elif command == ["alias", "get"]:
        if fn["alias"] is None:
            print("[ERROR] AliasNotFound: alias live does not exist", file=sys.stderr)
            path.write_text(json.dumps(state))
            return 1
        answer = fn["alias"]
    elif command == ["alias", "publish"]:
        version, weights = flag(argv, "--version-id"), json.loads(flag(argv, "--vw") or "{}")
        known = {v["versionId"] for v in fn["versions"]}
        if version not in known or not set(weights) <= known:
            print(f"[ERROR] VersionNotFound: {version} {weights}", file=sys.stderr)
            path.write_text(json.dumps(state))
            return 1
        fn["alias"] = answer = {"aliasName": flag(argv, "--alias-name"), "versionId": version,
                                "additionalVersionWeight": weights}  # fmt: skip
    else:
        print(f"[ERROR] fake s: unknown command {argv}", file=sys.stderr)
        return 2
    path.write_text(json.dumps(state))
    if "-o" in argv and answer is not None:
        print("[2026-12-08 01:11:39][WARN][s_cli] It is not recommended to run the command as root user.")
        print(json.dumps(answer, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
