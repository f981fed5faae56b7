"""Chat sessions about the user's portfolio (the seed's ChatManager).

Start at :class:`~stack_cfo.core.chat.manager.ChatManager` (sessions, archive); a turn runs in
:mod:`.turn`, compression summaries in :mod:`.summarizer`. Prompt assembly is in
:mod:`.prompt`, compression in :mod:`.compression`, the daily token budget in :mod:`.budget`,
context staleness in :mod:`.staleness`; the ports it needs are in :mod:`.ports`. The data block
the AI answers from is :mod:`.data_block` (the context's figures: :mod:`.models`,
:mod:`.context_figures`); the answer written without AI is :mod:`.offline` (the question is read
in :mod:`.question`).
"""

from stack_cfo.core.chat.manager import ChatManager, SessionPage
from stack_cfo.core.chat.models import (
    Accepted,
    ChatEvent,
    ChatMessage,
    ChatSession,
    Completed,
    ContextPosition,
    ContextRisk,
    Delta,
    MessageRole,
    PortfolioContext,
    RiskFigure,
    SessionStatus,
    Summary,
)
from stack_cfo.core.chat.ports import ChatStore, NoPortfolio, PortfolioContextSource, TurnStart
from stack_cfo.core.chat.settings import ChatSettings

__all__ = [
    "Accepted",
    "ChatEvent",
    "ChatManager",
    "ChatMessage",
    "ChatSession",
    "ChatSettings",
    "ChatStore",
    "Completed",
    "ContextPosition",
    "ContextRisk",
    "Delta",
    "MessageRole",
    "NoPortfolio",
    "PortfolioContext",
    "PortfolioContextSource",
    "RiskFigure",
    "SessionPage",
    "SessionStatus",
    "Summary",
    "TurnStart",
]
