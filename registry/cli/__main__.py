"""`python -m registry.cli`: the same as the `credreg` script."""

import sys

from registry.cli.parser import main

if __name__ == "__main__":  # not when a spawned uvicorn worker re-imports this as __mp_main__
    sys.exit(main())
