"""The follow-up log (跟进记录, tracker/domain/activities.py): one row per activity of a task
force, the projects it concerns and the users who took part. Edits bump ``version``; a void
keeps the row (struck through, never counted) with who, when and why."""
from peewee import (
    AutoField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField,
)

from .base import BaseModel, utcnow
from .core import Project, TaskForce, User


class Activity(BaseModel):
    id = AutoField()
    task_force = ForeignKeyField(TaskForce, backref="activities", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    occurred_on = DateField(index=True)
    counterpart = CharField(max_length=200, default="")
    counterpart_tags = CharField(max_length=200, default="")  # comma-separated, as Project.tags
    region = CharField(max_length=32, default="")
    place = CharField(max_length=100, default="")
    leader_led = BooleanField(default=False)
    leader_title = CharField(max_length=64, default="")
    participants_text = CharField(max_length=500, default="")
    summary = TextField()
    outcome = CharField(max_length=16, default="advance")
    next_step = TextField(default="")
    next_step_on = DateField(null=True)
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)
    voided_at = DateTimeField(null=True)
    voided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    void_reason = TextField(default="")

    class Meta:
        indexes = ((("task_force", "occurred_on"), False),)

    @property
    def voided(self):
        return self.voided_at is not None

    @property
    def tag_list(self):
        return [t for t in (self.counterpart_tags or "").split(",") if t]


class ActivityProject(BaseModel):
    id = AutoField()
    activity = ForeignKeyField(Activity, backref="project_links", on_delete="CASCADE")
    project = ForeignKeyField(Project, backref="activity_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("activity", "project"), True), (("project", "activity"), False))


class ActivityParticipant(BaseModel):
    id = AutoField()
    activity = ForeignKeyField(Activity, backref="participant_links", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = ((("activity", "user"), True),)


class ActivityWeek(BaseModel):
    """Maintained counts of the follow-up log per task force, ISO week (its Monday), kind,
    leader-led and top-tier counterpart (tracker/services/activities/index.py): the
    招商活跃指数 reads a few hundred rows instead of the whole log. Rebuilt and checked
    nightly; the weights are applied when read, so a change of ACTIVITY_WEIGHTS needs no
    rebuild."""
    id = AutoField()
    task_force = ForeignKeyField(TaskForce, backref="+", on_delete="CASCADE")
    week_start = DateField()
    kind = CharField(max_length=16)
    leader_led = BooleanField(default=False)
    top_tier = BooleanField(default=False)
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("task_force", "week_start", "kind", "leader_led", "top_tier"), True),
                   (("week_start",), False))
