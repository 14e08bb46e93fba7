"""The operator endpoints: /healthz answers ok and /metrics counts requests
by route and status and declares its series."""
import re

import requests


def test_healthz_and_metrics(stack):
    r = requests.get(stack.base + "/healthz", timeout=30)
    assert r.status_code == 200
    assert r.text.strip() == "ok"
    assert "no-store" in r.headers.get("Cache-Control", "")

    def count():
        m = requests.get(stack.base + "/metrics", timeout=30)
        assert m.status_code == 200
        assert m.headers["Content-Type"].startswith("text/plain")
        found = 0
        for line in m.text.splitlines():
            if line.startswith("jetstack_http_requests_total{") and 'route="portals"' in line \
                    and 'status="200"' in line:
                found += int(float(line.rsplit(" ", 1)[1]))
        return found, m.text

    c = stack.client()
    assert c.get("/portals").status_code == 200
    n1, text = count()
    assert n1 >= 1, text
    assert "# TYPE jetstack_http_requests_total counter" in text
    for name in ("jetstack_portals", "jetstack_jobs", "jetstack_oldest_due_job_seconds",
                 "jetstack_token_refreshes_total"):
        assert re.search(r"^# TYPE %s (counter|gauge)$" % name, text, re.M), name
    assert c.get("/portals").status_code == 200
    n2, _ = count()
    assert n2 == n1 + 1
