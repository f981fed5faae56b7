"""The weekly summary's figures, through RunJob on a real server and the SMTP stand-in: the percentage stated
beside the start and end values is the whole portfolio's return over the week (cash included, as both values
are; time-weighted, so a deposit is no gain, and the deposit is stated), never the invested positions' return
set beside values that include cash; and the week shown ends by the user's own local date.

Prices (NYSE sessions from Mon 2 Nov 2026; Thanksgiving, Thu 26 Nov, is closed): on the n-th session
(n = 0 on 2 Nov) AAPL closes at 200 + n, MSFT at 300 + 2n and SPY at 500 + n, so

    Fri 20 Nov: n = 14 (AAPL 214, MSFT 328)   Mon 23 Nov: n = 15 (AAPL 215, MSFT 330)
    Tue 24 Nov: n = 16 (AAPL 216, MSFT 332)   Wed 25 Nov: n = 17 (AAPL 217, MSFT 334)
    Fri 27 Nov: n = 18 (AAPL 218, MSFT 336)   Fri  4 Dec: n = 23 (AAPL 223, MSFT 346)

and every portfolio holds 10 AAPL, 4 MSFT and cash (1500 USD, plus a 1000 USD deposit where said).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from stack_cfo.core.notifications.ai_texts import weekly_document, weekly_paragraph
from stack_cfo.core.notifications.content import render_weekly
from stack_cfo.core.notifications.ports import WeeklyFacts
from tests.standins.smtp import ReceivedMail, SmtpSink
from tests.support.portfolio_feeds import nyse_sessions
from tests.support.server import RunningServer, running_server

PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")
FIRST, LAST = date(2026, 11, 2), date(2026, 12, 4)
HOLDINGS = [
    ppb.Holding(symbol="AAPL", quantity="10", average_cost="150", currency="USD"),
    ppb.Holding(symbol="MSFT", quantity="4", average_cost="300", currency="USD"),
]


def _date(d: date) -> common_pb2.Date:
    return common_pb2.Date(year=d.year, month=d.month, day=d.day)


def test_the_price_table_in_the_docstring() -> None:
    n = {d: i for i, d in enumerate(nyse_sessions(FIRST, LAST))}
    assert date(2026, 11, 26) not in n
    assert (n[date(2026, 11, 20)], n[date(2026, 11, 25)], n[date(2026, 11, 27)], n[date(2026, 12, 4)]) == (
        14, 17, 18, 23,
    )  # fmt: skip


@pytest.fixture
async def server(db_dsn: str, data_dir: Path, smtp_sink: SmtpSink) -> AsyncIterator[tuple[RunningServer, FrozenClock]]:
    """A server (no AI provider: the deterministic paragraph) mailing to the sink, its clock after LAST."""
    clock = FrozenClock(datetime(2026, 12, 5, 12, tzinfo=UTC))
    overrides = {"notifications": {"smtp": {
        "host": "127.0.0.1", "port": smtp_sink.port, "starttls": False, "timeout": "5s",
    }}}  # fmt: skip

    # RunJob plans and delivers on the server's clock (before, it planned on the database's: with a frozen
    # time before now nothing was ever delivered)
    async with running_server(db_dsn, data_dir, overrides, clock=clock) as srv:
        points = []
        for i, d in enumerate(nyse_sessions(FIRST, LAST)):
            for symbol, close in (("AAPL", 200 + i), ("MSFT", 300 + 2 * i), ("SPY", 500 + i)):
                points.append(ppb.PricePoint(symbol=symbol, date=_date(d), close=str(close), currency="USD"))
        await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).RecordPrices(
            ppb.RecordPricesRequest(points=points), metadata=srv.auth(service="market-data"), timeout=30
        )
        yield srv, clock


async def _user(srv: RunningServer, tz: str) -> str:
    user = str(uuid.uuid4())
    await pb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
            name=f"users/{user}/notificationPreferences", time_zone=tz, email_address="investor@example.com",
            push_enabled=False, webhook_enabled=False, feed_enabled=False,
        )),
        metadata=srv.auth(user), timeout=10,
    )  # fmt: skip
    return user


async def _sync(srv: RunningServer, user: str, cash: str, **kw: Any) -> None:
    await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance=cash, positions=HOLDINGS, **kw
        ),
        metadata=srv.auth(user), timeout=10,
    )


async def _weekly(srv: RunningServer, sink: SmtpSink, user: str) -> tuple[ReceivedMail, pb.Notification]:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    events = [e async for e in stub.RunJob(
        pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_WEEKLY_SUMMARY, user=f"users/{user}"),
        metadata=srv.auth(service="ops"), timeout=60,
    )]  # fmt: skip
    assert events[-1].counts.sent == 1, events
    listed = await stub.ListNotifications(
        pb.ListNotificationsRequest(parent=f"users/{user}"), metadata=srv.auth(user), timeout=10
    )
    (notification,) = listed.notifications
    return (await sink.wait_for(1))[-1], notification


def _grounded_facts(n: pb.Notification) -> set[str]:
    (receipt,) = n.receipts
    assert receipt.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
    return {f.fact for f in receipt.grounding.figures}


async def test_a_new_portfolios_week_states_the_return_of_its_values_cash_included(
    server: tuple[RunningServer, FrozenClock], smtp_sink: SmtpSink
) -> None:
    # the tester's case: a user in Pago Pago syncs and runs the weekly on Saturday 5 Dec at 22:00 there (Sunday
    # 6 Dec, 04:00 in New York). Their holdings now over the seven days: from Fri 27 Nov's close
    # (2180 + 1344 + 1500 = 5024) to Fri 4 Dec's (2230 + 1384 + 1500 = 5114), +90: 90 / 5024 = 1.79 %, not
    # the positions' 90 / 3524 = 2.55 % it stated beside those values
    srv, clock = server
    clock.set(datetime(2026, 12, 5, 22, tzinfo=PAGO_PAGO).astimezone(UTC))
    user = await _user(srv, "Pacific/Pago_Pago")
    await _sync(srv, user, "1500")
    mail, n = await _weekly(srv, smtp_sink, user)
    text = mail.part("plain")
    assert "your portfolio went from $5,024.00 to $5,114.00 this week, a gain of 1.79%." in text, text
    assert "Return: +1.79% (+$90.00) vs SPY" in text
    assert "2.55%" not in text
    assert ": +1.79% vs SPY" in mail.subject
    # the week shown ends on the user's Saturday, not on a Sunday that has not begun for them
    assert "Sun, Nov 29 – Sat, Dec 5" in mail.subject, mail.subject
    assert "Your STACK weekly summary, Sun, Nov 29 – Sat, Dec 5." in text
    assert "Dec 6" not in text
    assert "week.portfolio_return_percent" in _grounded_facts(n)


async def test_a_deposit_during_the_week_is_stated_and_is_no_gain(
    server: tuple[RunningServer, FrozenClock], smtp_sink: SmtpSink
) -> None:
    # holdings since Fri 13 Nov; on Wed 25 Nov 1000 USD deposited (cash 1500 -> 2500). The weekly of Mon 30
    # Nov (07:00 in Pago Pago) covers Mon 23 - Sun 29 Nov: from Fri 20 Nov's 2140 + 1312 + 1500 = 4952 to Fri
    # 27 Nov's 2180 + 1344 + 2500 = 6024. Time-weighted, the deposit arriving at Wednesday's close:
    # 5006 / 4952 x 6024 / 6006 - 1 = 1.39 % (the value change over the start, 21.65 %, counts the deposit; the
    # positions' own return, 72 / 3452 = 2.09 %, leaves the cash out)
    srv, clock = server
    user = await _user(srv, "Pacific/Pago_Pago")
    await _sync(srv, user, "1500", effective_date=_date(date(2026, 11, 13)))
    deposit = ppb.CashFlow(
        id="dep-1", occur_date=_date(date(2026, 11, 25)), type=ppb.CASH_FLOW_TYPE_DEPOSIT, amount="1000"
    )
    await _sync(srv, user, "2500", effective_date=_date(date(2026, 11, 25)), cash_flows=[deposit])
    clock.set(datetime(2026, 11, 30, 7, tzinfo=PAGO_PAGO).astimezone(UTC))
    mail, n = await _weekly(srv, smtp_sink, user)
    text = " ".join(mail.part("plain").split())  # quoted-printable soft breaks aside
    twr = Decimal(5006) / Decimal(4952) * Decimal(6024) / Decimal(6006) - 1
    percent = f"{twr * 100:.2f}%"
    assert percent == "1.39%"
    assert (
        "your portfolio went from $4,952.00 to $6,024.00 this week, with net deposits of $1,000.00. Leaving "
        f"deposits and withdrawals out, its time-weighted return was +{percent}." in text
    ), text
    assert "Net deposits and withdrawals: +$1,000.00" in text
    assert f"Return: +{percent} (+$72.00) vs SPY" in text  # the gain: 1072 changed, 1000 of it deposited
    assert "21.65%" not in text and "2.09%" not in text
    assert "Mon, Nov 23 – Sun, Nov 29" in mail.subject and f": +{percent} vs SPY" in mail.subject
    assert {"week.portfolio_return_percent", "week.net_deposits_amount"} <= _grounded_facts(n)


def test_the_paragraph_with_a_withdrawal_states_only_figures_of_its_document() -> None:
    facts = WeeklyFacts(
        week_start=date(2026, 11, 23), week_end=date(2026, 11, 29), currency="USD",
        start_value=Decimal("4952"), end_value=Decimal("3960"), change=Decimal("-992"), week_return=0.0209,
        portfolio_return=0.0105, net_flows=Decimal("-1000"), benchmark_symbol="SPY", benchmark_return=0.008,
        top_movers=(),
    )  # fmt: skip
    text = weekly_paragraph(facts)
    assert "with net withdrawals of $1,000.00" in text and "time-weighted return was +1.05%" in text
    doc = weekly_document(facts)
    assert doc["week"]["portfolio_return_percent"] == 1.05 and doc["week"]["net_withdrawals_amount"] == "1000.00"
    assert doc["week"]["week_return_percent"] == 2.09  # the positions' return keeps its meaning
    result = check(text, facts_from_data(doc, currency="USD"))
    assert result.status is GroundingStatus.GROUNDED, [f.raw for f in result.ungrounded]


def test_the_fake_readers_figures_still_give_the_return_of_their_values() -> None:
    # a reader without portfolio_return (no flows): the stated return is end over start
    facts = WeeklyFacts(
        week_start=date(2026, 11, 23), week_end=date(2026, 11, 29), currency="USD",
        start_value=Decimal("5040"), end_value=Decimal("5138"), change=Decimal("98"), week_return=0.0277,
        benchmark_symbol="SPY", benchmark_return=0.014, top_movers=(),
    )  # fmt: skip
    assert "a gain of 1.94%" in weekly_paragraph(facts)


def test_the_figures_and_lines_state_the_portfolios_return_and_the_deposit() -> None:
    facts = WeeklyFacts(
        week_start=date(2026, 11, 23), week_end=date(2026, 11, 29), currency="USD",
        start_value=Decimal("4952"), end_value=Decimal("6024"), change=Decimal("1072"), week_return=0.0209,
        portfolio_return=0.0139, net_flows=Decimal("1000"), benchmark_symbol="SPY", benchmark_return=0.008,
        top_movers=(),
    )  # fmt: skip
    r = render_weekly(facts, period="2026-W49", key="k")
    figures = {f.name: f.value for f in r.figures}
    assert (figures["start_value"], figures["change"], figures["net_flows"]) == ("4952", "1072", "1000")
    assert float(figures["week_return"]) == 0.0139  # the return the content states
    assert "Return: +1.39% (+$72.00) vs SPY +0.80%" in r.email.text
    assert "Net deposits and withdrawals: +$1,000.00" in r.email.text
    assert "You finished 0.59% ahead of SPY." in r.email.text
    assert r.push.body.startswith("+1.39% vs SPY")
