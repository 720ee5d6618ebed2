"""`credreg deploy`: put the registry contract on chain and record where it is."""

from __future__ import annotations

from registry.cli.context import Context
from registry.errors import ExitCode


def cmd_deploy(ctx: Context) -> int:
    from registry.chain import deployments
    from registry.chain.client import RegistryClient

    chain_id = ctx.w3.eth.chain_id
    if ctx.args.reuse:
        found = deployments.recorded(ctx.home, chain_id)
        if found and len(ctx.w3.eth.get_code(found.address)) > 0:
            ctx.emit({**found._asdict(), "reused": True}, found.address)
            return ExitCode.OK
    signer = ctx.signer()
    client, receipt = RegistryClient.deploy(ctx.w3, signer, owner=ctx.args.owner,
                                            max_fee_gwei=ctx.args.max_fee_gwei)
    record = deployments.Deployment(chain_id, client.address, receipt["blockNumber"],
                                    "0x" + receipt["transactionHash"].hex().removeprefix("0x"))
    deployments.record(ctx.home, record)
    ctx.emit({**record._asdict(), "reused": False, "gasUsed": receipt["gasUsed"]}, client.address)
    return ExitCode.OK
