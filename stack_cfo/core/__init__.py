"""The domain: portfolio analytics, chat sessions, notifications, insights, errors.

No grpc, no SQL text, no HTTP here. The outside world is reached through the small
Protocols in :mod:`stack_cfo.core.ports` and the modules next to the features.
"""
