"""stack-cfo: the AI-CFO backend (gRPC service, notification scheduler, 0G compute client)."""

__version__ = "0.1.0"
