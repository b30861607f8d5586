"""`python -m cfstep`."""

import sys

from cfstep.cli import main

sys.exit(main())
