"""Sharing a credential: baking it into its badge image and reading it back (``baking``)."""
