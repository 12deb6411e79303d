"""``python -m steelseg_gui.cli``: the ``steelseg`` command."""

import sys

from steelseg_gui.cli import main

sys.exit(main())
