"""County/zone 到位资金 goals: versioned per county and year (docs/design.md, Annual targets).

``base`` empty means "last year's ledger actual"; a number is a hand-entered base for a
year without ledger history. A change locks the county row first, re-reads the current
version inside the lock and adds the next version with one audit row.

Units: :func:`set_county_target` takes the base in 万元 (programmatic API: seed data,
tests); :func:`enter_county_target` takes what the county form sent, the base in 亿元,
requires a reason and asks for confirmation of a base moved by more than ×10 or ÷10.
"""
from decimal import Decimal

from peewee import IntegrityError

from ...domain import targets as D
from ...domain.errors import NotFound, ValidationError
from ...models import County, CountyTarget, utcnow
from .. import audit, dataversion, tx
from .inputs import STALE_TARGET, amount, check_year, number, row_id, user_or_none
from .inputs import yi_number
from .inputs import reason as clean_reason

DEFAULT_GROWTH_PCT = Decimal(20)
MAX_GROWTH_PCT = Decimal(1000)
MISSING_COUNTY = "区县/开发区不存在。"


def get_county(code):
    """The county or zone with this code; NotFound when there is none."""
    county = County.get_or_none(County.code == str(code)[:64])
    if county is None:
        raise NotFound(MISSING_COUNTY)
    return county


def active_counties():
    return list(County.select().where(County.active == True)  # noqa: E712
                .order_by(County.code))


def current_county_targets(year, county_ids=None):
    """{county_id: latest CountyTarget} for ``year``."""
    q = CountyTarget.select().where(CountyTarget.year == year)
    if county_ids is not None:
        q = q.where(CountyTarget.county.in_(list(county_ids)))
    out = {}
    for row in q.order_by(CountyTarget.version):
        out[row.county_id] = row
    return out


def county_history(year):
    return list(CountyTarget.select(CountyTarget, County).join(County)
                .where(CountyTarget.year == year)
                .order_by(CountyTarget.set_at.desc(), CountyTarget.id.desc()))


def _checked(county, year, base, growth_pct, reason, *, entry=False):
    """Checked values; ``entry``: the base is in 亿元 and the reason is required."""
    errors = {}
    county_id = row_id(errors, "county", county, MISSING_COUNTY)
    year = check_year(year, errors)
    base = (yi_number(errors, "base", base, label="基数") if entry
            else number(errors, "base", base, label="基数"))
    growth = number(errors, "growth_pct", growth_pct, label="增长目标", maximum=MAX_GROWTH_PCT)
    if growth is None and "growth_pct" not in errors:
        errors["growth_pct"] = "请填写增长目标（%）。"
    reason = clean_reason(errors, reason, required=entry)
    if errors:
        # Every message at once: say so too when the county does not exist (a plain read:
        # nothing is written).
        if county_id is not None and not County.select().where(County.id == county_id).exists():
            errors["county"] = MISSING_COUNTY
        raise ValidationError(errors)
    return county_id, year, base, growth, reason


def _lock_county(county_id):
    try:
        return tx.lock(County, County.id == county_id, missing=MISSING_COUNTY)
    except NotFound as exc:
        raise ValidationError({"county": MISSING_COUNTY}) from exc


def set_county_target(user, county, year, *, base=None, growth_pct=DEFAULT_GROWTH_PCT,
                      reason=""):
    """New version of a county's funds goal (``county``: id or row; ``base`` in 万元).
    Returns the new CountyTarget, or the current one when nothing changed."""
    checked = _checked(county, year, base, growth_pct, reason)
    return _save(user, *checked)


def enter_county_target(user, county, year, *, base, growth_pct, reason, confirm=None):
    """Save what the county form sent (``base`` in 亿元, empty = from the ledger; reason
    required). A hand base moved by more than ×10 or ÷10 is refused with NeedsConfirmation
    (nothing written) unless ``confirm`` is the token that refusal carried."""
    checked = _checked(county, year, base, growth_pct, reason, entry=True)

    def review(current):
        old = current.base if current is not None else None
        message = D.revision_warning(old, checked[2]) if old is not None else None
        seen = [("base", old, checked[2])]
        if message and confirm != D.token(seen):
            raise D.NeedsConfirmation({"base": message}, D.token(seen))
    return _save(user, *checked, review=review)


def _save(user, county_id, year, base, growth, reason, review=None):
    try:
        with tx.write():
            _lock_county(county_id)
            current = current_county_targets(year, [county_id]).get(county_id)
            if current is not None and current.base == base and current.growth_pct == growth:
                return current
            if review is not None:
                review(current)
            version = (current.version if current else 0) + 1
            row = CountyTarget.create(county=county_id, year=year, version=version, base=base,
                                      growth_pct=growth, reason=reason,
                                      set_by=user_or_none(user), set_at=utcnow())
            dataversion.changed()
            audit.record(user, "county_target", row.id, "set",
                         {"base": amount(current.base), "growth_pct": amount(current.growth_pct),
                          "version": current.version} if current else None,
                         {"county": county_id, "year": year, "base": base,
                          "growth_pct": growth, "version": version, "reason": reason})
    except IntegrityError as exc:      # only if a writer bypassed the lock
        raise ValidationError({"base": STALE_TARGET}) from exc
    return row
