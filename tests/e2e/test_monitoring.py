"""deploy/monitoring against a real Prometheus scraping a real ``stack-cfo serve`` and
``stack-cfo scheduler``.

The rule files pass ``promtool check rules`` and their unit tests (``promtool test rules``), every
dashboard query parses; then, after traffic that exercises what they watch (chat turns, some
failing at the 0G router, a spent daily token budget, bad requests, digests delivered by the
scheduler with an SMTP server that refuses one), every recording rule, every alert's value
expression and every dashboard query returns data through Prometheus' HTTP API. The values are
printed (``pytest -s``): they are the figures quoted when the rules change.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from stack_cfo._proto.stack.cfo.v1 import (
    chat_pb2,
    chat_pb2_grpc,
    portfolio_pb2,
    portfolio_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from stack_cfo.api.auth import mint_token
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.secret import Secret
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.standins.smtp import SmtpSink
from tests.standins.zerog_provider import Reply, RouterStandIn
from tests.support.contract import market_today
from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready
from tests.support.secrets import JWT_SECRET, ZEROG_API_KEY, production_auth
from tests.support.tools import debian_tool

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULE_FILES = sorted(MONITORING.glob("*-rules.yaml"))
DASHBOARD = MONITORING / "grafana-dashboard.json"
RATE_INTERVAL = "2m"
"""What ``$__rate_interval`` becomes here: the whole run fits in it (Grafana picks it from the
scrape interval and the panel's resolution)."""


def promtool() -> str:
    return debian_tool("promtool", "prometheus")


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(panel title, legend, expression) of every dashboard target, variables filled in."""
    out = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target.get("legendFormat", ""), target["expr"].replace(
                "$__rate_interval", RATE_INTERVAL)))
    return out


def rules() -> Iterator[dict[str, Any]]:
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


# ------------------------------------------------------------------------------- static checks


def test_rule_files_pass_promtool_check_and_their_unit_tests() -> None:
    tool = promtool()
    check = subprocess.run([tool, "check", "rules", *map(str, RULE_FILES)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(
        [tool, "test", "rules", "alerts-test.yaml"], cwd=MONITORING / "tests", capture_output=True, text=True
    )
    assert unit.returncode == 0 and "SUCCESS" in unit.stdout, unit.stdout + unit.stderr
    names = {r.get("alert") for r in rules()}
    assert {"DailyDigestJobFailures", "ZeroGComputeHighErrorRate", "ChatSessionQueriesSlow"} <= names  # the seed's


def test_dashboard_is_well_formed_and_every_query_parses(tmp_path: Path) -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["title"] == "AI-CFO Overview" and dash["uid"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    graphs = [p for p in dash["panels"] if p["type"] != "row"]
    for panel in graphs:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], panel["title"]
    titles = {p["title"] for p in graphs}
    for wanted in ("Active chat sessions", "Daily and weekly delivery rate", "0G compute request latency",
                   "Token usage", "Error rates by component", "Degraded answers", "Rate-limited calls",
                   "Outbox backlog", "Database pool saturation"):
        assert wanted in titles
    # promtool parses every expression when it is a recording rule.
    rules_file = tmp_path / "dashboard-rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{i}", "expr": expr} for i, (_, _, expr) in enumerate(dashboard_queries())
    ]}]}))
    check = subprocess.run([promtool(), "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


# ------------------------------------------------------------------------------ alert values

_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(bool\s+)?[-+\d.(][^><=!]*$")


def _top_level(expr: str) -> Iterator[tuple[int, str]]:
    """(index, char) of the characters of ``expr`` outside (), {}, [] and strings."""
    depth, quote = 0, ""
    for i, c in enumerate(expr):
        if quote:
            if c == quote and expr[i - 1] != "\\":
                quote = ""
            continue
        if c in "\"'`":
            quote = c
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0:
            yield i, c


def value_expressions(expr: str) -> list[str]:
    """The expressions an alert compares with its thresholds: ``a > 1 and b > 2`` gives a and b."""
    expr = " ".join(expr.split())
    cuts = [0]
    positions = {i for i, _ in _top_level(expr)}
    for m in re.finditer(r"\s(and|or|unless)\s", expr):
        if m.start() in positions:
            cuts.append(m.start())
            cuts.append(m.end())
    cuts.append(len(expr))
    parts = [expr[cuts[i]:cuts[i + 1]].strip() for i in range(0, len(cuts), 2)]
    values = []
    for part in parts:
        outside = [i for i, _ in _top_level(part)]
        cut = None
        for i in outside:
            if part[i] in "<>=!" and _COMPARISON.match(part[i:]):
                cut = i
                break
        values.append(part[:cut].strip() if cut is not None else part)
    return values


def test_value_expressions() -> None:
    assert value_expressions('sum(rate(x{a!="b"}[5m])) > 0.1') == ['sum(rate(x{a!="b"}[5m]))']
    assert value_expressions("a:r1h > (5 * 0.1)\nand a:r5m > (5 * 0.1)") == ["a:r1h", "a:r5m"]
    assert value_expressions("min by (job) (up) < 1") == ["min by (job) (up)"]


# ------------------------------------------------------------------------------------ the run


class Prometheus:
    def __init__(self, workdir: Path, targets: dict[str, str]) -> None:
        self.port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "rule_files": [str(p) for p in RULE_FILES],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]} for job, target in targets.items()
            ],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.proc = subprocess.Popen(
            [debian_tool("prometheus", "prometheus"), f"--config.file={workdir / 'prometheus.yml'}",
             f"--storage.tsdb.path={workdir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def api(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.loads(resp.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def _ready_now(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    async def ready(self) -> None:
        for _ in range(300):
            if await asyncio.to_thread(self._ready_now):
                return
            assert self.proc.poll() is None, self.proc.stdout.read().decode() if self.proc.stdout else ""
            await asyncio.sleep(0.1)
        raise TimeoutError("prometheus never became ready")

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return out.decode()


def _show(samples: list[tuple[dict[str, str], float]], keep: tuple[str, ...] = ()) -> str:
    def one(labels: dict[str, str], value: float) -> str:
        shown = {k: v for k, v in labels.items() if k not in ("__name__", "instance") and (not keep or k in keep)}
        tag = ",".join(f"{k}={v}" for k, v in sorted(shown.items()))
        return f"{tag + '=' if tag else ''}{value:.4g}"

    return "; ".join(one(labels, value) for labels, value in samples[:6]) + (" ..." if len(samples) > 6 else "")


def _finite(samples: list[tuple[dict[str, str], float]]) -> bool:
    return any(math.isfinite(v) for _, v in samples)


class Traffic:
    """Three investors: portfolios, e-mail preferences for the digest, a chat session each."""

    def __init__(self, target: str, router: RouterStandIn, users: list[str]) -> None:
        self.target, self.router, self.users = target, router, users
        self.sessions: dict[str, str] = {}
        self.rounds = 0

    @staticmethod
    def md(user: str | None = None) -> list[tuple[str, str]]:
        secret = Secret(JWT_SECRET)
        cfg = production_auth()
        token = mint_token(secret, user_id=user, cfg=cfg) if user else mint_token(secret, service="e2e", cfg=cfg)
        return [("authorization", f"Bearer {token}")]

    async def setup(self) -> None:
        async with grpc.aio.insecure_channel(self.target) as ch:
            chat = chat_pb2_grpc.ChatServiceStub(ch)
            portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
            scheduler = scheduler_pb2_grpc.SchedulerServiceStub(ch)
            today = market_today()
            days = [today - timedelta(days=d) for d in range(5, -1, -1)]
            await portfolio.RecordPrices(portfolio_pb2.RecordPricesRequest(points=[
                portfolio_pb2.PricePoint(symbol=s, date={"year": d.year, "month": d.month, "day": d.day},
                                         close=str(100 + i + k), currency="USD")
                for k, s in enumerate(("ABC", "SPY")) for i, d in enumerate(days)
            ]), metadata=self.md(), timeout=10)
            for n, user in enumerate(self.users):
                await portfolio.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
                    portfolio=f"users/{user}/portfolio", cash_balance="250",
                    positions=[portfolio_pb2.Holding(symbol="ABC", quantity=str(10 + n), average_cost="90")],
                ), metadata=self.md(user), timeout=10)
                await scheduler.UpdateNotificationPreferences(scheduler_pb2.UpdateNotificationPreferencesRequest(
                    preferences=scheduler_pb2.NotificationPreferences(
                        name=f"users/{user}/notificationPreferences", time_zone="UTC",
                        email_address=f"investor{n}@example.com", email_enabled=True, daily_digest_enabled=True),
                    update_mask={"paths": ["time_zone", "email_address", "email_enabled", "daily_digest_enabled"]},
                ), metadata=self.md(user), timeout=10)
                session = await chat.CreateSession(chat_pb2.CreateSessionRequest(
                    parent=f"users/{user}", session=chat_pb2.Session(title="Portfolio")),
                    metadata=self.md(user), timeout=10)
                self.sessions[user] = session.name

    async def watch_a_price_change(self, portfolio: portfolio_pb2_grpc.PortfolioSummaryServiceStub) -> None:
        """Each investor reads their summary twice (computed, then from the cache) and watches it while
        a new ABC close arrives (a fan-out that holds the collector until the update is sent)."""
        for user in self.users:
            for _ in range(2):
                await portfolio.GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(
                    portfolio=f"users/{user}/portfolio"), metadata=self.md(user), timeout=10)
        user = self.users[0]
        watch = portfolio.WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(
            portfolio=f"users/{user}/portfolio", min_interval={"seconds": 0}), metadata=self.md(user), timeout=20)
        try:
            await watch.read()  # the current summary
            today = market_today()
            await portfolio.RecordPrices(portfolio_pb2.RecordPricesRequest(points=[portfolio_pb2.PricePoint(
                symbol="ABC", date={"year": today.year, "month": today.month, "day": today.day},
                close=str(110 + self.rounds), currency="USD")]), metadata=self.md(), timeout=10)
            update = await watch.read()
            assert update.trigger == portfolio_pb2.WATCH_TRIGGER_PRICE_CHANGE, update.trigger
        finally:
            watch.cancel()

    async def round(self) -> None:
        """New holdings, two chat turns each (the first answered offline after the router failed it
        twice), the third investor spends the small daily token budget (RESOURCE_EXHAUSTED), a narrative
        each, and requests refused as bad (INVALID_ARGUMENT, NOT_FOUND)."""
        async with grpc.aio.insecure_channel(self.target) as ch:
            chat = chat_pb2_grpc.ChatServiceStub(ch)
            portfolio = portfolio_pb2_grpc.PortfolioSummaryServiceStub(ch)
            self.router.enqueue(Reply.error(500), Reply.error(500))
            self.rounds += 1
            for n, user in enumerate(self.users):
                await portfolio.SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(  # the holdings moved
                    portfolio=f"users/{user}/portfolio", cash_balance=str(250 - self.rounds),
                    positions=[portfolio_pb2.Holding(symbol="ABC", quantity=str(10 + n + self.rounds),
                                                     average_cost="90")],
                ), metadata=self.md(user), timeout=10)
                spent = False
                for turn in range(40 if n == 2 else 2):
                    try:
                        async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(
                                name=self.sessions[user], content=f"How is my week? ({turn})",
                                request_id=str(uuid.uuid4())), metadata=self.md(user), timeout=20):
                            pass
                    except grpc.aio.AioRpcError as err:
                        assert n == 2 and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
                        spent = True
                        break
                assert spent or n != 2, "the small daily token budget was never reached"
                async for _ in portfolio.StreamPortfolioSummary(portfolio_pb2.StreamPortfolioSummaryRequest(
                        portfolio=f"users/{user}/portfolio"), metadata=self.md(user), timeout=20):
                    pass
            await self.watch_a_price_change(portfolio)
            user = self.users[0]
            with pytest.raises(grpc.aio.AioRpcError):
                async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(name=self.sessions[user], content=""),
                                                metadata=self.md(user), timeout=5):
                    pass
            with pytest.raises(grpc.aio.AioRpcError):
                await chat.GetSession(chat_pb2.GetSessionRequest(name=f"users/{user}/sessions/{uuid.uuid4()}"),
                                      metadata=self.md(user), timeout=5)


async def test_every_rule_alert_and_panel_returns_data_from_a_real_prometheus(
    db_dsn: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    api_port, api_metrics, sched_metrics = free_port(), free_port(), free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "zerog": {"compute": {"retry": {"max_attempts": 2, "base_delay": "10ms", "max_delay": "50ms"}}},
        "chat": {"daily_token_budget": 4000},
        # The traffic rounds ask for answers faster than one investor would: the limits are not
        # what this test checks (tests/integration/security/test_limits.py does).
        "rate_limits": {"user": {"paid_ai": "50/second;3000/minute", "reads": "500/second",
                                 "writes": "500/second"}},
    }))
    users = [str(uuid.uuid4()) for _ in range(3)]
    slot = datetime.now(UTC) - timedelta(minutes=5)
    async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
        smtp = await SmtpSink().start()
        common = {
            "DATABASE_URL": db_dsn,
            "STACK_CFO_CONFIG": str(config),
            "STACK_CFO_DATA_DIR": str(tmp_path / "data"),
            "ZEROG_COMPUTE_MODE": "router",
            "ZEROG_COMPUTE_BROKER_ENDPOINT": router.base_url,
            "ZEROG_COMPUTE_API_KEY": ZEROG_API_KEY,
            "STACK_CFO_DRAIN_DELAY": "0.2s",
        }
        serve = start_cli(["serve"], cli_env({
            **common,
            "STACK_CFO_LISTEN": f"127.0.0.1:{api_port}",
            "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{api_metrics}",
        }))
        scheduler = None
        prometheus = Prometheus(tmp_path, {
            "stack-cfo": f"127.0.0.1:{api_metrics}", "stack-cfo-scheduler": f"127.0.0.1:{sched_metrics}",
        })
        try:
            await prometheus.ready()
            await wait_ready(f"127.0.0.1:{api_port}")
            scheduler = start_cli(["scheduler"], cli_env({
                **common,
                "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{sched_metrics}",
                "SCHEDULER_DAILY_DIGEST_TIME": f"{slot.minute} {slot.hour} * * *",
                "SCHEDULER_TICK_INTERVAL": "1s", "SCHEDULER_POLL_INTERVAL": "200ms", "SCHEDULER_RETRY_BASE": "1s",
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_STARTTLS": "false",
            }))
            traffic = Traffic(f"127.0.0.1:{api_port}", router, users)
            await traffic.setup()
            # Counters are born at their first increment, and rate() needs two samples: a first round
            # creates the series, scrapes see them, and the second round is what the rates show.
            await traffic.round()
            await asyncio.sleep(3)
            await traffic.round()
            # The investors opted in yesterday, and today's digest slot was five minutes ago, after
            # the planner's epoch: the running scheduler finds it due at its next tick.
            db = Database(db_dsn)
            await db.open()
            with system_scope("test-seed"):  # several users' rows (row-level security)
                async with db.connection() as conn:
                    await conn.execute("UPDATE notification_prefs SET opted_in_at = now() - interval '1 day' "
                                       "WHERE user_id = ANY(%s::uuid[])", (users,))
            repo = SchedulerRepo(db)
            smtp.fail_next("451 4.3.0 try again later")  # one digest needs a retry: a delivery failure
            await repo.set_planner_state(NotificationKind.DIGEST, epoch=await repo.db_now() - timedelta(hours=1))
            await db.close()
            for _ in range(300):  # every investor's digest reached the SMTP server
                if len({m.rcpt_tos[0] for m in smtp.received()}) == len(users):
                    break
                await asyncio.sleep(0.1)
            assert len({m.rcpt_tos[0] for m in smtp.received()}) == len(users)
            await asyncio.sleep(4)  # several scrapes and rule evaluations after the traffic
            report = _evaluate(prometheus)
            for port in (api_metrics, sched_metrics):  # the pages follow Prometheus' naming conventions
                problems = await asyncio.to_thread(_metrics_page_problems, port)
                assert not problems, (port, problems)
        finally:
            if scheduler is not None:
                scheduler.send_signal(signal.SIGTERM)
                finish(scheduler, "stack-cfo scheduler (monitoring)")
            serve.send_signal(signal.SIGTERM)
            finish(serve, "stack-cfo serve (monitoring)")
            prometheus_log = prometheus.stop()
            await smtp.stop()
    print("\n" + "\n".join(report))
    print(f"(monitoring end-to-end: {time.monotonic() - started:.1f} s)")
    assert "level=error" not in prometheus_log, prometheus_log


def _metrics_page_problems(port: int) -> list[str]:
    """What ``promtool check metrics`` says about a /metrics page (base units, ``_total`` counters...)."""
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    lint = subprocess.run([promtool(), "check", "metrics"], input=page, capture_output=True, check=False)
    return [line for line in (lint.stdout + lint.stderr).decode().splitlines() if line.strip()
            # "summary" there is the portfolio summary, not the metric type
            and not ("stack_cfo_portfolio_summary_" in line and "include type 'summary'" in line)]


def _evaluate(prometheus: Prometheus) -> list[str]:
    """Query every recording rule, alert value and dashboard target; fail on any without data."""
    report: list[str] = []
    empty: list[str] = []
    targets = {t["labels"]["job"]: t["health"] for t in prometheus.api("targets")["activeTargets"]}
    assert targets == {"stack-cfo": "up", "stack-cfo-scheduler": "up"}, targets
    groups = prometheus.api("rules")["groups"]
    loaded = {r["name"]: r for g in groups for r in g["rules"]}
    report.append("RECORDING RULES (recorded series, evaluated by Prometheus)")
    for rule in rules():
        if "record" not in rule:
            continue
        state = loaded[rule["record"]]
        assert state["health"] == "ok", (rule["record"], state.get("lastError"))
        samples = prometheus.query(rule["record"])
        report.append(f"  {rule['record']}: {_show(samples)}")
        if not _finite(samples):
            empty.append(rule["record"])
    report.append("ALERTS (value of each compared expression; state)")
    for rule in rules():
        if "alert" not in rule:
            continue
        state = loaded[rule["alert"]]
        assert state["health"] == "ok", (rule["alert"], state.get("lastError"))
        prometheus.query(rule["expr"])  # the full expression evaluates (empty unless firing)
        values = []
        for expr in value_expressions(rule["expr"]):
            samples = prometheus.query(expr)
            values.append(_show(samples, keep=("job", "type", "job_type")))
            if not _finite(samples):
                empty.append(f"{rule['alert']}: {expr}")
        report.append(f"  {rule['alert']} [{state['state']}]: {' | '.join(values)}")
    report.append(f"DASHBOARD PANELS ($__rate_interval = {RATE_INTERVAL})")
    for title, legend, expr in dashboard_queries():
        samples = prometheus.query(expr)
        shown = _show(samples, keep=("job", "type", "channel", "reason", "grpc_code", "grpc_method", "model"))
        report.append(f"  {title} / {legend}: {shown}")
        if not _finite(samples):
            empty.append(f"{title} / {legend}: {expr}")
    assert not empty, "no data for:\n" + "\n".join(empty) + "\n\n" + "\n".join(report)
    return report
