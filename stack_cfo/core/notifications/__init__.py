"""Notifications domain (pure): schedules and slots in local time, idempotency keys, quiet
hours, market calendars, preferences, retry policy, and content for email and push.

The scheduler process (:mod:`stack_cfo.scheduler`) does the I/O around these.
"""
