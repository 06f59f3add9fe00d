"""Demo data shaped on the source facts (Fushun "6+N" investment task forces).

    flask --app tracker seed [--if-empty]          # or: python seed.py [--if-empty]

Creates 7 counties/zones, the six key-industry task forces plus N county/enterprise
ones, one demo login per role and ~170 projects spread over the whole pipeline with
dated stage events across last year and this year up to today, fund receipts,
capital increases, 退库 with reasons and stale projects. Task forces perform
differently on purpose (some ahead of the time schedule, some behind).

Idempotent: counties, task forces and users are found by code/username, projects by
(task force, name, investor); running it again adds nothing. Deterministic: the same
random seed always gives the same projects. Projects are created only through
tracker.services.ledger.projects (the same validation and audit trail as the web forms),
all in one transaction.

The demo password is TRACKER_SEED_PASSWORD when set, otherwise generated once and
kept in <instance>/seed_password (never a fixed string).
"""
import secrets

from tracker.config import Defaults, instance_secret
from tracker.domain import pipeline
from tracker.services import tx
from tracker.demo.data import (COUNTIES, DEMO_USERS, TASK_FORCES)
from tracker.demo import activities as demo_activities
from tracker.demo import supervision as demo_supervision
from tracker.demo.plan import (build_plan)


def _password(app):
    return app.config.get("SEED_PASSWORD") or instance_secret(
        app.instance_path, "seed_password", lambda: secrets.token_urlsafe(9))


def _ensure_base(password):
    """Counties, task forces, demo users and memberships (found or created)."""
    from tracker.models import County, Membership, TaskForce, TaskForceCounty, User
    from tracker.services import audit
    counties = {}
    for code, name, kind in COUNTIES:
        county = County.get_or_none(County.code == code)
        if county is None:
            county = County.create(code=code, name=name, kind=kind)
            audit.record(None, "county", county.id, "create", None, audit.snapshot(county))
        counties[code] = county
    teams = {}
    for spec in TASK_FORCES:
        team = TaskForce.get_or_none(TaskForce.code == spec["code"])
        if team is None:
            team = TaskForce.create(**{k: spec[k] for k in (
                "code", "name", "kind", "industry", "lead_department", "leader")})
            audit.record(None, "task_force", team.id, "create", None, audit.snapshot(team))
            TaskForceCounty.insert_many([{"task_force": team.id, "county": counties[c].id}
                                         for c in spec["counties"]]).execute()
        teams[spec["code"]] = team
    users = {}
    for username, role, display_name, codes in DEMO_USERS:
        user = User.get_or_none(User.username == username)
        if user is None:
            user = User(username=username, role=role, display_name=display_name,
                        email=f"{username}@example.com")
            user.set_password(password)
            user.save()
            audit.record(None, "user", user.id, "create", None,
                         audit.snapshot(user, ["username", "role", "display_name", "email"]))
            for code in codes:
                Membership.get_or_create(user=user, task_force=teams[code])
        users[username] = user
    return counties, teams, users


def _apply_project(plan, index, teams, counties, owners):
    from tracker.services.ledger import projects as svc
    team = teams[plan.task_force]
    first = plan.steps[0]
    at_signed = pipeline.rank(first.stage) >= pipeline.rank(pipeline.SIGNED)
    project = svc.create_project(
        None, task_force=team, name=plan.name, investor=plan.investor,
        planned_investment=plan.planned, on=first.on, stage=first.stage, note=first.note,
        contract_value=plan.contract if at_signed else None,
        signing_grade=plan.signing_grade if at_signed else None,
        county=counties[plan.county], investor_region=plan.investor_region,
        capital_type=plan.capital_type, industry=plan.industry, tags=plan.tags,
        owner=_pick(owners.get(plan.task_force), index), contact=plan.contact, next_step=plan.next_step,
        problems=plan.problems, expected_sign_date=plan.expected_sign_date)
    # Interleave stage steps, receipts and increases in date order.
    events = [(s.on, 0, "stage", s) for s in plan.steps[1:]]
    events += [(f[0], 1, "funds", f) for f in plan.funds]
    events += [(c[0], 2, "increase", c) for c in plan.increases]
    current = plan.steps[0].stage
    for _, _, kind, item in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "stage":
            signing = item.stage == pipeline.SIGNED
            svc.change_stage(None, project, item.stage, on=item.on, note=item.note,
                             reason=item.reason, expected_stage=current,
                             contract_value=plan.contract if signing else None,
                             signing_grade=plan.signing_grade if signing else None)
            current = item.stage
        elif kind == "funds":
            day, amount, currency, original, rate, layer = item
            svc.record_funds(None, project, received_on=day, currency=currency,
                             amount=None if currency == "USD" else amount,
                             original_amount=original, exchange_rate=rate, source_layer=layer,
                             evidence=f"银行进账单 {day:%Y%m%d}-{project.id:04d}")
        else:
            day, amount, note = item
            svc.add_capital_increase(None, project, on=day, amount=amount, note=note)
    return project


def _pick(items, index):
    return items[index % len(items)] if items else None


def after_seed(app, echo):
    """Hook point: later areas (e.g. annual targets) add their demo data here.
    Called inside the seed transaction after projects exist; must be idempotent."""
    from .. import clock
    from tracker.services.targets.annual import seed_demo_targets
    written, bases = seed_demo_targets(clock.today())
    if written or bases:
        echo(f"年度目标：新增 {written} 个目标版本，{bases} 个区县手工基数。")


def run(if_empty=False, echo=print):
    """Load the demo data into the current app's database (needs an app context)."""
    from flask import current_app

    from .. import clock
    from tracker.models import Project

    app = current_app._get_current_object()
    password = _password(app)
    if if_empty and Project.select().exists():
        echo("项目台账已有数据，跳过演示数据导入（--if-empty）。")
        _print_logins(app, password, echo)
        return {"skipped": True, "created": 0}
    today = clock.today()
    created = 0
    with tx.write():
        counties, teams, users = _ensure_base(password)
        owners = {}
        for username, _, _, codes in DEMO_USERS:
            for code in codes:
                owners.setdefault(code, []).append(users[username])
        from tracker.domain.text import duplicate_key
        existing = set(Project.select(Project.task_force, Project.dedupe_key).tuples())
        for index, plan in enumerate(build_plan(today)):
            if (teams[plan.task_force].id, duplicate_key(plan.name, plan.investor)) in existing:
                continue
            _apply_project(plan, index, teams, counties, owners)
            created += 1
        logged = demo_activities.seed(today, teams)
        demo_supervision.seed(today, teams, users)
        after_seed(app, echo)
    echo(f"演示数据：新建 {created} 个项目（共 {Project.select().count()} 个），跟进记录 {logged} 条。")
    _print_logins(app, password, echo)
    return {"skipped": False, "created": created}


def _print_logins(app, password, echo):
    from tracker.models import User
    base = (app.config.get("BASE_URL") or Defaults.BASE_URL).rstrip("/")
    echo(f"登录地址：{base}/login")
    for username, role, display_name, _ in DEMO_USERS:
        if User.select().where(User.username == username).exists():
            echo(f"  {role:<7} 用户名 {username:<7} 密码 {password}  （{display_name}）")
    echo("（演示账号密码来自 TRACKER_SEED_PASSWORD 或实例目录的 seed_password 文件；"
         "如已修改密码则以修改后为准。）")
