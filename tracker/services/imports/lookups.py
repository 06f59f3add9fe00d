"""The names an import looks up, read once per file (issue 18): task forces and counties
by code and by name, the task forces the importing person may write to, and the users a
责任人 cell may name (the active ones, as the project form lists them, and the deactivated
ones, kept only where the ledger already has them)."""
from ...domain import import_rules as rules
from ...models import County, Membership, TaskForce, User

MAX_LISTED = 10  # valid 责任人 names listed beside an unknown one


class Lookups:
    """Task forces and counties by code and by name; the teams ``user`` may import into;
    the users a 责任人 cell may name (the active ones, as the project form lists them)."""

    def __init__(self, user, forced_code):
        teams = list(TaskForce.select())
        self.teams = _index(teams)
        self.counties = _index(County.select())
        users = list(User.select().order_by(User.username))
        self.people = rules.People(u for u in users if u.active)
        self.inactive = rules.People(u for u in users if not u.active)
        self.active_users = [u for u in users if u.active]
        self.members = {}
        for user_id, team_id in Membership.select(Membership.user, Membership.task_force).tuples():
            self.members.setdefault(team_id, set()).add(user_id)
        self.allowed = None if user is None or user.sees_all else user.task_force_ids()
        self.forced = self.teams.get(fold(forced_code)) if forced_code else None
        if forced_code and self.forced is None:
            raise LookupError(f"专班代码「{forced_code}」不存在。")
        self._names = {}

    def names(self, team):
        """The 责任人 names listed beside an unknown one: the team's members first."""
        team_id = team.id if team is not None else None
        if team_id not in self._names:
            members = self.members.get(team_id, set())
            ordered = sorted(self.active_users, key=lambda u: u.id not in members)
            listed = "、".join(rules.person_label(u) for u in ordered[:MAX_LISTED])
            more = len(ordered) - MAX_LISTED
            self._names[team_id] = listed + (f" 等 {len(ordered)} 人" if more > 0 else "")
        return self._names[team_id]


def teams_index():
    """Task forces by folded code and name (what a 所属专班 cell may say)."""
    return _index(TaskForce.select())


def fold(value):
    """The comparison form of a name typed in a cell (rules.match_key)."""
    return rules.match_key(value) if value is not None else ""


def _index(rows):
    out = {}
    for row in rows:
        out.setdefault(fold(row.code), row)
        out.setdefault(fold(row.name), row)
    return out
