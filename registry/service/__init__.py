"""The verifier service: FastAPI app, chain indexer, and the verification page."""
