"""Local emulator of the Bailian (DashScope Application API) gateway for tests, benches and dev.

    from bailian_fc_tools.emulator import Emulator, Behaviour, EmulatorThread

See :mod:`bailian_fc_tools.emulator.behaviours` for what each scripted behaviour puts on the wire.
"""

from bailian_fc_tools.emulator.behaviours import KINDS, MAX_STALL_SECONDS, Behaviour, http_error
from bailian_fc_tools.emulator.records import RequestRecord
from bailian_fc_tools.emulator.replies import app_key_for, default_reply
from bailian_fc_tools.emulator.server import Emulator, EmulatorThread, main

__all__ = [
    "KINDS",
    "MAX_STALL_SECONDS",
    "Behaviour",
    "Emulator",
    "EmulatorThread",
    "RequestRecord",
    "app_key_for",
    "default_reply",
    "http_error",
    "main",
]
