"""credreg: a blockchain-anchored registry for micro-credentials."""

__version__ = "0.1.0"
