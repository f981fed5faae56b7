"""The periods digests and weekly summaries report (scheduler.proto, ``Notification.period``): a
digest reports the last trading day before its local date, never a weekend day or a holiday; a
weekly summary covers the whole Monday-Sunday week before, its start value, end value and return
all measured over that week. A portfolio first synced after the period has no figures for it
(no facts: the notification is skipped ``no_portfolio``), never today's figures under the
period's label.

Prices (NYSE sessions from Mon 2 Nov 2026; Thanksgiving, Thu 26 Nov, is closed): AAPL closes at
200 + n and SPY at 500 + n on the n-th session (n = 0 on 2 Nov), so

    Fri 20 Nov: n = 14 (AAPL 214, SPY 514)   Mon 23 Nov: n = 15 (AAPL 215)
    Wed 25 Nov: n = 17 (AAPL 217)            Fri 27 Nov: n = 18 (AAPL 218, SPY 518)
    Thu  3 Dec: n = 22 (AAPL 222)            Fri  4 Dec: n = 23 (AAPL 223)

and every portfolio holds 10 AAPL and 1000 USD in cash.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from tests.integration.scheduler.conftest import add_users
from tests.support.portfolio_feeds import TestFeed, nyse_sessions

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = date(2026, 11, 2)
LAST = date(2026, 12, 4)  # Friday: the last close recorded
# Sun 6 Dec 09:00 in Tokyo = Sat 5 Dec 19:00 in New York: the tester's new user syncs then, and a
# Tokyo morning digest (of the 6th, reporting the 5th) or weekly summary (of 2026-W49, covering
# Mon 23 - Sun 29 Nov) goes out
SUNDAY_TOKYO = datetime(2026, 12, 6, 9, 0, tzinfo=TOKYO)
WEEK = (date(2026, 11, 23), date(2026, 11, 29))


def test_the_price_table_in_the_docstring() -> None:
    n = {d: i for i, d in enumerate(nyse_sessions(FIRST, LAST))}
    assert date(2026, 11, 26) not in n
    assert (n[date(2026, 11, 20)], n[date(2026, 11, 23)], n[date(2026, 11, 25)]) == (14, 15, 17)
    assert (n[date(2026, 11, 27)], n[date(2026, 12, 3)], n[date(2026, 12, 4)]) == (18, 22, 23)


async def _facts(database: Database, synced_at: datetime) -> tuple[str, PortfolioFacts, FrozenClock]:
    """A user holding 10 AAPL and 1000 USD, synced at ``synced_at``; the clock then at SUNDAY_TOKYO."""
    [user] = await add_users(database, 1)
    clock = FrozenClock(SUNDAY_TOKYO.astimezone(UTC))
    service = PortfolioService(PortfolioRepository(database), TestFeed(), clock=clock, settings=AnalyticsSettings())
    points = []
    for i, d in enumerate(nyse_sessions(FIRST, LAST)):
        points += [
            PriceInput("AAPL", d, Decimal(200 + i), "USD"),
            PriceInput("SPY", d, Decimal(500 + i), "USD"),
        ]
    await service.record_prices(points, idempotency=None)
    clock.set(synced_at.astimezone(UTC))
    with user_scope(user):
        await service.sync(
            SyncCommand(
                user_id=user,
                positions=(HoldingInput("AAPL", Decimal("10"), Decimal("150")),),
                cash_balance=Decimal("1000"),
                base_currency="USD",
            )
        )
    clock.set(SUNDAY_TOKYO.astimezone(UTC))
    return user, PortfolioFacts(service, clock=clock), clock


async def test_a_weekend_digest_reports_friday(database: Database) -> None:
    user, facts, _ = await _facts(database, datetime.combine(FIRST, time(17), NY))
    for day in (date(2026, 12, 5), date(2026, 12, 6)):  # the digests of Sunday and Monday
        digest = await facts.digest_facts(user, day)
        assert digest is not None
        assert digest.day == date(2026, 12, 4)  # not Saturday the 5th
        assert digest.total_value == Decimal("3230")  # 10 x 223 + 1000
        assert digest.change == Decimal("10")  # 10 x (223 - 222)
        assert digest.day_return == pytest.approx(10 / 3220)
        assert digest.data["market_date"] == "2026-12-04"
        assert "2026-12-04" in digest.narrative and "2026-12-05" not in digest.narrative
        assert digest.history[-1].day == date(2026, 12, 4)


async def test_a_digest_after_a_holiday_reports_the_session_before(database: Database) -> None:
    user, facts, _ = await _facts(database, datetime.combine(FIRST, time(17), NY))
    digest = await facts.digest_facts(user, date(2026, 11, 26))  # Thanksgiving: the digest of Fri the 27th
    assert digest is not None and digest.day == date(2026, 11, 25)
    assert digest.total_value == Decimal("3170")  # 10 x 217 + 1000
    assert digest.change == Decimal("10")


async def test_the_weekly_summary_measures_one_week(database: Database) -> None:
    user, facts, _ = await _facts(database, datetime.combine(FIRST, time(17), NY))
    weekly = await facts.weekly_facts(user, *WEEK)
    assert weekly is not None
    assert (weekly.week_start, weekly.week_end) == WEEK
    assert weekly.start_value == Decimal("3140")  # Fri 20 Nov: 10 x 214 + 1000
    assert weekly.end_value == Decimal("3180")  # Fri 27 Nov: 10 x 218 + 1000
    assert weekly.change == Decimal("40")
    assert weekly.week_return == pytest.approx(218 / 214 - 1)  # the invested positions' return
    assert weekly.benchmark_return == pytest.approx(518 / 514 - 1)
    [mover] = weekly.top_movers
    assert mover.symbol == "AAPL" and mover.contribution == Decimal("40.00")


async def test_a_portfolio_synced_over_the_weekend_before_starts_the_week_at_fridays_close(
    database: Database,
) -> None:
    # synced on Sat 21 Nov: its first valuation day is Mon 23 Nov (215), but the week starts
    # from Friday's close (214), as its week return does
    user, facts, _ = await _facts(database, datetime(2026, 11, 21, 12, tzinfo=NY))
    weekly = await facts.weekly_facts(user, *WEEK)
    assert weekly is not None
    assert weekly.start_value == Decimal("3140")
    assert weekly.end_value == Decimal("3180")
    assert weekly.change == Decimal("40")
    assert weekly.week_return == pytest.approx(218 / 214 - 1)


async def test_a_new_users_first_digest_is_dated_by_its_close_and_has_no_week_before(database: Database) -> None:
    # synced on Sunday morning in Tokyo (Saturday evening in New York, after Friday's close): the
    # first digest shows the holdings as they are, valued at Friday's close and dated Friday (it
    # said "Sat, Dec 5" over Friday's change); a week before the first sync has no summary
    user, facts, _ = await _facts(database, SUNDAY_TOKYO)
    digest = await facts.digest_facts(user, date(2026, 12, 5))
    assert digest is not None
    assert digest.day == date(2026, 12, 4)
    assert digest.data is not None and digest.data["market_date"] == "2026-12-04"  # what the AI is told, too
    assert (digest.total_value, digest.change) == (Decimal("3230"), Decimal("10"))
    # 23-29 Nov was before the first sync: the summary is of the holdings now over the seven days to
    # Saturday 5 Dec (the last close on or before 28 Nov, Fri 27 Nov at 218, to Fri 4 Dec at 223),
    # labelled with those days; it said "from $3,230 to $3,230, +2.3%" under 23-29 Nov
    weekly = await facts.weekly_facts(user, *WEEK)
    assert weekly is not None
    assert (weekly.week_start, weekly.week_end) == (date(2026, 11, 29), date(2026, 12, 5))
    assert (weekly.start_value, weekly.end_value, weekly.change) == (Decimal("3180"), Decimal("3230"), Decimal("50"))
    assert weekly.week_return == pytest.approx(223 / 218 - 1)


async def test_a_user_who_joined_mid_week_gets_the_last_seven_days_not_that_week(database: Database) -> None:
    # synced on Wed 25 Nov: no value at the week's start, so no change or return over the week
    user, facts, _ = await _facts(database, datetime(2026, 11, 25, 12, tzinfo=NY))
    weekly = await facts.weekly_facts(user, *WEEK)  # the seven days to now instead, as above
    assert weekly is not None and (weekly.week_start, weekly.change) == (date(2026, 11, 29), Decimal("50"))
    digest = await facts.digest_facts(user, date(2026, 11, 25))  # but Wednesday's close is theirs
    assert digest is not None and digest.day == date(2026, 11, 25) and digest.total_value == Decimal("3170")


async def test_a_user_who_joined_during_a_session_gets_the_last_close_not_todays_prices(database: Database) -> None:
    # synced on Mon 7 Dec at 10:00 New York, the market open, with a quote and then a close of Monday recorded: the
    # digest (of the 7th, reporting Friday 4 Dec) values the holdings now at Friday's close, as the contract says ("a
    # portfolio first synced after that close is reported as it is now, at the last close, dated by that session");
    # it showed Monday's quote (then Monday's close) as Friday's figures
    monday = datetime(2026, 12, 7, 10, tzinfo=NY)
    user, facts, clock = await _facts(database, monday)
    clock.set(datetime(2026, 12, 7, 11, tzinfo=NY).astimezone(UTC))
    service = facts.service
    await service.record_prices([PriceInput("AAPL", datetime(2026, 12, 7, 15, 55, tzinfo=UTC), Decimal("300"), "USD")],
                                idempotency=None)
    for later in (None, Decimal("320")):
        if later is not None:
            clock.set(datetime(2026, 12, 7, 17, tzinfo=NY).astimezone(UTC))
            await service.record_prices([PriceInput("AAPL", date(2026, 12, 7), later, "USD")], idempotency=None)
        digest = await facts.digest_facts(user, date(2026, 12, 6))  # the digest dated Monday 7 Dec reports Sunday's day
        assert digest is not None and digest.day == date(2026, 12, 4)
        assert (digest.total_value, digest.change) == (Decimal("3230"), Decimal("10")), later  # 10 x 223 + 1000
        assert digest.day_return == pytest.approx(10 / 3220)
        assert digest.data is not None and digest.data["market_date"] == "2026-12-04"


async def test_the_receipt_of_a_new_users_first_digest_replays(database: Database) -> None:
    # ReplayReceipt of that digest's receipt was refused FAILED_PRECONDITION NO_HOLDINGS_AS_OF (not among its
    # documented errors): its data is as of Friday's close, before the first sync; the replay now values the
    # holdings of when the digest was written, as the digest did (a receipts tester)
    from stack_cfo.core.notifications.portfolio_facts import _digest_close
    from stack_cfo.core.portfolio import summary_document
    from stack_cfo.core.provenance import AiSurface, Receipt
    from stack_cfo.core.provenance.model import GroundingRecord, GroundingState
    from stack_cfo.core.replay import recomputers

    user, facts, clock = await _facts(database, SUNDAY_TOKYO)
    digest = await facts.digest_facts(user, date(2026, 12, 5))
    assert digest is not None and digest.data is not None
    as_of = _digest_close(date(2026, 12, 5), clock.now())
    receipt = Receipt(
        id="r1", surface=AiSurface.DAILY_DIGEST, subject=f"users/{user}/notifications/1", user_id=user,
        provider="p", model="m", response_id="", verification="NOT_APPLICABLE", tee_signer="", signature="",
        signed_text="", prompt_sha256="", data_sha256="", data_snapshot="", data_as_of=as_of, text="", text_sha256="",
        grounding=GroundingRecord(GroundingState.NO_FIGURES), prompt_tokens=0, completion_tokens=0, fee_neuron=None,
        degraded_reason="", created_at=clock.now(),
    )
    replay = recomputers(facts.service, facts)[AiSurface.DAILY_DIGEST]
    with user_scope(user):
        then = summary_document((await facts.service.summary(user, as_of, live=True, holdings_now=True)).summary)
        again = await replay(receipt, then)
    assert again == then and again["total_value"] == "3230.00"
