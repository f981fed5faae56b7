"""Protocol-faithful stand-ins for remote services, served on 127.0.0.1 (port 0).

* :mod:`tests.standins.chain_rpc`: EVM JSON-RPC with the 0G contracts' state (reads and raw txs).
* :mod:`tests.standins.zerog_provider`: a 0G provider broker and the 0G Router.
"""
