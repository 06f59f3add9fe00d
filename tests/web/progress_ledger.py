"""A small hand-built ledger with its progress worked out by hand (year 2026).

Built through tracker/services/ledger/projects.py, like the app does. Judged at
AS_OF = 2026-06-30: time progress (month-based) = 50.00%.

CHEM (精细化工专班):
  A  packaged 2026-01-15 (300,000), negotiating 2026-02-20, signed 2026-03-25 (60,000),
     增资 2026-05-10 (+20,000); county 东区 (E1); funds 2025-04-01 2,000 and 2026-04-01 5,000
  B  packaged 2025-11-01 (500,000: counts in 2025, not 2026); negotiating 2026-04-10,
     back to packaged 2026-04-20, negotiating again 2026-05-05 (counts once, April)
  C  packaged 2026-06-15 (250,000), dropped 2026-06-20 (keeps its packaged count)
  D  packaged 2026-07-05 (100,000): after AS_OF, not counted
EQUIP (装备制造专班):
  E  created signed 2026-03-01 (Q1 packaged 400,000 >= 250,000: 开门红)
     (planned 400,000, contract 150,000): packaged, negotiation and signing all on 2026-03-01;
     county 西区 (W1); funds 2025-05-20 20,000, 2026-05-20 30,000
  F  created negotiating 2026-05-01 (planned 100,000, expected contract 100,000),
     expected signing 2026-10-01
  G  reserve since 2026-01-10, never progressed: stale (171 days at AS_OF = red)

Targets: the defaults (packaged 1,000,000万, negotiations 20, signed 200,000万, no funds).
"""
import datetime
from decimal import Decimal

from tests.backfill import ledger as backfill
from tracker.services.ledger import projects

from tracker.services.staleness import flags as stale_service
from tracker.services.targets import annual as target_service

from ..factories import make_county, make_task_force, make_user

ledger = backfill(projects)

D = datetime.date
AS_OF = D(2026, 6, 30)
YEAR = 2026

# (team, metric) -> hand-computed numbers at AS_OF
EXPECTED = {
    ("CHEM", "packaged_value"): dict(target="1000000.00", actual="550000.00", completion="55.00",
                                     gap="5.00", status="green", kaimenhong=True,
                                     shuangguoban=True, forecast="550000.00"),
    ("CHEM", "negotiations"): dict(target=20, actual=2, completion="10.00", gap="-40.00",
                                   status="red", kaimenhong=False, shuangguoban=False,
                                   forecast="2.00"),
    ("CHEM", "signed_value"): dict(target="200000.00", actual="80000.00", completion="40.00",
                                   gap="-10.00", status="yellow", kaimenhong=True,
                                   shuangguoban=False, forecast="80000.00"),
    ("CHEM", "funds_received"): dict(target=None, actual="5000.00", completion=None, gap=None,
                                     status="grey", kaimenhong=None, shuangguoban=None,
                                     forecast="5000.00"),
    ("EQUIP", "packaged_value"): dict(target="1000000.00", actual="500000.00",
                                      completion="50.00", gap="0.00", status="green",
                                      kaimenhong=True, shuangguoban=True,
                                      forecast="500000.00"),
    ("EQUIP", "negotiations"): dict(target=20, actual=2, completion="10.00", gap="-40.00",
                                    status="red", kaimenhong=False, shuangguoban=False,
                                    forecast="2.00"),
    # F: not signed yet, expected this year, at 洽谈 (probability 0.6) x contract 100,000
    ("EQUIP", "signed_value"): dict(target="200000.00", actual="150000.00", completion="75.00",
                                    gap="25.00", status="green", kaimenhong=True,
                                    shuangguoban=True, forecast="210000.00"),
    ("EQUIP", "funds_received"): dict(target=None, actual="30000.00", completion=None,
                                      gap=None, status="grey", kaimenhong=None,
                                      shuangguoban=None, forecast="30000.00"),
}
# mean completion over the metrics with a target: CHEM (55+10+40)/3, EQUIP (50+10+75)/3
SCORES = {"CHEM": "35.00", "EQUIP": "45.00"}
RANKS = {"EQUIP": 1, "CHEM": 2}
TOTALS = {"packaged_value": ("2000000.00", "1050000.00", "52.50"),
          "negotiations": (40, 4, "10.00"),
          "signed_value": ("400000.00", "230000.00", "57.50")}
# county: (this year to AS_OF, same period last year, growth %)
COUNTIES = {"E1": ("5000.00", "2000.00", "150.00"), "W1": ("30000.00", "20000.00", "50.00")}


def build():
    """Create the ledger above (inside an app context); returns {name: object}."""
    boss = make_user("boss", role="bureau")
    member = make_user("mem", role="member")
    east = make_county("E1", name="东区")
    west = make_county("W1", name="西区", kind="zone")
    chem = make_task_force("CHEM", name="精细化工专班")
    equip = make_task_force("EQUIP", name="装备制造专班", industry="装备制造")
    target_service.apply_defaults(YEAR, boss)

    a = ledger.create_project(boss, task_force=chem, name="A项目", planned_investment="300000",
                              on=D(2026, 1, 15), stage="packaged", county=east)
    ledger.change_stage(boss, a, "negotiating", on=D(2026, 2, 20))
    ledger.change_stage(boss, a, "signed", on=D(2026, 3, 25), contract_value="60000",
                        signing_grade="contract")
    ledger.add_capital_increase(boss, a, on=D(2026, 5, 10), amount="20000")
    ledger.record_funds(boss, a, received_on=D(2025, 4, 1), amount="2000")
    ledger.record_funds(boss, a, received_on=D(2026, 4, 1), amount="5000")

    b = ledger.create_project(boss, task_force=chem, name="B项目", planned_investment="500000",
                              on=D(2025, 11, 1), stage="packaged")
    ledger.change_stage(boss, b, "negotiating", on=D(2026, 4, 10))
    ledger.change_stage(boss, b, "packaged", on=D(2026, 4, 20), note="退回重新包装")
    ledger.change_stage(boss, b, "negotiating", on=D(2026, 5, 5))

    c = ledger.create_project(boss, task_force=chem, name="C项目", planned_investment="250000",
                              on=D(2026, 6, 15), stage="packaged")
    ledger.change_stage(boss, c, "dropped", on=D(2026, 6, 20), reason="投资方撤回")
    ledger.create_project(boss, task_force=chem, name="D项目", planned_investment="100000",
                          on=D(2026, 7, 5), stage="packaged")

    e = ledger.create_project(boss, task_force=equip, name="E项目", planned_investment="400000",
                              on=D(2026, 3, 1), stage="signed", contract_value="150000",
                              signing_grade="contract", county=west)
    ledger.record_funds(boss, e, received_on=D(2025, 5, 20), amount="20000")
    ledger.record_funds(boss, e, received_on=D(2026, 5, 20), amount="30000")
    ledger.create_project(boss, task_force=equip, name="F项目", planned_investment="100000",
                          on=D(2026, 5, 1), stage="negotiating", contract_value="100000",
                          expected_sign_date=D(2026, 10, 1))
    g = ledger.create_project(boss, task_force=equip, name="G项目", planned_investment="10000",
                              on=D(2026, 1, 10), stage="reserve")
    stale_service.scan(AS_OF)
    return dict(boss=boss, member=member, east=east, west=west, chem=chem, equip=equip,
                a=a, b=b, c=c, e=e, g=g)


def money(value):
    """'550000.00' (万元) -> the dashboard's 亿元 text '55.00'."""
    return f"{Decimal(value) / 10000:,.2f}"


def dashboard_page(client, url):
    """The dashboard's HTML with each task force's folded detail filled in, the way the
    page's script does when a detail is opened: every ``data-src`` fragment is fetched
    (each must answer 200) and put inside its <details>."""
    import html as html_lib
    import re
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)

    def filled(match):
        fragment = client.get(html_lib.unescape(match.group(2)))
        assert fragment.status_code == 200, (match.group(2), fragment.status_code)
        return match.group(1) + fragment.get_data(as_text=True) + match.group(3)

    return re.sub(r'(<details class="team-detail" [^>]*data-src="([^"]+)">.*?'
                  r'<div class="team-detail-body"[^>]*>)(.*?</div></details>)', filled, text,
                  flags=re.S)


class Cells:
    """Collects the text of table cells marked data-field, keyed by the enclosing
    data-code (team/county), data-metric and data-quarter attributes."""

    def __init__(self, html, table_id=None):
        from html.parser import HTMLParser
        self.values = {}
        stack = []
        cells = self.values
        state = {"in_table": table_id is None}

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if table_id is not None and tag == "table":
                    if attrs.get("id") == table_id:
                        state["in_table"] = True
                if tag in ("tbody", "tr", "td", "table"):
                    stack.append((tag, attrs))
                    if tag == "td" and "data-field" in attrs:
                        state["text"] = []

            def handle_endtag(self, tag):
                if tag in ("tbody", "tr", "td", "table") and stack:
                    _tag, attrs = stack.pop()
                    if tag == "td" and "text" in state and "data-field" in attrs:
                        if state["in_table"]:
                            key = tuple(a.get(name) for _t, a in stack
                                        for name in ("data-code", "data-metric", "data-quarter")
                                        if a.get(name) is not None)
                            cells[key + (attrs["data-field"],)] = "".join(state["text"]).strip()
                        state.pop("text")
                    if tag == "table" and table_id is not None and attrs.get("id") == table_id:
                        state["in_table"] = False

            def handle_data(self, data):
                if "text" in state:
                    state["text"].append(data)

        Parser().feed(html)

    def __getitem__(self, key):
        return self.values[key]
