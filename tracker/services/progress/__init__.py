"""The progress report: actuals against targets, milestones, ranking and warnings, for the
dashboard, the task-force and county pages, the API, the 通报 and the weekly mail.

Entry modules:
    report     build_report and the parts the pages show
    counties   the county pages' figures
    snapshots  the frozen quarter snapshots
    export     the progress report as .xlsx
    week       本周动态 on the dashboard
    options    the settings that judge progress (built by the edge from the app's config)
Internal: county_growth (funds growth per county).
"""
