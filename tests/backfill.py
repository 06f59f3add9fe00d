"""The ledger use-cases as a test ledger's author calls them to build past quarters.

Dates before the current quarter lie in closed quarters (tracker/domain/closed_periods.py):
the bureau writes them only with a stated reason, as a 补录 would. ``ledger(module)`` gives
the module's writes with that reason filled in, and a stage change without the stage it
expects gets the project's stage as it is now (the author saw it: nobody else writes); a
test of those rules calls the module itself. Everything else is the module itself."""
import functools

WRITES = {"create_project", "update_project", "change_stage", "record_funds", "add_capital_increase"}
REASON = "测试台账：补录往季记录"


class _Backfill:
    def __init__(self, module, reason):
        self._module, self._reason = module, reason

    def __getattr__(self, name):
        found = getattr(self._module, name)
        if name == "change_stage":
            return functools.partial(_written, _change_stage, found, self._reason)
        if name in WRITES:
            return functools.partial(_written, found, closed_reason=self._reason)
        return found


def _written(call, *args, **kw):
    """The write's result; a test ledger never files a 更正申请 by accident (a member writing
    into a closed quarter): build past quarters as the bureau, or as a command (user None)."""
    from tracker.models import CorrectionRequest
    result = call(*args, **kw)
    assert not isinstance(result, CorrectionRequest), "a test ledger's write filed a 更正申请"
    return result


def _change_stage(call, backfill_reason, user, project, stage, **kw):
    from tracker.models import Project
    kw.setdefault("closed_reason", backfill_reason)
    if not kw.get("expected_stage"):
        kw["expected_stage"] = Project.get_by_id(getattr(project, "id", project)).stage
    return call(user, project, stage, **kw)


def ledger(module, reason=REASON):
    return _Backfill(module, reason)
