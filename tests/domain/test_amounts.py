"""domain.amounts.in_force: the amount in force on a date, worked out by hand."""
import datetime
from decimal import Decimal

from tracker.domain.amounts import CHANGE, CORRECTION, Change, in_force

D = datetime.date


def test_no_change_is_the_current_value():
    assert in_force(Decimal("500"), [], D(2026, 3, 1)) == Decimal("500")


def test_a_change_after_the_date_gives_its_old_value():
    changes = [(CHANGE, D(2026, 5, 1), Decimal("300"))]
    assert in_force(Decimal("500"), changes, D(2026, 4, 30)) == Decimal("300")
    # on and after the effective date the new (current) value is in force
    assert in_force(Decimal("500"), changes, D(2026, 5, 1)) == Decimal("500")


def test_corrections_never_date_a_value():
    changes = [(CORRECTION, None, Decimal("5")), Change(CORRECTION, D(2026, 9, 1), Decimal("7"))]
    assert in_force(Decimal("500"), changes, D(2026, 1, 1)) == Decimal("500")


def test_the_first_later_change_wins_by_effective_date_then_order():
    changes = [(CHANGE, D(2026, 8, 1), Decimal("400")),   # 400 -> current, from August
               (CHANGE, D(2026, 5, 1), Decimal("300")),   # 300 -> 400, from May
               (CHANGE, D(2026, 5, 1), Decimal("350"))]   # same day, recorded later
    assert in_force(Decimal("500"), changes, D(2026, 4, 1)) == Decimal("300")
    assert in_force(Decimal("500"), changes, D(2026, 6, 1)) == Decimal("400")
    assert in_force(Decimal("500"), changes, D(2026, 8, 1)) == Decimal("500")
