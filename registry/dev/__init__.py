"""Development tooling behind `make run` and the tests: a local anvil chain and the demo.

Nothing in the library imports this package, and it is left out of the built wheel
(pyproject.toml): it exists only in a checkout of the repository.
"""
