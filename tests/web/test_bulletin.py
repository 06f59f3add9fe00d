"""/bulletin/ (通报 print page) and /bulletin/bulletin.docx on the hand-worked ledger of
tests/web/progress_ledger.py: frozen numbers equal GET /api/v1/snapshots, a checkpoint
without snapshots says it is live, the .docx carries the same numbers, permissions and
bad parameters."""
import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from docx import Document

from tracker.domain import metrics as M
from tracker.services.bulletin import report as B

from ..factories import make_user
from .progress_ledger import Cells

PAGE = "/bulletin/?year=2026&checkpoint=h1"
DOCX = "/bulletin/bulletin.docx?year=2026&checkpoint=h1"


@pytest.fixture
def closed(app, built):
    """Q2 2026 closed by the scheduler job (fired on 1 July)."""
    from tracker import jobs
    jobs.quarter_close(app, datetime.date(2026, 7, 1))
    with app.app_context():
        make_user("adm", role="admin")


def _points(text):
    return None if text == "—" else Decimal(text)


def _yi(wan):
    return None if wan is None else f"{Decimal(wan) / 10000:,.2f}"


def test_frozen_page_equals_the_snapshots_api(client, auth, closed):
    auth.login("boss")
    api = client.get("/api/v1/snapshots?year=2026&quarter=2").get_json()
    assert api["frozen"] is True
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "数据截至 2026-06-30（季度冻结数据）" in html and "实时数据" not in html
    for heading in B.SECTIONS:
        assert heading in html
    ranking = Cells(html, "bulletin-ranking")
    for code, team in api["task_forces"].items():
        assert ranking[(code, "name")] == team["name"]
        for key, m in team["metrics"].items():
            shown = ranking[(code, f"completion:{key}")]
            assert (None if shown == "—" else shown) == m["completion"], (code, key)
            gap = _points(ranking[(code, f"gap_points:{key}")])
            assert gap == (None if m["gap_points"] is None else Decimal(m["gap_points"]))
    totals = Cells(html, "bulletin-totals")
    for key in M.KEYS:
        metrics = [t["metrics"][key] for t in api["task_forces"].values()]
        targets = [Decimal(str(m["target"])) for m in metrics if m["target"] is not None]
        actual = sum(Decimal(str(m["cumulative_actual"])) for m in metrics)
        if key == M.NEGOTIATIONS:
            assert totals[(key, "actual")] == str(actual)
            assert totals[(key, "target")] == str(sum(targets))
        else:
            assert totals[(key, "actual")] == _yi(actual)
            assert totals[(key, "target")] == (_yi(sum(targets)) if targets else "—")
    assert ranking[("EQUIP", "rank")] == "1" and ranking[("CHEM", "rank")] == "2"


def test_unfrozen_checkpoint_says_it_is_live(client, auth, closed):
    auth.login("boss")
    html = client.get("/bulletin/?year=2026&checkpoint=year").get_data(as_text=True)
    assert "实时数据" in html and "季度冻结数据" not in html
    assert 'data-frozen="no"' in html
    q3 = client.get("/bulletin/?year=2026&checkpoint=q3").get_data(as_text=True)
    assert "数据截至 2026-09-30（实时数据，该季度尚未冻结" in q3


def test_docx_download_has_the_headings_and_the_page_numbers(client, auth, closed):
    auth.login("adm")
    page = Cells(client.get(PAGE).get_data(as_text=True), "bulletin-ranking")
    response = client.get(DOCX)
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "wordprocessingml.document")
    disposition = response.headers["Content-Disposition"]
    assert f"filename*=UTF-8''{quote('2026年上半年双过半通报.docx', safe='')}" in disposition
    doc = Document(io.BytesIO(response.data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "2026年上半年双过半通报"
    assert [h for h in headings if h in B.SECTIONS] == list(B.SECTIONS)
    assert "季度冻结数据" in "\n".join(p.text for p in doc.paragraphs)
    ranking = doc.tables[1]
    header = [c.text for c in ranking.rows[0].cells]
    names = {"装备制造专班": "EQUIP", "精细化工专班": "CHEM"}
    for row in ranking.rows[1:]:
        cells = [c.text for c in row.cells]
        code = names[cells[1]]
        assert cells[0] == page[(code, "rank")] and cells[2] == page[(code, "score")]
        for key in M.KEYS:
            i = header.index(f"{M.label(key)}完成率(%)")
            assert cells[i] == page[(code, f"completion:{key}")]
            assert cells[i + 1] == page[(code, f"gap_points:{key}")]


@pytest.mark.parametrize("url", [PAGE, DOCX, "/bulletin/"])
def test_members_get_403_and_anonymous_the_login(client, auth, closed, url):
    assert client.get(url).status_code == 302
    auth.login("mem")
    assert client.get(url).status_code == 403


def test_default_checkpoint_page(client, auth, closed):
    auth.login("boss")
    response = client.get("/bulletin/")
    assert response.status_code == 200
    assert "通报" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["year=abc&checkpoint=h1", "year=1999&checkpoint=q1",
                                   "year=2026&checkpoint=q5", "year=2026&checkpoint=%00",
                                   "year=99999999999999999999", "checkpoint=H1"])
@pytest.mark.parametrize("path", ["/bulletin/", "/bulletin/bulletin.docx"])
def test_bad_parameters_give_a_400_page(client, auth, closed, path, query):
    auth.login("boss")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "请求无效" in response.get_data(as_text=True)
