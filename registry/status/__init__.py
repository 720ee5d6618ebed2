"""Status lists: W3C Bitstring Status Lists mirrored from the chain into the issuer's public folder.

- ``bitstring``: the list's bits, GZIP and multibase (``encodedList``);
- ``lists``: the ``BitstringStatusListCredential`` documents, signed and read back;
- ``folder``: the issuer's public folder, written atomically and read back (index, anchor maps);
- ``publishing``: ``credreg publish``, the lists built from the chain's events and the store;
- ``auditing``: published lists held to the chain (``credreg audit --public``).
"""
