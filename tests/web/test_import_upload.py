"""The import upload (issue 18): every format through the page, a broken or hostile file a
message on the page (never a 500), and the size limits the README states: an upload up to
IMPORT_MAX_BYTES (10 MB) is accepted with CSRF on (the check reads the form under the
upload's own limit), a larger one gets the 413 page naming 10 MB, every other route keeps
MAX_CONTENT_LENGTH (2 MB)."""
import io
import os
import re
import zipfile

from tracker.db import database
from tracker.models import Project
from tracker.services.imports import jobs
from tests.factories import DEFAULT_PASSWORD, make_task_force, make_user
from tests.services.import_files import (
    compound_file, csv_bytes, ods_bytes, replace_member, xls_bytes, xlsx_bytes,
)

HEADER = ["项目名称", "所属专班", "计划投资额（万元）"]
ROWS = [HEADER, ["甲项目", "TF1", 100], ["乙项目", "TF1", "2,000"]]
MB = 1024 * 1024
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _member(app):
    with app.app_context():
        make_user("member", role="member", task_forces=[make_task_force("TF1")])


def _upload(client, data, name, **extra):
    return client.post("/imports/upload", data={"file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


def test_every_format_uploads_and_previews(app, client, auth):
    _member(app)
    auth.login("member")
    page = client.get("/imports/").get_data(as_text=True)
    assert 'accept=".xlsx,.xls,.ods,.csv' in page and ".ods" in page and "GBK" in page
    files = {"台账.xlsx": xlsx_bytes(ROWS), "台账.xls": xls_bytes(ROWS), "台账.ods": ods_bytes(ROWS),
             "台账.csv": csv_bytes(ROWS, "gbk"), "改了名.xlsx": csv_bytes(ROWS, "utf-8-sig")}
    for name, data in files.items():
        response = _upload(client, data, name)
        assert response.status_code == 302, (name, response.get_data(as_text=True)[-2000:])
        assert "新增 2 行" in client.get("/imports/preview").get_data(as_text=True), name
    with client.session_transaction() as session:
        token = session["import_token"]
    assert client.post("/imports/commit", data={"token": token}).status_code == 302
    with app.app_context():
        assert sorted(p.name for p in Project.select()) == ["乙项目", "甲项目"]


def test_broken_and_hostile_files_get_a_message_on_the_page(app, client, auth):
    _member(app)
    auth.login("member")
    good = xlsx_bytes(ROWS)
    sheet = "xl/worksheets/sheet1.xml"
    cases = {
        "损坏": [good[:len(good) // 2],
                 replace_member(good, sheet, lambda x: x.replace(b"<v>100</v>", b"<v>&x;</v>")),
                 replace_member(good, sheet, lambda x: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + x),
                 xls_bytes(ROWS)[:3000], ods_bytes(ROWS)[:-20]],
        "密码": [compound_file({"EncryptionInfo": b"\x04", "EncryptedPackage": b"\x00"})],
        "数据区域过大": [replace_member(good, sheet, lambda x: x.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))],
        "不是 Excel": [b"\x89PNG\r\n\x1a\n" + bytes(range(256))],
    }
    for message, files in cases.items():
        for data in files:
            response = _upload(client, data, "台账.xlsx")
            assert response.status_code == 400, message
            assert message in response.get_data(as_text=True), message
    folder = os.path.join(app.instance_path, "imports")
    assert not os.path.isdir(folder) or not os.listdir(folder)   # nothing refused is kept


def _login_with_csrf(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "member", "password": DEFAULT_PASSWORD,
                                           "csrf_token": TOKEN.search(page).group(1)})
    assert response.status_code == 302


def _padded(size):
    """A valid .xlsx of about ``size`` bytes (an incompressible member nobody reads)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(ROWS))) as source, \
            zipfile.ZipFile(out, "w") as archive:
        for member in source.infolist():
            archive.writestr(member, source.read(member.filename))
        archive.writestr("xl/media/padding.bin", os.urandom(size), zipfile.ZIP_STORED)
    return out.getvalue()


def test_the_documented_limits_are_the_limits_enforced(csrf_app):
    assert csrf_app.config["IMPORT_MAX_BYTES"] == 10 * MB
    assert csrf_app.config["MAX_CONTENT_LENGTH"] == 2 * MB
    _member(csrf_app)
    client = csrf_app.test_client()
    # before signing in, the upload route too keeps 2 MB
    response = _upload(client, os.urandom(3 * MB), "台账.xlsx")
    assert response.status_code == 413 and "上限 2 MB" in response.get_data(as_text=True)
    _login_with_csrf(client)
    token = TOKEN.search(client.get("/imports/").get_data(as_text=True)).group(1)
    # 6 MB: over the global 2 MB, within the import's 10 MB, with CSRF checked on the way
    data = _padded(6 * MB)
    response = _upload(client, data, "大台账.xlsx", csrf_token=token)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    with csrf_app.app_context(), database.connection_context():
        jobs.work(csrf_app)   # over IMPORT_PREVIEW_JOB_BYTES: judged by a preview job (issue 18)
    assert "新增 2 行" in client.get("/imports/preview").get_data(as_text=True)
    # the same upload without the token is still refused by CSRF
    assert _upload(client, data, "大台账.xlsx").status_code == 400
    # just over 10 MB (within the multipart slack): the form's message
    response = _upload(client, _padded(10 * MB + 1000), "大台账.xlsx", csrf_token=token)
    assert response.status_code == 400 and "上限为 10 MB" in response.get_data(as_text=True)
    # far over: the 413 page names the import's limit
    response = _upload(client, os.urandom(11 * MB), "大台账.xlsx", csrf_token=token)
    assert response.status_code == 413 and "上限 10 MB" in response.get_data(as_text=True)
    # every other route keeps 2 MB
    response = client.post("/login", data={"file": (io.BytesIO(data[:3 * MB]), "x.bin"),
                                            "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "上限 2 MB" in response.get_data(as_text=True)
