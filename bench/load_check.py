"""After a load test (bench/loadtest.py): prove every accepted write is in the database
exactly once, and print locust's numbers as one table per page group.

The writes file (LOADTEST_WRITES, one JSON line per write the locustfile posted) names each
write by a mark written into its text (stage event note, receipt 佐证材料, 跟进内容). The
database's rows carrying this run's mark must be exactly:
- accepted: one row per mark, on that project, with that stage (from → to) / amount, by that
  user, and the write's own audit row (fund_receipt/activity create: one per row; a stage
  change: one project "stage" row per stage event of the run on that project);
- refused or filed (更正申请): no row;
- unknown (sent, no answer: a user stopped at the end of the run, a timeout, a 5xx): none
  or one, never more (counted apart);
and no row carries a mark that was never sent. Each project a stage change of the run
touched has the stage of its last stage event that counts.
"""
import csv
import json
from collections import Counter, defaultdict
from decimal import Decimal


def read_writes(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def _rows(run):
    """{kind: {mark: [row facts]}} of this run's rows in the database."""
    from tracker.models import Activity, ActivityProject, FundReceipt, StageEvent, User
    like = f"%{run}-%"
    found = defaultdict(lambda: defaultdict(list))
    names = dict(User.select(User.id, User.username).tuples())
    for e in StageEvent.select().where(StageEvent.note ** like):
        found["stage"][_mark(e.note, run)].append(dict(
            id=e.id, project=e.project_id, **{"from": e.from_stage}, to=e.stage,
            user=names.get(e.user_id), voided=e.voided_at is not None))
    for r in FundReceipt.select().where(FundReceipt.evidence ** like):
        found["funds"][_mark(r.evidence, run)].append(dict(
            id=r.id, project=r.project_id, amount=Decimal(r.amount), user=names.get(r.user_id)))
    links = defaultdict(list)
    activities = list(Activity.select().where(Activity.summary ** like))
    for activity_id, project_id in (ActivityProject.select(ActivityProject.activity,
                                                           ActivityProject.project)
                                    .where(ActivityProject.activity.in_([a.id for a in activities]
                                                                        or [0])).tuples()):
        links[activity_id].append(project_id)
    for a in activities:
        found["activity"][_mark(a.summary, run)].append(dict(
            id=a.id, projects=links[a.id], user=names.get(a.user_id)))
    return found


def _mark(text, run):
    start = text.index(run + "-")
    return text[start:start + len(run) + 7]


def _same(kind, write, row):
    if row["user"] != write["user"]:
        return False
    if kind == "stage":
        return (row["project"], row["from"], row["to"], row["voided"]) == \
            (write["project"], write["from"], write["to"], False)
    if kind == "funds":
        return row["project"] == write["project"] and row["amount"] == Decimal(write["amount"])
    return row["projects"] == [write["project"]]


def _audits(found, since):
    """Problems with the audit rows of the run's writes."""
    from tracker.models import AuditLog
    bad = []
    for kind, entity in (("funds", "fund_receipt"), ("activity", "activity")):
        ids = [r["id"] for rows in found[kind].values() for r in rows]
        counts = Counter(i for i, in AuditLog.select(AuditLog.entity_id).where(
            (AuditLog.entity == entity) & (AuditLog.action == "create")
            & AuditLog.entity_id.in_(ids or [0])).tuples())
        bad += [f"{entity} {i}: {counts[i]} audit rows" for i in ids if counts[i] != 1]
    per_project = Counter(r["project"] for rows in found["stage"].values() for r in rows)
    audited = Counter(p for p, in AuditLog.select(AuditLog.entity_id).where(
        (AuditLog.entity == "project") & (AuditLog.action == "stage") & (AuditLog.at >= since)
        & AuditLog.entity_id.in_(list(per_project) or [0])).tuples())
    bad += [f"project {p}: {n} stage events, {audited[p]} stage audit rows"
            for p, n in per_project.items() if audited[p] != n]
    return bad


def _final_stages(found):
    """Projects whose stage column is not the stage of their last stage event that counts
    (the row and its history disagree)."""
    from tracker.models import StageEvent
    projects = {r["project"] for rows in found["stage"].values() for r in rows}
    last = {}
    for project, stage in (StageEvent.select(StageEvent.project, StageEvent.stage)
                           .where(StageEvent.project.in_(list(projects) or [0])
                                  & StageEvent.voided_at.is_null())
                           .order_by(StageEvent.id).tuples()):
        last[project] = stage
    from tracker.models import Project
    stages = dict(Project.select(Project.id, Project.stage)
                  .where(Project.id.in_(list(projects) or [0])).tuples())
    return [f"project {p}: stage {stages.get(p)}, its last stage event {last.get(p)}"
            for p in projects if stages.get(p) != last.get(p)]


def outcomes_of(writes):
    """The last word on each write: {(kind, mark): (write, outcome)}; a write only "sent"
    (no answer: stopped at the end of the run, a timeout) is "unknown"."""
    out = {}
    for w in writes:
        key = (w["kind"], w["mark"])
        if w["outcome"] != "sent" or key not in out:
            out[key] = (w, "unknown" if w["outcome"] == "sent" else w["outcome"])
    return out


def check_writes(writes, run, since):
    """(summary lines, problems) of the writes against the database (in an app context);
    ``since``: naive UTC datetime of the run's start (for the stage audit rows)."""
    found = _rows(run)
    problems, outcomes = [], Counter()
    answered = outcomes_of(writes)
    for (kind, m), (w, outcome) in answered.items():
        outcomes[(kind, outcome)] += 1
        rows = found[kind].get(m, [])
        if outcome == "accepted":
            if len(rows) != 1:
                problems.append(f"{kind} {m} (project {w['project']}): accepted, {len(rows)} rows")
            elif not _same(kind, w, rows[0]):
                problems.append(f"{kind} {m}: accepted as {w}, stored as {rows[0]}")
        elif outcome in ("refused", "filed") and rows:
            problems.append(f"{kind} {m}: {outcome}, but {len(rows)} rows stored")
        elif outcome == "unknown":
            outcomes[(kind, "unknown, stored")] += len(rows)
            if len(rows) > 1:
                problems.append(f"{kind} {m}: unknown outcome, {len(rows)} rows stored")
    for kind, marks in found.items():
        problems += [f"{kind} {m}: {len(rows)} rows of a write never sent"
                     for m, rows in marks.items() if (kind, m) not in answered]
    problems += _audits(found, since) + _final_stages(found)
    lines = []
    for kind in ("stage", "funds", "activity"):
        per = {o: outcomes[(kind, o)] for o in ("accepted", "refused", "filed", "unknown",
                                                "unknown, stored")}
        stored = sum(len(r) for r in found[kind].values())
        lines.append(f"{kind:<9} " + ", ".join(f"{n} {o}" for o, n in per.items() if n or o == "accepted")
                     + f"; {stored} rows of this run in the database")
    refusals = Counter(w.get("message", "")[:60] for w, o in answered.values() if o == "refused")
    lines += [f"  refused {n}×: {msg}" for msg, n in refusals.most_common(5)]
    return lines, problems


# --- locust's numbers -----------------------------------------------------------------

DOWNLOADS = ("export", ".docx")   # files, not pages: shown apart in the totals


def _percentiles(ms):
    ms = sorted(ms)
    return [ms[min(len(ms) - 1, int(len(ms) * q))] if ms else 0.0 for q in (0.5, 0.95, 0.99)] + \
        [ms[-1] if ms else 0.0]


def _line(name, rows, seconds):
    p50, p95, p99, top = _percentiles([r[3] for r in rows if r[1] != "CHECK"])
    count = sum(r[1] != "CHECK" for r in rows)
    return (f"| {name:<44} | {count:>8,} | {sum(r[4] for r in rows):>6} | {p50:>6.0f} | "
            f"{p95:>6.0f} | {p99:>6.0f} | {top:>6.0f} | {count / seconds:>5.1f} |")


def stats_table(times_path, duration):
    """One line per page group from the locustfile's request times (exact percentiles,
    client side: queueing included), then totals: all requests, the pages (no login, no
    download) and the pages once every user was running."""
    with open(times_path, encoding="utf-8") as f:
        data = json.load(f)
    rows, spawned = data["requests"], data["spawned_at"]
    groups = defaultdict(list)
    for row in rows:
        groups[f"{row[1]} {row[0]}" if row[1] == "CHECK" else row[0]].append(row)
    out = [f"| {'page group':<44} | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |",
           "|" + "-" * 46 + "|---------:|-------:|-------:|-------:|-------:|-------:|------:|"]
    out += [_line(name, group, duration) for name, group in sorted(groups.items())]
    pages = [r for r in rows if not r[0].startswith("login") and not any(d in r[0] for d in DOWNLOADS)]
    out.append(_line("**all requests**", rows, duration))
    out.append(_line("**pages** (no login, no download)", pages, duration))
    if spawned:
        steady = [r for r in pages if r[2] >= spawned]
        end = max((r[2] for r in rows), default=spawned)
        out.append(_line("**pages, all users running**", steady, max(1.0, end - spawned)))
    return out


def failures(prefix, limit=10):
    """The most frequent failures and exceptions (locust's ``*_failures.csv`` and
    ``*_exceptions.csv``)."""
    out = []
    for suffix, count, what in (("_failures.csv", "Occurrences", "{Method} {Name}: {Error}"),
                                ("_exceptions.csv", "Count", "exception in {Nodes}: {Message}")):
        try:
            with open(prefix + suffix, encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
        except FileNotFoundError:
            continue
        rows.sort(key=lambda r: -int(r[count]))
        out += [f"  {r[count]}× " + what.format(**r)[:200] for r in rows[:limit]]
    return out


# --- the server's own view: the request log -------------------------------------------

_ROUTES = (("/projects/<id>", r"^/projects/\d+$"), ("/projects/<id>/stage", r"^/projects/\d+/stage$"),
           ("/projects/<id>/funds", r"^/projects/\d+/funds$"), ("/dashboard/teams/<code>", r"^/dashboard/teams/"),
           ("/taskforces/<code>", r"^/taskforces/[^/]+$"))


def _route(path):
    import re
    for label, pattern in _ROUTES:
        if re.match(pattern, path):
            return label
    return path


def server_table(log_path, limit=20):
    """Per method and route of the gunicorn request log (``METHOD path status 12.3ms``):
    requests, 5xx, and the time inside the app (p50/p95/p99), the busiest total first."""
    import re
    line = re.compile(r"\b(GET|POST) (\S+) (\d{3}) ([\d.]+)ms user=")
    times, errors = defaultdict(list), Counter()
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for text in f:
                m = line.search(text)
                if m:
                    key = f"{m.group(1)} {_route(m.group(2))}"
                    times[key].append(float(m.group(4)))
                    errors[key] += m.group(3).startswith("5")
    except FileNotFoundError:
        return []
    out = [f"| {'route (in the app)':<34} | requests | 5xx | p50 ms | p95 ms | p99 ms | total s |",
           "|" + "-" * 36 + "|---------:|----:|-------:|-------:|-------:|--------:|"]
    for key, ms in sorted(times.items(), key=lambda kv: -sum(kv[1]))[:limit]:
        ms.sort()
        pick = [ms[min(len(ms) - 1, int(len(ms) * q))] for q in (0.5, 0.95, 0.99)]
        out.append(f"| {key:<34} | {len(ms):>8,} | {errors[key]:>3} | {pick[0]:>6.0f} | "
                   f"{pick[1]:>6.0f} | {pick[2]:>6.0f} | {sum(ms) / 1000:>7.1f} |")
    return out
