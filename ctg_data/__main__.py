"""`python -m ctg_data …`: the command line (see ctg_data.cli)."""

import sys

from ctg_data.cli import main

sys.exit(main())
