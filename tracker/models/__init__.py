"""peewee models. Each module holds one area; the tables are created by migrations/."""
from .base import BaseModel, utcnow  # noqa: F401
from .core import (  # noqa: F401
    AmountChange, AuditLog, CapitalIncrease, County, FundReceipt, Membership, Project,
    StageEvent, TaskForce, TaskForceCounty, User,
)
from .api import ApiToken  # noqa: F401
from .mail import OutboxBody, OutboxMessage  # noqa: F401
from .targets import CheckpointShare, CountyTarget, TaskForceTarget  # noqa: F401
from .scheduling import JobRun, QuarterSnapshot, StaleFlag  # noqa: F401
from .security import LoginAttempt, UserSession  # noqa: F401
from .figures import MonthlyFigure  # noqa: F401
from .awards import AwardFreeze, AwardRanking  # noqa: F401
from .imports import ImportBatch, ImportBatchProject, ImportJob  # noqa: F401
from .project_years import ProjectYear  # noqa: F401
from .import_mappings import ImportMapping  # noqa: F401
from .dataversion import DataVersion  # noqa: F401
from .exports import ExportJob  # noqa: F401
from .requests import CorrectionRequest  # noqa: F401
from .activities import Activity, ActivityParticipant, ActivityProject, ActivityWeek  # noqa: F401
from .supervision import SupervisionItem, SupervisionReply  # noqa: F401
from .robots import GroupRobot, RobotMessage  # noqa: F401
from .bulletin import BulletinNote  # noqa: F401


def all_models():
    """Every model class, in dependency order (parents first)."""
    from peewee import sort_models
    return sort_models(_collect(BaseModel))


def _collect(cls):
    out = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("tracker.models"):
            out.append(sub)
        out.extend(_collect(sub))
    return out
