"""The budget optimiser: choose one option per equipment item to maximise value within budgets
and coverage requirements (docs/portfolio.md). Pure: no web framework, no database."""

from equiplan.domain.optimiser.plan import Plan, Progress
from equiplan.domain.optimiser.portfolio import (
    Portfolio,
    PortfolioError,
    PortfolioItem,
    PortfolioOption,
    load_portfolio,
    parse_portfolio,
    portfolio_to_json,
    scale_budgets,
)
from equiplan.domain.optimiser.solving import solve

__all__ = [
    "Plan",
    "Portfolio",
    "PortfolioError",
    "PortfolioItem",
    "PortfolioOption",
    "Progress",
    "load_portfolio",
    "parse_portfolio",
    "portfolio_to_json",
    "scale_budgets",
    "solve",
]
