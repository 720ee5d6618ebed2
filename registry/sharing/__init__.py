"""Sharing a credential: baked badge images, encrypted share links, the printable certificate."""
