"""落地成效 scoring rules (tracker/domain/awards.py), without a database."""
from decimal import Decimal

import pytest

from tracker.domain import awards as A


def facts(code, **kw):
    return A.TeamFacts(task_force_id=hash(code) % 1000, code=code, name=code, **kw)


def test_rates_and_missing_denominators():
    f = facts("X", signed=3, started=2, started_in_year=1, producing=1,
              contract_total=Decimal("200000"), funds_received=Decimal("37000"))
    assert A.rates(f) == {"performance": Decimal("66.67"), "start": Decimal("33.33"),
                          "production": Decimal("33.33"), "funds": Decimal("18.50")}
    assert set(A.rates(facts("Y")).values()) == {None}


def test_basis_caps_rates_and_normalises_counts():
    assert A.basis("funds", Decimal("120.00")) == Decimal("100.00")
    assert A.basis("funds", None) == Decimal("0.00")
    assert A.basis("big", 1, 3) == Decimal("33.33")
    assert A.basis("top", 0, 0) == Decimal("0.00")


def test_score_by_hand_and_shared_ranks():
    a = facts("A", signed=2, started=2, started_in_year=2, producing=1,
              contract_total=Decimal(100), funds_received=Decimal(50), big_projects=1)
    b = facts("B", signed=2, started=2, started_in_year=2, producing=1,
              contract_total=Decimal(100), funds_received=Decimal(50), big_projects=1)
    c = facts("C", signed=1, top_investors=4)
    rows = A.score_all([c, b, a], A.DEFAULT_WEIGHTS)
    # A and B: 25 + 15 + 10 (50 % × 20) + 10 (50 % × 20) + 10 (1/1) + 0 = 70
    assert [(r.facts.code, r.rank, r.score) for r in rows] == [
        ("A", 1, Decimal("70.00")), ("B", 1, Decimal("70.00")), ("C", 3, Decimal("10.00"))]
    assert sum(p.contribution for p in rows[0].parts) == rows[0].score


def test_weights_are_checked_and_change_the_order():
    a = facts("A", signed=1, started=1, started_in_year=1)
    b = facts("B", signed=1, big_projects=1)
    assert A.score_all([a, b], {"performance": 1})[0].facts.code == "A"
    assert A.score_all([a, b], {"big": 1})[0].facts.code == "B"
    assert A.clean_weights({"funds": "2.5"})["funds"] == Decimal("2.5")
    for bad in ({"nope": 1}, {"funds": -1}, {"funds": "x"}, {}, {"funds": 0},
                {"funds": float("nan")}, {"funds": True}):
        with pytest.raises(ValueError):
            A.clean_weights(bad)
