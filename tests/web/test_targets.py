import re
from decimal import Decimal

import pytest

from tests.factories import make_county, make_task_force, make_user
from tracker.models import AuditLog, CheckpointShare, CountyTarget, TaskForceTarget
from tracker.services.targets import annual as T
from tracker.services.targets.counties import set_county_target
from tracker.services.targets.inputs import STALE_TARGET
from tracker.services.targets.shares import shares_for


@pytest.fixture
def setup(app):
    with app.app_context():
        make_user("boss", role="bureau")
        make_user("member1", role="member")
        tf = make_task_force("TF1", name="精细化工专班")
        make_task_force("TF2")
        make_county("C1", name="东洲区")
        return {"tf": tf.id}


def test_members_are_forbidden(client, auth, setup):
    auth.login("member1")
    assert client.get("/targets/").status_code == 403
    assert client.post("/targets/2026/defaults").status_code == 403
    assert client.post("/targets/2026/team/TF1", data={"signed_value": "1"}).status_code == 403


def test_index_lists_teams_and_applies_defaults(app, client, auth, setup):
    auth.login("boss")
    page = client.get("/targets/?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026 年目标设置" in html and "精细化工专班" in html and "未设置" in html
    assert "东洲区" in html
    response = client.post("/targets/2026/defaults", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "新增 6 个目标版本" in html
    assert "策划包装项目（亿元）" in html and "洽谈项目（个）" in html
    assert ">100.00 <small" in html and ">20.00 <small" in html and "v1" in html
    assert "1,000,000.00" not in html
    with app.app_context():
        assert TaskForceTarget.select().where(TaskForceTarget.year == 2026).count() == 6
    again = client.post("/targets/2026/defaults", follow_redirects=True).get_data(as_text=True)
    assert "未作修改" in again


def test_bad_year_never_fails(client, auth, setup):
    auth.login("boss")
    response = client.get("/targets/?year=abc")
    assert response.status_code == 200
    assert "年份必须是整数" in response.get_data(as_text=True)
    assert client.get("/targets/1800/team/TF1").status_code == 404
    assert client.get("/targets/2026/team/NOPE").status_code == 404
    assert client.get("/targets/2026/county/NOPE").status_code == 404


def test_edit_team_creates_versions_with_reason(app, client, auth, setup):
    auth.login("boss")
    form = client.get("/targets/2026/team/TF1")
    assert form.status_code == 200 and "保存（生成新版本）" in form.get_data(as_text=True)
    html = form.get_data(as_text=True)
    for label in ("策划包装项目（亿元）", "洽谈项目（个）", "签约额（亿元）", "到位资金（亿元）"):
        assert label in html
    data = {"packaged_value": "90", "negotiations": "25", "signed_value": "15",
            "funds_received": "", "reason": "市政府下达"}
    response = client.post("/targets/2026/team/TF1", data=data, follow_redirects=True)
    assert "新增 3 个版本" in response.get_data(as_text=True)
    data.update(signed_value="18", reason="年中上调")
    client.post("/targets/2026/team/TF1", data=data)
    with app.app_context():
        current = T.current_target(setup["tf"], 2026, "signed_value")
        assert (current.version, current.value, current.reason) == (2, Decimal("180000.00"),
                                                                    "年中上调")
        assert current.set_by.username == "boss"
        assert T.current_target(setup["tf"], 2026, "packaged_value").value \
            == Decimal("900000.00")
        assert AuditLog.select().where(AuditLog.entity == "target").count() == 4
    html = client.get("/targets/2026/team/TF1").get_data(as_text=True)
    assert "年中上调" in html and "v2" in html and 'value="25"' in html
    assert 'value="18"' in html and 'value="90"' in html and "18.00" in html


def test_edit_team_shows_errors_and_writes_nothing(app, client, auth, setup):
    auth.login("boss")
    data = {"packaged_value": "-1", "negotiations": "2.5", "signed_value": "abc",
            "funds_received": "100", "reason": "下达"}
    response = client.post("/targets/2026/team/TF1", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "目标值不能为负数。" in html and "目标值必须是整数。" in html
    assert "目标值必须是数字。" in html
    with app.app_context():
        assert TaskForceTarget.select().count() == 0      # funds were valid but not written


def test_checkpoint_shares_form(app, client, auth, setup):
    auth.login("boss")
    page = client.get("/targets/2026/shares")
    assert page.status_code == 200 and 'value="25"' in page.get_data(as_text=True)
    data = {}
    for key in ("packaged_value", "negotiations", "signed_value", "funds_received"):
        data.update({f"{key}_q1": "25", f"{key}_q2": "50", f"{key}_q3": "75", f"{key}_q4": "100"})
    bad = dict(data, signed_value_q2="20")
    response = client.post("/targets/2026/shares", data=bad)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # flagged on the quarter that is lower than the one before, not above the form
    message = "累计比例必须逐季不减：不能低于第1季度的 25%。"
    field = re.search(r'<div class="field\s+has-error">\s*<label for="signed_value_q2">.*?</div>\s*</div>',
                      html, re.S)
    assert field and message in field.group(0)
    assert html.count(message) == 1 and "flash-danger" not in html
    data.update(signed_value_q1="10", signed_value_q2="40", signed_value_q3="70")
    response = client.post("/targets/2026/shares", data=data, follow_redirects=True)
    assert "已保存 2026 年季度节点比例" in response.get_data(as_text=True)
    with app.app_context():
        assert CheckpointShare.select().count() == 1     # only the changed metric
        assert shares_for(2026)["signed_value"] == (10, 40, 70, 100)


def test_county_target_form(app, client, auth, setup):
    auth.login("boss")
    assert client.get("/targets/2026/county/C1").status_code == 200
    response = client.post("/targets/2026/county/C1", data={"base": "x", "growth_pct": ""})
    html = response.get_data(as_text=True)
    assert "基数必须是数字。" in html and "请填写增长目标（%）。" in html
    assert "上年基数（亿元" in html and "请填写修改原因。" in html
    response = client.post("/targets/2026/county/C1",
                           data={"base": "0.8", "growth_pct": "20", "reason": "上年无台账"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已保存「东洲区」2026年到位资金目标" in html and "（基数 0.80 亿元）" in html
    assert "手工基数（亿元）" in html
    with app.app_context():
        row = CountyTarget.get()
        assert (row.base, row.version, row.reason) == (Decimal("8000.00"), 1, "上年无台账")
    assert 'value="0.8"' in client.get("/targets/2026/county/C1").get_data(as_text=True)


def test_forms_are_csrf_protected(csrf_app):
    import re
    with csrf_app.app_context():
        make_user("boss", role="bureau")
        make_task_force("TF1")
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    logged_in = client.post("/login", data={"username": "boss", "password": "password123",
                                            "csrf_token": token})
    assert logged_in.status_code == 302
    assert client.get("/targets/").status_code == 200
    response = client.post("/targets/2026/defaults")
    assert response.status_code == 400
    with csrf_app.app_context():
        assert TaskForceTarget.select().count() == 0


def test_two_bureau_users_apply_defaults_at_once_never_500(app, setup):
    """Two people press 应用默认目标 for a new year at the same moment: one writes the
    targets, the other is told there is nothing to change (it was a 500 on PostgreSQL and
    MariaDB)."""
    from tests.races import run_together
    with app.app_context():
        make_user("boss2", role="bureau")
    clients = [app.test_client(), app.test_client()]
    for client, name in zip(clients, ("boss", "boss2")):
        assert client.post("/login", data={"username": name,
                                           "password": "password123"}).status_code == 302
    for year in (2026, 2027):
        outcomes = run_together(app, *[
            (lambda c=c: c.post(f"/targets/{year}/defaults", follow_redirects=True))
            for c in clients])
        pages = []
        for response, exc in outcomes:
            assert exc is None, repr(exc)
            assert response.status_code == 200
            pages.append(response.get_data(as_text=True))
        assert sum("新增 6 个目标版本" in p for p in pages) == 1
        assert sum("未作修改" in p for p in pages) == 1
        with app.app_context():
            assert TaskForceTarget.select().where(TaskForceTarget.year == year).count() == 6
            assert AuditLog.select().where(AuditLog.entity == "target").count() == 6 * (
                year - 2025)


def test_apply_defaults_refusal_is_a_message(client, auth, setup, monkeypatch):
    from tracker.domain.errors import ValidationError

    def refuse(*args, **kwargs):
        raise ValidationError({"__all__": STALE_TARGET})
    monkeypatch.setattr(T, "apply_defaults", refuse)
    auth.login("boss")
    response = client.post("/targets/2026/defaults", follow_redirects=True)
    assert response.status_code == 200
    assert STALE_TARGET in response.get_data(as_text=True)


def test_reason_is_normalised_and_nul_refused(app, client, auth, setup):
    auth.login("boss")
    data = {"packaged_value": "", "negotiations": "", "signed_value": "100",
            "funds_received": "", "reason": "市政府\x00下达"}
    response = client.post("/targets/2026/team/TF1", data=data)
    assert response.status_code == 200
    assert "修改原因包含无效字符（NUL）" in response.get_data(as_text=True)
    with app.app_context():
        assert TaskForceTarget.select().count() == 0
    data["reason"] = "  市政府\u200b下达　（年初） "
    client.post("/targets/2026/team/TF1", data=data)
    with app.app_context():
        # Invisibles gone, spaces collapsed; the full-width brackets stay as typed.
        assert TaskForceTarget.get().reason == "市政府下达 （年初）"
    data["reason"] = "长" * 501
    html = client.post("/targets/2026/team/TF1", data=dict(data, signed_value="200")) \
        .get_data(as_text=True)
    assert "修改原因不能超过 500 个字" in html


def test_unknown_county_for_a_goal_is_a_field_message(app, setup):
    from tracker.domain.errors import ValidationError
    with app.app_context():
        with pytest.raises(ValidationError) as exc:
            set_county_target(None, 999999, 2026, growth_pct="20")
        assert exc.value.errors == {"county": "区县/开发区不存在。"}
        with pytest.raises(ValidationError) as exc:
            T.set_targets(None, 999999, 2026, {"signed_value": "1"})
        assert exc.value.errors == {"task_force": "专班不存在。"}
        assert CountyTarget.select().count() == 0 and TaskForceTarget.select().count() == 0


# --- issue "Targets entered safely" ---------------------------------------------------------

def _team_data(**changes):
    data = {"packaged_value": "", "negotiations": "", "signed_value": "",
            "funds_received": "", "reason": "年初下达"}
    data.update(changes)
    return data


def _token(html):
    return re.search(r'name="confirm_token"[^>]*value="([^"]*)"', html).group(1)


def test_a_target_typed_as_25_is_25_yi_everywhere(app, client, auth, setup):
    auth.login("boss")
    client.post("/targets/2026/team/TF1", data=_team_data(signed_value="25"))
    with app.app_context():
        assert T.current_target(setup["tf"], 2026, "signed_value").value == Decimal("250000.00")
    data = client.get("/api/v1/progress?year=2026&as_of=2026-06-30").get_json()
    signed = data["task_forces"]["TF1"]["metrics"]["signed_value"]
    assert signed["target"] == "250000.00" and signed["unit"] == "万元"
    index = client.get("/targets/?year=2026").get_data(as_text=True)
    assert ">25.00 <small" in index and "签约额（亿元）" in index
    form = client.get("/targets/2026/team/TF1").get_data(as_text=True)
    assert 'value="25"' in form and "25.00" in form


def test_a_tenfold_change_is_saved_only_once_confirmed(app, client, auth, setup):
    auth.login("boss")
    client.post("/targets/2026/team/TF1", data=_team_data(signed_value="20"))
    response = client.post("/targets/2026/team/TF1",
                           data=_team_data(signed_value="250", reason="上调"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "我已核对，确认保存" in html
    field = re.search(r'<label for="signed_value">.*?</div>\s*</div>', html, re.S).group(0)
    assert "由 20.00 亿元 改为 250.00 亿元" in field            # next to the field
    with app.app_context():
        assert T.latest_version_number(2026) == 1
    token = _token(html)
    # saving again without ticking the box asks again
    again = client.post("/targets/2026/team/TF1", data=_team_data(
        signed_value="250", reason="上调", confirm_token=token)).get_data(as_text=True)
    assert "我已核对，确认保存" in again
    response = client.post("/targets/2026/team/TF1", data=_team_data(
        signed_value="250", reason="上调", confirm_token=token, confirm="y"),
        follow_redirects=True)
    assert "新增 1 个版本" in response.get_data(as_text=True)
    with app.app_context():
        row = T.current_target(setup["tf"], 2026, "signed_value")
        assert (row.version, row.value) == (2, Decimal("2500000.00"))


def test_a_target_below_the_floor_needs_confirmation(app, client, auth, setup):
    auth.login("boss")
    html = client.post("/targets/2026/team/TF1", data=_team_data(
        packaged_value="0.5")).get_data(as_text=True)
    assert "目标 0.50 亿元 低于下限 1.00 亿元，请核对单位（亿元）。" in html
    with app.app_context():
        assert TaskForceTarget.select().count() == 0
    client.post("/targets/2026/team/TF1", data=_team_data(
        packaged_value="0.5", confirm_token=_token(html), confirm="y"))
    with app.app_context():
        assert T.current_target(setup["tf"], 2026, "packaged_value").value == Decimal("5000.00")


def test_reason_is_required_on_the_form(app, client, auth, setup):
    auth.login("boss")
    html = client.post("/targets/2026/team/TF1",
                       data=_team_data(signed_value="20", reason=" ")).get_data(as_text=True)
    assert "请填写修改原因。" in html
    with app.app_context():
        assert TaskForceTarget.select().count() == 0


def test_an_empty_field_keeps_the_target(app, client, auth, setup):
    auth.login("boss")
    client.post("/targets/2026/team/TF1", data=_team_data(signed_value="20", negotiations="20"))
    response = client.post("/targets/2026/team/TF1", data=_team_data(
        signed_value="", negotiations="22", reason="只改洽谈"), follow_redirects=True)
    assert "新增 1 个版本" in response.get_data(as_text=True)
    with app.app_context():
        row = T.current_target(setup["tf"], 2026, "signed_value")
        assert (row.version, row.value) == (1, Decimal("200000.00"))
        assert TaskForceTarget.select().where(TaskForceTarget.value.is_null()).count() == 0
    assert "清除" not in client.get("/targets/2026/team/TF1").get_data(as_text=True)


def test_overwrite_lists_the_replaced_targets_and_writes_only_when_confirmed(app, client, auth,
                                                                           setup):
    auth.login("boss")
    client.post("/targets/2026/defaults")
    client.post("/targets/2026/team/TF1", data=_team_data(signed_value="30", reason="加压"))
    response = client.post("/targets/2026/defaults", data={"overwrite": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "覆盖将替换以下 1 个已修改的目标" in html
    assert "精细化工专班" in html and "签约额（亿元）" in html
    assert "30.00" in html and "→ 20.00" in html and "确认覆盖（共 1 项）" in html
    with app.app_context():
        assert TaskForceTarget.select().count() == 7
    done = client.post("/targets/2026/defaults", data={"overwrite": "y",
                                                       "confirm_token": _token(html)},
                       follow_redirects=True)
    assert "新增 1 个目标版本" in done.get_data(as_text=True)
    with app.app_context():
        row = T.current_target(setup["tf"], 2026, "signed_value")
        assert (row.version, row.value) == (3, Decimal("200000.00"))
        assert row.reason == "应用默认目标（覆盖）"     # stored as written, never NFKC-folded
