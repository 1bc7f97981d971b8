"""Entry point: `python -m benchmarks [--events N] [--concurrency C] …`."""

import sys

from benchmarks.run import main

sys.exit(main())
