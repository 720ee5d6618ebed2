"""`credreg serve`: the verifier service under uvicorn, its Settings handed to every worker process."""

from __future__ import annotations

import pickle
import sys
from typing import TYPE_CHECKING

from registry.cli.context import Context
from registry.errors import ExitCode

if TYPE_CHECKING:
    from fastapi import FastAPI

    from registry.service.settings import Settings


class AppFactory:
    """The app factory each worker calls, with the Settings bound: uvicorn pickles it to them.

    The Settings travel as bytes, unpickled only when the worker builds its app. Unpickling this
    object imports nothing heavy, so a worker starts answering its supervisor's health checks at
    once; importing the service (seconds on a busy machine) within their 5 s would get it killed.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = pickle.dumps(settings)

    @property
    def settings(self) -> Settings:
        return pickle.loads(self._settings)

    def __call__(self) -> FastAPI:
        from registry.service.app import create_app

        return create_app(self.settings)


def cmd_serve(ctx: Context) -> int:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from registry.cli._nodelay import listening_socket

    # The verifier signs nothing: its workers are not handed the signer's secrets at all.
    settings = ctx.settings.model_copy(update={"private_key": None, "keystore_password": None})
    if ctx.args.confirmations:
        settings = settings.model_copy(update={"confirmations": ctx.args.confirmations})
    if ctx.args.public is not None:
        if not ctx.args.public.is_dir():
            from registry.errors import ConfigError

            raise ConfigError(f"--public {ctx.args.public}: not a folder (run `credreg publish` to make it)")
        settings = settings.model_copy(update={"public_dir": ctx.args.public.resolve()})
    if ctx.args.cors_origin:  # checked by the parser, as the environment's are by Settings
        settings = settings.model_copy(update={"cors_origins": tuple(ctx.args.cors_origin)})
    if ctx.args.metrics_port is not None:
        settings = settings.model_copy(update={"metrics_port": ctx.args.metrics_port})
    if settings.metrics_port == ctx.args.port:
        from registry.errors import ConfigError

        raise ConfigError(f"--metrics-port {settings.metrics_port} is the port of the API (--port): give another")
    ctx.registry()  # fail now, with a clear message and exit code, if there is nothing to serve
    print(f"credreg verifier on http://{ctx.args.host}:{ctx.args.port}/  (API docs at /docs)"
          + (f"; public files of {settings.public_dir}" if settings.public_dir else "")
          + (f"; /metrics on port {settings.metrics_port} only" if settings.metrics_port else ""), file=sys.stderr)
    # Spawned workers get the Config pickled, factory and Settings with it: each builds its app
    # from these very Settings, and nothing is written to os.environ.
    config = uvicorn.Config(AppFactory(settings), factory=True, host=ctx.args.host,
                            port=ctx.args.port, workers=ctx.args.workers, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    sockets = None  # one worker and one port: uvicorn binds it in the worker, Nagle off
    if config.workers > 1 or settings.metrics_port is not None:
        # Bound here. Not config.bind_socket() as it is: its connections would keep Nagle on (see _nodelay).
        sockets = [listening_socket(config)]
        if settings.metrics_port is not None:  # the app tells the two apart by port (service/ports.py)
            metrics = uvicorn.Config(config.app, host=ctx.args.host, port=settings.metrics_port, log_level="warning")
            sockets.append(listening_socket(metrics))
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=sockets).run()
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)  # the port is taken, or the app failed to start: as uvicorn.run exits
    return ExitCode.OK
