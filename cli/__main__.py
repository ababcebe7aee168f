"""``python -m hadeck.cli``: the ``hadeck`` command."""

import sys

from hadeck.cli.main import main

sys.exit(main())
