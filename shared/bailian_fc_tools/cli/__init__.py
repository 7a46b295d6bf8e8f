"""The ``bailian-fc`` command line: the argparse entry (:mod:`.main`) and ``python -m bailian_fc_tools.cli``.

Each subcommand lives beside its concern in a sibling sub-room and registers itself; the entry imports
a subcommand's module only when building the parser, and each command imports its heavy parts when run.
"""
