"""The verifier service: the FastAPI app (``registry.service.app.create_app``), its settings,
models, dependencies and routers, the chain indexer, and the verification page (``static/``)."""
