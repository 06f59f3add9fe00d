"""Excel import pages: upload, preview, commit, batches; permissions and the stored file."""
import io
import os

from tracker.models import ImportBatch, Project
from tests.factories import make_task_force, make_user
from tests.services.test_import import book_bytes, row


def _setup(app):
    with app.app_context():
        team, other = make_task_force("TF1"), make_task_force("TF2")
        make_user("member", role="member", task_forces=[team])
        make_user("other", role="member", task_forces=[other])
        make_user("bureau", role="bureau")
        make_user("nobody", role="lead")


def _upload(client, data, name="台账.xlsx"):
    return client.post("/imports/upload", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _stored(app):
    folder = os.path.join(app.instance_path, "imports")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_upload_preview_commit_and_batch(app, client, auth):
    _setup(app)
    auth.login("member")
    assert client.get("/imports/").status_code == 200
    template = client.get("/imports/template.xlsx")
    assert template.status_code == 200 and template.data.startswith(b"PK")
    response = _upload(client, book_bytes([row(项目名称="甲"), row(项目名称="乙")]))
    assert response.status_code == 302 and response.location.endswith("/imports/preview")
    page = client.get("/imports/preview").get_data(as_text=True)
    assert "新增 2 行" in page and "确认导入" in page
    with client.session_transaction() as session:
        token = session["import_token"]
    # the bytes, who uploaded them, the parsed rows, the judged preview (issue 18)
    assert len(_stored(app)) == 4
    response = client.post("/imports/commit", data={"token": token, "on_duplicate": "skip"})
    assert response.status_code == 302
    with app.app_context():
        batch = ImportBatch.get()
        assert (batch.created, batch.file_name) == (2, "台账.xlsx")
        assert Project.select().count() == 2
    assert _stored(app) == []
    page = client.get(f"/imports/batch?id={batch.id}").get_data(as_text=True)
    assert "甲" in page and "乙" in page
    assert client.get("/imports/batch?id=abc").status_code == 404
    # the same token again: the file is gone, nothing is written twice
    client.post("/imports/commit", data={"token": token, "on_duplicate": "skip"})
    with app.app_context():
        assert Project.select().count() == 2


def test_member_cannot_import_into_another_task_force(app, client, auth):
    _setup(app)
    auth.login("member")
    _upload(client, book_bytes([row(所属专班="TF2")]))
    page = client.get("/imports/preview").get_data(as_text=True)
    assert "无权导入到专班" in page and "确认导入" not in page
    with client.session_transaction() as session:
        token = session["import_token"]
    response = client.post("/imports/commit", data={"token": token})
    assert response.status_code == 400 and "未导入" in response.get_data(as_text=True)
    with app.app_context():
        assert Project.select().count() == 0


def test_token_is_bound_to_the_user_and_session(app, client, auth):
    _setup(app)
    auth.login("member")
    _upload(client, book_bytes([row()]))
    with client.session_transaction() as session:
        token = session["import_token"]
    other = app.test_client()
    other.post("/login", data={"username": "bureau", "password": "password123"})
    with other.session_transaction() as session:
        session["import_token"] = token  # even a stolen token: the file is the member's
    other.post("/imports/commit", data={"token": token})
    assert other.get("/imports/preview").status_code == 302
    with app.app_context():
        assert Project.select().count() == 0


def test_hostile_upload_and_permissions(app, client, auth):
    _setup(app)
    assert client.get("/imports/").status_code == 302  # login first
    auth.login("nobody")
    assert client.get("/imports/").status_code == 403
    assert _upload(client, book_bytes([row()])).status_code == 403
    auth.logout()
    auth.login("member")
    response = _upload(client, "项目名称,专班\n甲,TF1\n".encode("utf-8"), "renamed.xlsx")
    assert response.status_code == 400 and "缺少列" in response.get_data(as_text=True)
    # a column named unlike any field is not a refusal: the person maps it (列的对应)
    response = _upload(client, "名称,专班\n甲,TF1\n".encode("utf-8"), "renamed.xlsx")
    assert response.status_code == 302
    assert client.get("/imports/preview").location.endswith("/imports/mapping")
    client.post("/imports/cancel")
    response = _upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xlsx")
    assert ".xls" in response.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = _upload(client, book_bytes([row()]))
    assert response.status_code in (400, 413)
    assert _stored(app) == []
    with app.app_context():
        assert Project.select().count() == 0


def test_cli_import(app, tmp_path):
    _setup(app)
    path = tmp_path / "f.xlsx"
    path.write_bytes(book_bytes([{"项目名称": "命令行项目", "计划投资额（万元）": 5}],
                                header=["项目名称", "计划投资额（万元）"]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-projects", str(path), "--task-force", "TF1", "--dry-run"])
    assert result.exit_code == 0 and "新增 1" in result.output
    result = runner.invoke(args=["import-projects", str(path)])
    assert result.exit_code == 2 and "所属专班" in result.output
    result = runner.invoke(args=["import-projects", str(path), "--task-force", "TF1"])
    assert result.exit_code == 0 and "新增 1" in result.output
    result = runner.invoke(args=["import-projects", str(path), "--task-force", "TF1"])
    assert "无变化 1" in result.output
    with app.app_context():
        assert Project.select().count() == 1


def test_preview_page_shows_values_units_and_skipped_rows(app, client, auth):
    from tests.services.test_import import clerk_book, last_year
    _setup(app)
    with app.app_context():
        from tracker.models import TaskForce
        TaskForce.update(name="精细化工专班").where(TaskForce.code == "TF1").execute()
        make_user("zhang", display_name="张专员（精细化工）",
                  task_forces=[TaskForce.get(TaskForce.code == "TF1")])
    auth.login("bureau")     # last year's 签约 lies in a closed quarter: the bureau imports it
    y = last_year(1, 1).year
    rows = [{"项目名称": "年产3万吨精细化学品项目", "所属专班": "精细化工专班",
             "计划投资额（亿元）": 12, "项目进展": "已签约", "签约额（亿元）": 10,
             "签约时间": f"{y}年3月", "责任人": "张专员", "备注": "已报市政府"}]
    response = _upload(client, clerk_book(rows))
    assert response.status_code == 302
    page = client.get("/imports/preview").get_data(as_text=True)
    assert "新增 1 行" in page and "确认导入" in page
    assert "计划投资额（亿元）" in page and "按亿元读取，×10000 换算为万元" in page
    assert "120,000.00 万元" in page and "（表格：12 亿元）" in page
    assert "100,000.00 万元" in page and "（表格：已签约）" in page
    assert f"{y}-03-01" in page and f"（表格：{y}年3月（仅到月份，按当月1日））" in page
    assert "（表格：张专员）" in page and "张专员（精细化工）" in page
    assert f"阶段记录：签约 {y}-03-01" in page
    assert "不导入：备注「已报市政府」" in page
    assert "第 5 行：合计行，已跳过" in page and "第 7 行：注释、说明行，已跳过" in page
    with client.session_transaction() as session:
        token = session["import_token"]
    assert client.post("/imports/commit", data={"token": token}).status_code == 302
    with app.app_context():
        project = Project.get()
        assert (project.planned_investment, project.contract_value, project.stage) == (
            120000, 100000, "signed")
