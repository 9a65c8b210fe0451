"""Multiple-choice multidimensional knapsack instances (the text format of the literature) as
portfolios: a class is an item, each of its items an option, each resource a period of the one
`total` budget. Nothing else changes: the optimiser solves them like any portfolio."""

from __future__ import annotations

from pathlib import Path

from equiplan.domain.optimiser.portfolio import (
    TOTAL_BUDGET,
    Portfolio,
    PortfolioError,
    PortfolioItem,
    PortfolioOption,
)


def parse_mmkp(text: str, name: str = "mmkp") -> Portfolio:
    """The portfolio of an MMKP instance: `N M`, M capacities, then per class `K` and K lines
    of `value weight_1 … weight_M`."""
    numbers = text.split()
    position = 0

    def take(what: str) -> float:
        nonlocal position
        if position >= len(numbers):
            raise PortfolioError(f"the file ends before {what}")
        try:
            number = float(numbers[position])
        except ValueError:
            raise PortfolioError(f"{numbers[position]!r} is not a number ({what})") from None
        position += 1
        return number

    classes, resources = int(take("the number of classes")), int(take("the number of resources"))
    if classes < 1 or resources < 1:
        raise PortfolioError("an instance needs at least one class and one resource")
    capacity = tuple(take(f"capacity {r + 1}") for r in range(resources))
    items = []
    for number in range(classes):
        size = int(take(f"the size of class {number + 1}"))
        options = []
        for index in range(size):
            value = take(f"the value of class {number + 1}, item {index + 1}")
            weights = tuple(take(f"a weight of class {number + 1}") for _ in range(resources))
            options.append(PortfolioOption(id=str(index), cost=weights, value=value))
        if not options:
            raise PortfolioError(f"class {number + 1} has no items")
        items.append(PortfolioItem(id=f"class-{number}", options=tuple(options)))
    return Portfolio(
        name=name,
        periods=tuple(f"resource-{r + 1}" for r in range(resources)),
        budgets={TOTAL_BUDGET: capacity},
        items=tuple(items),
    )


def load_mmkp(path: str | Path) -> Portfolio:
    """The portfolio of an MMKP instance file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PortfolioError(f"cannot read {str(path)!r}: {error}") from None
    return parse_mmkp(text, name=Path(path).stem)
