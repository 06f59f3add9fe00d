"""Report indexes (issue "City and province scale"), named as peewee generates them for
the models' ``Meta.indexes``:

- project (stage, expected_sign_date): the forecast pipeline reads the open projects
  expected to sign between the day after as-of and the year's end, a range per open stage
  instead of every open project;
- monthly_figure (scope, day, year, month, metric, owner, cents): a report reads the month
  rows (day 0) of a year from the index alone, without walking the ~30 day rows kept beside
  each of them, and the day rows of some days of one month by one seek per day;
- stale_flag (cleared_on, level, last_progress_on, project_id): the worst open flags
  (the dashboard's list, a page of the stale list) read level by level in list order,
  their own rows only, however many flags are open;
- stage_event (stage, occurred_on, id): the week's signings and 开工 (本周动态) in list
  order without the week's other events;
- project (task_force_id, last_progress_on, id): a task force's projects with the latest
  progress first (its page) without sorting all of them, and its project ids from the
  index alone (its open stale flags are counted by them);
- project (planned_investment): the ledger sorted by 计划投资额 walks the index, also for
  deep pages, instead of sorting every match."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('project', ('stage', 'expected_sign_date'), False,
                           name='project_stage_expected_sign_date'),
        migrator.add_index('project', ('task_force_id', 'last_progress_on', 'id'), False,
                           name='project_task_force_id_last_progress_on_id'),
        migrator.add_index('project', ('planned_investment',), False,
                           name='project_planned_investment'),
        migrator.add_index('monthly_figure', ('scope', 'day', 'year', 'month', 'metric', 'owner',
                                              'cents'), False,
                           name='monthlyfigure_scope_day_year_month_metric_owner_cents'),
        migrator.add_index('stage_event', ('stage', 'occurred_on', 'id'), False,
                           name='stageevent_stage_occurred_on_id'),
        migrator.add_index('stale_flag', ('cleared_on', 'level', 'last_progress_on',
                                          'project_id'), False,
                           name='staleflag_cleared_on_level_last_progress_on_project_id'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('stale_flag',
                            'staleflag_cleared_on_level_last_progress_on_project_id'),
        migrator.drop_index('stage_event', 'stageevent_stage_occurred_on_id'),
        migrator.drop_index('monthly_figure',
                            'monthlyfigure_scope_day_year_month_metric_owner_cents'),
        migrator.drop_index('project', 'project_planned_investment'),
        migrator.drop_index('project', 'project_task_force_id_last_progress_on_id'),
        migrator.drop_index('project', 'project_stage_expected_sign_date'),
    )
