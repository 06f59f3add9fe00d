"""督办 reminder preferences (issue 22) on ``app_user``:

- ``remind_email``: reminders and the 60天未推进 nudge by e-mail (default on);
- ``robot_mention``: the team's group robot may @ the user (default off);
- ``mobile``: the mainland mobile number the robot @s, stored only when given (null).

Existing users get e-mail reminders, no @ and no number."""
from peewee import BooleanField, CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('app_user', 'remind_email', BooleanField(default=True)),
        migrator.add_column('app_user', 'robot_mention', BooleanField(default=False)),
        migrator.add_column('app_user', 'mobile', CharField(max_length=11, null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('app_user', 'mobile'),
        migrator.drop_column('app_user', 'robot_mention'),
        migrator.drop_column('app_user', 'remind_email'),
    )
