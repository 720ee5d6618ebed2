"""What routes are handed: the chain view, the settings and the metrics of the app serving them.

All three live on ``app.state`` (set by ``create_app`` and its lifespan); routes take them through
these ``Annotated`` aliases, so a test can hand the app another view.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.chain.view import ChainView
from registry.service.metrics import Metrics
from registry.service.settings import Settings


# The dependencies are coroutines because FastAPI runs a plain function in its thread pool: three
# thread hand-offs per request cost more than the verification itself.
async def get_view(request: Request) -> ChainView:
    """A view pinned to one index snapshot for the whole request."""
    return request.app.state.views()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


View = Annotated[ChainView, Depends(get_view)]
Config = Annotated[Settings, Depends(get_settings)]
Meter = Annotated[Metrics, Depends(get_metrics)]
