"""The chain boundary: the compiled registry artifact and a web3.py client for it."""
