"""``python -m bailian_fc_tools.cli``: the same entry as the ``bailian-fc`` console script."""

import sys

from bailian_fc_tools.cli.main import main

sys.exit(main())
