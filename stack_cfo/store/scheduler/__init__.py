"""PostgreSQL side of the notification scheduler: planning, claiming, marking, preferences,
devices, history, runs, heartbeats, news and the stored renderings of notification content. SQL
lives in ``sql/scheduler.sql`` (the renderings': ``sql/notification_content.sql``).

Every statement is short and none is held open across network I/O: a claim commits before
any send, and each result is written back in its own statement, fenced by ``locked_by``.
:class:`SchedulerRepo` is one object over one pool; its methods are grouped by job in the
modules of this package.
"""

from __future__ import annotations

from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.scheduler.contents import ContentsQueries
from stack_cfo.store.scheduler.news import NewsQueries
from stack_cfo.store.scheduler.outbox import OutboxQueries
from stack_cfo.store.scheduler.planning import PlanningQueries
from stack_cfo.store.scheduler.runs import RunsQueries
from stack_cfo.store.scheduler.status import StatusQueries
from stack_cfo.store.scheduler.users import UsersQueries


@store_metrics.timed(store_metrics.SCHEDULER)
class SchedulerRepo(
    PlanningQueries, OutboxQueries, StatusQueries, UsersQueries, RunsQueries, NewsQueries, ContentsQueries
):
    """The scheduler's tables (implements ``NotificationStore``, ``WebhookStore``, ``FeedStore``, ``NewsReader``
    and ``RenderingStore``)."""


__all__ = ["SchedulerRepo"]
