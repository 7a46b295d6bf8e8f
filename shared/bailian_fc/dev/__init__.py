"""Tooling that never runs on Function Compute: ``bailian-fc build`` leaves this whole room out.

* command line: :mod:`.cli` (``bailian-fc``), one subcommand per concern below;
* local serving: :mod:`.dev` (every function of ``s.yaml`` on one port), :mod:`.fc_context` (stand-ins
  for the FC platform), :mod:`.slow_clients`, :mod:`.invoke` / :mod:`.invoke_child` / :mod:`.invoke_env`
  (one FC invocation in a fresh interpreter), :mod:`.emulator` (a Bailian emulator with scripted faults);
* building and checking a deployment: :mod:`.manifest` (reads ``s.yaml``), :mod:`.build`,
  :mod:`.slim`, :mod:`.imports`, :mod:`.validate`, :mod:`.venue_network`, :mod:`.verify`,
  :mod:`.store_init`;
* the venue database: :mod:`.db`, :mod:`.migrations`, :mod:`.rls`, :mod:`.pgtemp`, :mod:`.pg_writer`;
* data and types: :mod:`.demo_finance`, :mod:`.demo_venue`, :mod:`.export_types`, ``data/`` (the fc3
  props schema, with its licence).

Shipped rooms never import this one (``tests/test_architecture.py``).
"""
