"""Tooling that never runs on Function Compute: a package of its own, so no build can ship it.

``bailian-fc build`` copies the runtime package ``bailian_fc`` only; nothing under ``bailian_fc``
imports this one (``tests/test_architecture.py``). Its sub-rooms:

* :mod:`.cli`: the ``bailian-fc`` command line, one subcommand per concern below;
* :mod:`.builder`: ``s.yaml`` reading, code-dir builds, slimming, the eager-import check, the lock
  (``requirements/functions.lock``) and the built-dir probe;
* :mod:`.deploy`: ``validate`` and its deploy-environment and settings checks, ``verify``,
  ``release``/``rollback``, ``logs``, ``store init``;
* :mod:`.local`: every function of ``s.yaml`` on one local port, the FC platform fakes, one FC
  invocation in a fresh interpreter, slow-client guards;
* :mod:`.db`: the venue database (migrations, RLS generation, a throwaway PostgreSQL, writers,
  the data-network checks);
* :mod:`.emulator`: a Bailian emulator with scripted faults;
* :mod:`.demo`: demo venue and finance data;
* :mod:`.export`: the JSON Schema / OpenAPI / TypeScript exports under ``types/``;
* ``data/``: the fc3 props schema, with its licence.
"""
