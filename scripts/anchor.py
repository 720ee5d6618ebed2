"""`ape run anchor --network ethereum:sepolia:node`: the nightly job, through credreg.

A thin wrapper over `credreg anchor` on the network Ape connects to.
"""

import click
from ape.cli import ConnectedProviderCommand

from registry.cli import main as credreg
from scripts._network import provider_url


@click.command(cls=ConnectedProviderCommand)
@click.option("--confirmations", default="1", help="blocks deep before files are written")
@click.option("--max-fee-gwei", help="cap on the fee per gas")
@click.option("--out", help="where credential files go")
@click.option("--dry-run", is_flag=True, help="show what would happen; send nothing")
@click.option("--keystore", help="encrypted keystore of the signer")
def cli(provider, confirmations, max_fee_gwei, out, dry_run, keystore):
    args = ["anchor", "--rpc-url", provider_url(provider), "--confirmations", confirmations]
    args += ["--max-fee-gwei", max_fee_gwei] if max_fee_gwei else []
    args += ["--out", out] if out else []
    args += ["--dry-run"] if dry_run else []
    args += ["--keystore", keystore] if keystore else []
    raise SystemExit(credreg(args))
