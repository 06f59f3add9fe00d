from decimal import Decimal

import pytest

from tracker.domain import forecast as F

D = Decimal


@pytest.mark.parametrize("metric, pipeline, expected", [
    ("signed_value", {"reserve": D(1000), "packaged": D(100), "negotiating": D(50)},
     "1160.00"),  # 1000 + 0.1*1000 + 0.3*100 + 0.6*50
    ("negotiations", {"reserve": D(10), "packaged": D(5), "negotiating": D(3)}, "1002.50"),
    ("packaged_value", {"reserve": D(500), "packaged": D(99)}, "1050.00"),
    ("funds_received", {"reserve": D(500)}, "1000.00"),
    ("signed_value", {}, "1000.00"),
])
def test_project_with_default_probabilities(metric, pipeline, expected):
    assert F.project(metric, D(1000), pipeline) == D(expected)


def test_configured_probabilities():
    probs = F.probabilities({"negotiating": "0.9"})
    assert probs["negotiating"] == D("0.9") and probs["reserve"] == D("0.1")
    assert F.project("signed_value", D(0), {"negotiating": D(100)}, probs) == D("90.00")
    with pytest.raises(ValueError):
        F.probabilities({"signed": 1})
    with pytest.raises(ValueError):
        F.probabilities({"reserve": 2})
