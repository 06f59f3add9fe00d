"""The follow-up log (跟进记录): visits, calls, visitors and 推介会 of the task forces (issue 21).

Entry modules (what web, CLI and jobs call):
    log      log, edit and 作废 an activity (the write path; progress for its projects)
    listing  the filtered list, a project's and a team's activities, the person's last choices
    export   the filtered list as .xlsx
    index    招商活跃指数: maintained weekly counts, the weekly ranking, check and rebuild
Internal: inputs (what a person typed, checked).
"""
