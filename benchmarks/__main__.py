"""Entry point: `python -m benchmarks [edge|startup|tick|all] [options]` (see benchmarks/run.py)."""

import sys

from benchmarks.run import main

sys.exit(main())
