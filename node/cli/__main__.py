"""`python -m node.cli`: the same as the `agency-node` command."""

import sys

from node.cli import main

sys.exit(main())
