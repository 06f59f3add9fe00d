"""The four progress metrics: keys, zh-CN labels, units and default annual targets."""
from dataclasses import dataclass
from decimal import Decimal

PACKAGED_VALUE = "packaged_value"
NEGOTIATIONS = "negotiations"
SIGNED_VALUE = "signed_value"
FUNDS_RECEIVED = "funds_received"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str          # zh-CN
    unit: str           # "万元" or "个"
    is_money: bool
    default_target: Decimal | None   # per task force per year; None = optional


METRICS = {
    PACKAGED_VALUE: Metric(PACKAGED_VALUE, "策划包装项目", "万元", True, Decimal("1000000")),
    NEGOTIATIONS: Metric(NEGOTIATIONS, "洽谈项目", "个", False, Decimal("20")),
    SIGNED_VALUE: Metric(SIGNED_VALUE, "签约额", "万元", True, Decimal("200000")),
    FUNDS_RECEIVED: Metric(FUNDS_RECEIVED, "到位资金", "万元", True, None),
}
KEYS = tuple(METRICS)


def get(key):
    """The Metric for ``key``; KeyError for an unknown key."""
    return METRICS[key]


def label(key):
    return METRICS[key].label if key in METRICS else key


def unit(key):
    return METRICS[key].unit if key in METRICS else ""


def choices():
    return [(m.key, m.label) for m in METRICS.values()]
