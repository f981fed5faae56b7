"""The notification scheduler process (``stack-cfo scheduler``) and the functions the gRPC
``SchedulerService`` calls.

Every replica is identical: a ``schedule`` ticker drives a planner (outbox rows with unique
idempotency keys, database clock), a delivery worker (claims with ``FOR UPDATE SKIP LOCKED``,
sends with bounded concurrency, fenced write-backs), a reaper, heartbeats and metrics.
PostgreSQL does all the coordination.
"""
