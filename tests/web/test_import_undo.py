"""撤销本批导入 through the pages: the batch page offers it, the confirmation page says what
is removed and what cannot be undone, the reason is required next to its field, the undo
happens once and the batch page says so; another member gets 403."""
from tracker.models import ImportBatch, Project
from tests.factories import make_task_force, make_user
from tests.services.test_import import book_bytes, row
from tests.web.test_import import _upload


def _import(app, client, auth):
    with app.app_context():
        team, other = make_task_force("TF1"), make_task_force("TF2")
        make_user("member", role="member", task_forces=[team])
        make_user("other", role="member", task_forces=[other])
    auth.login("member")
    _upload(client, book_bytes([row(项目名称="甲（一期）"), row(项目名称="乙")]))
    with client.session_transaction() as session:
        token = session["import_token"]
    response = client.post("/imports/commit", data={"token": token})
    assert response.status_code == 302
    with app.app_context():
        return ImportBatch.select().get().id


def test_undo_from_the_batch_page(app, client, auth):
    batch_id = _import(app, client, auth)
    page = client.get(f"/imports/batch?id={batch_id}").get_data(as_text=True)
    assert f"/imports/batch/{batch_id}/undo" in page and "撤销本批导入" in page
    confirm = client.get(f"/imports/batch/{batch_id}/undo")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "删除</strong>本批新建的 2 个项目" in text and "不能恢复" in text and "甲（一期）" in text
    # the reason is required, next to its field; nothing is removed
    failed = client.post(f"/imports/batch/{batch_id}/undo", data={"reason": "  "})
    body = failed.get_data(as_text=True)
    assert failed.status_code == 200 and 'id="reason-error"' in body and "请填写撤销原因" in body
    with app.app_context():
        assert Project.select().count() == 2
    done = client.post(f"/imports/batch/{batch_id}/undo", data={"reason": "单位填错（应为亿元）"})
    assert done.status_code == 302 and done.location.endswith(f"/imports/batch?id={batch_id}")
    page = client.get(done.location).get_data(as_text=True)
    assert "已撤销导入批次" in page and "单位填错（应为亿元）" in page
    assert "撤销本批导入…" not in page
    with app.app_context():
        assert Project.select().count() == 0
        assert ImportBatch.get_by_id(batch_id).undone_projects == 2
    again = client.get(f"/imports/batch/{batch_id}/undo").get_data(as_text=True)
    assert "该批次已于" in again and "确认撤销" not in again


def test_another_member_may_not_undo(app, client, auth):
    batch_id = _import(app, client, auth)
    auth.logout()
    auth.login("other")
    assert client.get(f"/imports/batch/{batch_id}/undo").status_code == 403
    assert client.post(f"/imports/batch/{batch_id}/undo",
                       data={"reason": "x"}).status_code == 403
    assert client.get("/imports/batch/987654/undo").status_code in (403, 404)
    with app.app_context():
        assert Project.select().count() == 2
