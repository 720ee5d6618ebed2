"""`ape run deploy --network ethereum:sepolia:node`: deploy the registry through credreg.

A thin wrapper: Ape picks and connects the network; `credreg deploy` does the work with the
signer from CREDREG_PRIVATE_KEY (or --keystore with CREDREG_KEYSTORE_PASSWORD).
"""

import click
from ape.cli import ConnectedProviderCommand

from registry.cli import main as credreg
from scripts._network import provider_url


@click.command(cls=ConnectedProviderCommand)
@click.option("--owner", help="governance owner (default: the signer)")
@click.option("--keystore", help="encrypted keystore of the signer")
def cli(provider, owner, keystore):
    args = ["deploy", "--rpc-url", provider_url(provider)]
    args += ["--owner", owner] if owner else []
    args += ["--keystore", keystore] if keystore else []
    raise SystemExit(credreg(args))
