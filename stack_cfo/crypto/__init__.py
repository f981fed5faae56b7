"""Cryptography used by the service: envelope encryption of archives (:mod:`.envelope`)."""
