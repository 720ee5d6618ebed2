"""The verifier service: settings, the answers' models, the routes' dependencies, metrics, the
routers (one per resource), the app factory, the chain indexer, and the verification page."""
