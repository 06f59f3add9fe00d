"""The ledger's keyset cursors (README "Performance", Pages): a row's place in a sort as
a token "<id>.<sort key>" for the 下一页/上一页 links, and the bound a token gives back
(services.ledger.listing seeks from it with pagination.seek_condition)."""
import datetime
from decimal import Decimal

from peewee import Value

from ...db import backend_name
from ...domain import pipeline

STAGE_RANK = {s: i for i, s in enumerate(pipeline.STAGES)}


def _value(row, sort):
    if sort == "updated":
        return row.updated_at.isoformat()
    if sort == "stage":
        return STAGE_RANK.get(row.stage, 99)
    if sort == "planned":
        return row.planned_investment
    if sort == "contract":
        return row.contract_value or 0
    return row.name


def token(row, sort):
    """The token of ``row``'s place in the order ``sort``: "<id>.<sort key>" (None: pages
    of this sort go by number)."""
    return None if sort == "progress" else f"{row.id}.{_value(row, sort)}"


def parse(token, sort):
    """(id, bound sort key) of a token, None when it is not one of this sort's tokens."""
    ident, _, raw = token.partition(".")
    try:
        ident = int(ident)
        if not 0 < ident < 2**63:
            return None
        if sort == "progress":
            return None
        if sort == "updated":
            return ident, datetime.datetime.fromisoformat(raw)
        if sort == "stage":
            return ident, Value(int(raw), converter=False)
        if sort in ("planned", "contract"):
            amount = Decimal(raw)
            if not amount.is_finite():
                return None
            # SQLite: a COALESCE has no column affinity and compares text after numbers
            bound = float(amount) if backend_name() == "sqlite" else amount
            return ident, Value(bound, converter=False)
        return ident, Value(raw, converter=False)
    except (ValueError, ArithmeticError):
        return None
