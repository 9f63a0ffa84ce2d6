"""`python -m accent_coach.cli` runs the same command line as the `accent-coach` script."""

import sys

from accent_coach.cli import main

sys.exit(main())
