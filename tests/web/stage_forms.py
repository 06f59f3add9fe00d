"""The hidden field a project page's 推进阶段 and 退库 forms carry: the stage the person saw
(a POST without it is refused, issue 23)."""
from tracker.models import Project


def seen_stage(app, project_id, prefix):
    with app.app_context():
        return {f"{prefix}-expected_stage": Project.get_by_id(project_id).stage}
