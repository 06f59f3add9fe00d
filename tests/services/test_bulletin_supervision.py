"""督办逾期 in the 通报's 三、红黄预警 (issue 22): how many open items are past their deadline at the
day the 通报 is made and the oldest few (team, title, deadline, days overdue), on the page's
blocks and in the .docx alike; nothing when there is none; closed or later items never counted.
On the hand-worked ledger of tests/web/progress_ledger.py."""
import datetime
import io

import pytest
from docx import Document

from tracker.models import SupervisionItem
from tracker.services.bulletin import report as B
from tracker.services.bulletin import wording as W
from tracker.services.bulletin import word
from tracker.services import dataversion

from ..web import progress_ledger as L

D = datetime.date
TODAY = D(2026, 11, 28)


@pytest.fixture
def built(db):
    return L.build()


def _item(team, title, deadline, state="open", **kw):
    """An item with any deadline (past ones too); the data version moves as every write of the
    督办 service moves it (the 通报 is remembered per version)."""
    item = SupervisionItem.create(title=title, problem="问题", task_force=team, deadline=deadline, state=state, **kw)
    dataversion.bump()
    return item


def _docx_text(b):
    doc = Document(io.BytesIO(word.bulletin_docx(b)))
    return [(p.style.name, p.text) for p in doc.paragraphs]


def test_no_overdue_item_keeps_the_three_blocks(built):
    _item(built["chem"], "按期办理", TODAY)                      # due today: not late
    _item(built["chem"], "早已办结", D(2026, 10, 1), state="closed")
    b = B.build_bulletin(2026, "year", today=TODAY)
    assert b.overdue.count == 0 and len(W.warning_blocks(b)) == 3
    assert not any("督办" in text for _style, text in _docx_text(b))


def test_overdue_items_are_counted_and_the_oldest_named_in_page_and_docx(built):
    chem, equip = built["chem"], built["equip"]
    _item(chem, "土地手续", D(2026, 11, 1))
    _item(equip, "塔机用地", D(2026, 11, 10))
    _item(chem, "环评批复", D(2026, 11, 20))
    _item(equip, "供水方案", D(2026, 11, 25))
    _item(chem, "已办结", D(2026, 10, 1), state="closed")
    _item(chem, "下月到期", D(2026, 12, 1))
    b = B.build_bulletin(2026, "year", today=TODAY)
    blocks = W.warning_blocks(b)
    assert [h[:3] for h, _lines in blocks] == ["（一）", "（二）", "（三）", "（四）"]
    heading, [line] = blocks[3]
    assert heading == "（四）督办逾期事项 4 项"
    assert line == ("截至2026年11月28日，全市共有 4 项督办事项超过办理期限仍未办结，逾期最久的 3 项为："
                    "精细化工专班“土地手续”（期限2026年11月1日，逾期 27 天）、"
                    "装备制造专班“塔机用地”（期限2026年11月10日，逾期 18 天）、"
                    "精细化工专班“环评批复”（期限2026年11月20日，逾期 8 天）。")
    paragraphs = _docx_text(b)
    index = paragraphs.index(("Heading 2", heading))
    assert paragraphs[index + 1][1] == line
    assert paragraphs.index(("Heading 1", B.SECTIONS[2])) < index < paragraphs.index(("Heading 1", B.SECTIONS[3]))
    assert b.as_of == TODAY and not b.frozen


def test_a_past_checkpoint_judges_the_items_at_its_day(built):
    """上半年双过半 (judged at 30 June): an item late then but closed in July still counts, with the
    days it was late at 30 June; one due later, or closed by then, does not."""
    chem = built["chem"]
    _item(chem, "六月土地手续", D(2026, 6, 20), state="closed", closed_at=datetime.datetime(2026, 7, 5, 2, 0))
    _item(chem, "六月已办结", D(2026, 6, 10), state="closed", closed_at=datetime.datetime(2026, 6, 29, 2, 0))
    _item(chem, "十一月事项", D(2026, 11, 1))
    h1 = B.build_bulletin(2026, "h1", today=TODAY)
    assert h1.as_of == D(2026, 6, 30)
    heading, [line] = W.warning_blocks(h1)[3]
    assert heading == "（四）督办逾期事项 1 项"
    assert line == ("截至2026年6月30日，全市共有 1 项督办事项超过办理期限仍未办结："
                    "精细化工专班“六月土地手续”（期限2026年6月20日，逾期 10 天）。")
    year = B.build_bulletin(2026, "year", today=TODAY)
    assert [late.title for late in year.overdue.oldest] == ["十一月事项"]


def test_one_or_all_overdue_items_read_naturally(built):
    _item(built["chem"], "土地手续", D(2026, 11, 1))
    one = W.warning_blocks(B.build_bulletin(2026, "year", today=TODAY))[3][1][0]
    assert one.endswith("仍未办结：精细化工专班“土地手续”（期限2026年11月1日，逾期 27 天）。")
    _item(built["equip"], "塔机用地", D(2026, 11, 10))
    two = W.warning_blocks(B.build_bulletin(2026, "year", today=TODAY))[3][1][0]
    assert "共有 2 项督办事项超过办理期限仍未办结，分别为：精细化工专班“土地手续”" in two
