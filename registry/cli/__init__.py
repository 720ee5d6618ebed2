"""`credreg`, the command line: ``main`` parses, runs one command and returns its exit code.

The parser and `main` are in :mod:`registry.cli.parser`; each command group in its own module.
"""

from registry.cli.parser import main

__all__ = ["main"]
