"""Seeded synthetic portfolios shaped like the real ones, for benchmarks and tests.

Each item is a detector of some type and age; its options are keep, refurbish in year y or
replace in year y (1 + 2 × periods options: 21 over ten years). Costs are capex plus O&M that
grows with age, inflated yearly; availability falls with age; value is the item's criticality
weight times its summed availability. Budgets (total and per agency) and per-agency coverage
requirements for the portal monitors are set tight enough that they bind.
"""

from __future__ import annotations

import numpy as np

from equiplan.domain.optimiser.portfolio import (
    TOTAL_BUDGET,
    Portfolio,
    PortfolioItem,
    PortfolioOption,
)

AGENCIES = (("VSAT", 0.45), ("MUIT", 0.2), ("PD", 0.15), ("RSC", 0.1), ("AM", 0.1))
# type code: (share of the fleet, replacement price in euros, design life in years)
TYPES = {
    "RPM": (0.25, 120_000.0, 15),
    "RIID": (0.2, 25_000.0, 8),
    "PRD": (0.4, 3_000.0, 6),
    "XRAY": (0.15, 250_000.0, 10),
}
INFLATION = 0.03
REFURBISH_PRICE = 0.3  # of the replacement price
REFURBISH_YEARS = 0.5  # of the design life taken off the age


def _availability(age_over_life: np.ndarray) -> np.ndarray:
    return np.clip(0.99 - 0.35 * age_over_life**2, 0.3, 0.99)


def synthetic_portfolio(
    items: int,
    *,
    periods: int = 10,
    seed: int = 0,
    carry_over: bool = False,
    budget_level: float = 1.0,
) -> Portfolio:
    """A portfolio of `items` items over `periods` years, the same for the same arguments.
    `budget_level` scales the budgets (1.0: tight, most replacements cannot be afforded)."""
    rng = np.random.default_rng(seed)
    type_codes = list(TYPES)
    type_of = rng.choice(len(type_codes), size=items, p=[TYPES[c][0] for c in type_codes])
    agency_of = rng.choice(len(AGENCIES), size=items, p=[share for _, share in AGENCIES])
    price = np.array([TYPES[type_codes[t]][1] for t in type_of]) * rng.uniform(0.8, 1.2, items)
    life = np.array([TYPES[type_codes[t]][2] for t in type_of], dtype=np.float64)
    start_age = rng.uniform(0.0, 1.4, items) * life
    weight = np.round(rng.uniform(0.5, 3.0, items), 3)
    years = np.arange(periods)
    inflation = (1 + INFLATION) ** years
    # ages[i, option, t]: option 0 keep, 1..P refurbish in year y, P+1..2P replace in year y.
    keep_age = start_age[:, None] + years[None, :]
    ages = np.repeat(keep_age[:, None, :], 1 + 2 * periods, axis=1)
    capex = np.zeros_like(ages)
    for year in range(periods):
        after = years >= year
        refurbished = np.maximum(keep_age - REFURBISH_YEARS * life[:, None], 0.0)
        ages[:, 1 + year, after] = refurbished[:, after]
        capex[:, 1 + year, year] = REFURBISH_PRICE * price
        ages[:, 1 + periods + year, after] = (years[after] - year)[None, :]
        capex[:, 1 + periods + year, year] = price
    ratio = ages / life[:, None, None]
    operating = price[:, None, None] * (0.02 + 0.05 * ratio**2)
    cost = np.round((capex + operating) * inflation[None, None, :], 2)
    availability = _availability(ratio)
    value = np.round(weight[:, None] * availability.sum(axis=2), 6)
    provides_rpm = np.round(availability, 4)

    keep_cost = cost[:, 0, :].sum(axis=0)
    replacement_rate = (price / life).sum() * inflation
    total = np.round(budget_level * (keep_cost + 0.35 * replacement_rate), 2)
    budgets: dict[str, tuple[float, ...]] = {TOTAL_BUDGET: tuple(total.tolist())}
    requirements: dict[str, tuple[float, ...]] = {}
    for index, (code, _share) in enumerate(AGENCIES):
        mine = agency_of == index
        agency_need = cost[mine, 0, :].sum(axis=0) + 0.45 * (price[mine] / life[mine]).sum()
        budgets[f"agency:{code}"] = tuple(np.round(budget_level * agency_need, 2).tolist())
        rpm = mine & (type_of == type_codes.index("RPM"))
        if rpm.any():
            # Keep expected working monitors at today's level: doing nothing misses it later on.
            today = float(provides_rpm[rpm, 0, 0].sum())
            requirements[f"agency:{code}/RPM"] = tuple([round(0.9 * today, 2)] * periods)
    option_ids = (
        ["keep"]
        + [f"refurbish@{2027 + y}" for y in range(periods)]
        + [f"replace@{2027 + y}" for y in range(periods)]
    )
    portfolio_items = []
    cost_rows = cost.tolist()
    value_rows = value.tolist()
    provide_rows = provides_rpm.tolist()
    for row in range(items):
        code = AGENCIES[agency_of[row]][0]
        is_rpm = type_codes[type_of[row]] == "RPM"
        requirement = f"agency:{code}/RPM"
        options = tuple(
            PortfolioOption(
                id=option_id,
                cost=tuple(cost_rows[row][column]),
                value=value_rows[row][column],
                provides={requirement: tuple(provide_rows[row][column])} if is_rpm else {},
            )
            for column, option_id in enumerate(option_ids)
        )
        portfolio_items.append(
            PortfolioItem(id=f"SYN-{row:06d}", options=options, budgets=(f"agency:{code}",))
        )
    return Portfolio(
        name=f"synthetic {items} items, seed {seed}",
        periods=tuple(str(2027 + y) for y in range(periods)),
        budgets=budgets,
        items=tuple(portfolio_items),
        carry_over=carry_over,
        requirements=requirements,
    )
