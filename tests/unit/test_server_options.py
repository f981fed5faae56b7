"""The grpc server's channel arguments that bound what a client can make it hold."""

from __future__ import annotations

from stack_cfo.api.server import server_options
from stack_cfo.config.service import ServerConfig


def test_bandwidth_delay_probing_is_off_so_an_unread_calls_window_stays_small() -> None:
    """With grpc's probing, every stream's receive window grew to megabytes: calls the server refused at their
    headers (a bad token) still took their bodies into memory (one connection, 100 concurrent 6.4 MB syncs: a
    server at 960 MB instead of 368 MB). Off, a stream gets more than its 256 KiB only once its message is read."""
    options = dict(server_options(ServerConfig()))
    assert options["grpc.http2.bdp_probe"] == 0
    assert options["grpc.http2.lookahead_bytes"] == 256 * 1024
    assert options["grpc.max_receive_message_length"] == ServerConfig().max_message_bytes


def test_a_zero_window_leaves_grpcs_bandwidth_delay_probing_on() -> None:
    """(For replicas holding many watches behind a proxy that bounds bodies: probing saved CPU per fan-out.)"""
    options = dict(server_options(ServerConfig(stream_receive_window=0)))
    assert options["grpc.http2.bdp_probe"] == 1 and "grpc.http2.lookahead_bytes" not in options
    options = dict(server_options(ServerConfig(stream_receive_window=1 << 20)))
    assert options["grpc.http2.bdp_probe"] == 0 and options["grpc.http2.lookahead_bytes"] == 1 << 20
