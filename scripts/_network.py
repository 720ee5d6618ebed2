"""Shared by the Ape scripts (a leading underscore keeps `ape run` from listing it)."""

import click


def provider_url(provider) -> str:
    url = getattr(provider, "http_uri", None) or getattr(provider, "uri", None)
    if not url:
        raise click.UsageError("this network has no JSON-RPC endpoint (the in-process EVM): "
                               "use ethereum:local:foundry or ethereum:sepolia:node")
    return url
