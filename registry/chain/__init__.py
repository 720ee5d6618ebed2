"""The chain boundary, one room per job:

- :mod:`registry.chain.artifact`: the compiled registry committed in the package;
- :mod:`registry.chain.client`: a web3.py client for it (typed reads, simulated writes, fees);
- :mod:`registry.chain.deployments`: the registry deployed per chain id, recorded in the home;
- :mod:`registry.chain.signer`: the signing key, from a keystore or the environment (invariant 9);
- :mod:`registry.chain.view`: what the verifier knows of the chain, and a direct reader of it.
"""
