"""督办 rules: the first reply starts the work, a closed item takes none; overdue and due this
week judged against today."""
import datetime

import pytest

from tracker.domain import supervision as rules

TUESDAY = datetime.date(2026, 12, 8)


def test_a_reply_starts_the_work_and_a_closed_item_takes_none():
    assert rules.after_reply(rules.OPEN) == rules.IN_PROGRESS == rules.after_reply(rules.IN_PROGRESS)
    with pytest.raises(ValueError):
        rules.after_reply(rules.CLOSED)


def test_overdue_and_due_this_week():
    yesterday, sunday = TUESDAY - datetime.timedelta(days=1), datetime.date(2026, 12, 13)
    assert rules.overdue(rules.OPEN, yesterday, TUESDAY) and rules.days_overdue(rules.OPEN, yesterday, TUESDAY) == 1
    assert not rules.overdue(rules.CLOSED, yesterday, TUESDAY) and not rules.overdue(rules.OPEN, TUESDAY, TUESDAY)
    assert rules.due_this_week(rules.IN_PROGRESS, sunday, TUESDAY)
    assert not rules.due_this_week(rules.OPEN, sunday + datetime.timedelta(days=1), TUESDAY)
    assert not rules.due_this_week(rules.CLOSED, TUESDAY, TUESDAY)
