"""The follow-up log (跟进记录): what a task force did to win projects (issue 21).

Pure rules: the kinds, outcomes and default target regions, and the bounds of what is typed.
A logged activity on a project is progress for it (tracker/domain/staleness.py): it moves
the project's last progress date later, exactly as a dated stage event does.
"""
KINDS = {
    "visit": "外出拜访",
    "reception": "企业来访",
    "call": "电话/视频洽谈",
    "inspection": "实地考察",
    "promotion": "推介会/招商会",
    "signing": "签约仪式",
    "other": "其他",
}
OUTCOMES = {"lead": "新线索", "advance": "推进", "none": "暂无进展"}
# The editable list lives in config (ACTIVITY_REGIONS); these are its defaults.
DEFAULT_REGIONS = ("京津冀", "长三角", "珠三角", "东北", "中西部", "日韩", "欧洲", "港澳台", "其他境外", "本地")

SUMMARY_MAX = 2000
COUNTERPART_MAX = 200
PLACE_MAX = 100
LEADER_MAX = 64
PARTICIPANTS_MAX = 500
NEXT_STEP_MAX = 500
REASON_MAX = 500
PROJECTS_MAX = 20


def kind_label(kind):
    return KINDS.get(kind, kind)


def outcome_label(outcome):
    return OUTCOMES.get(outcome, outcome)
