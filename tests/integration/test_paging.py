"""Status-sorted paging across a page boundary inside the first status rank:
with more than 50 Needs Reconnection portals, page 1 ends on a rank-0 row
and its "Next page" link must work."""
import re


def test_status_sort_pages_through_many_yellow_portals(stack):
    c = stack.client()
    org = stack.org_id(c.org)
    stack.sql("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
              "status_reason, granted_scopes) SELECT %s, 50000000 + g, 'y' || g || '.example.com', "
              "'Yellow ' || lpad(g::text, 3, '0'), 'config_audit', 'needs_reconnection', "
              "'HubSpot rejected the refresh token.', '' FROM generate_series(1, 70) g", (org,))
    stack.sql("INSERT INTO portals (org_id, hub_id, hub_domain, name, connection_type, status, "
              "granted_scopes) SELECT %s, 51000000 + g, 'g' || g || '.example.com', "
              "'Green ' || g, 'config_audit', 'disconnected', '' FROM generate_series(1, 10) g",
              (org,))
    seen, href = [], "/portals?sort=status"
    while href:
        r = c.get(href)
        assert r.status_code == 200, (href, r.status_code)
        seen += re.findall(r'<tr id="portal-(\d+)" data-status="(\w+)"', r.text)
        m = re.search(r'href="([^"]+)" id="next-page"', r.text)
        href = m.group(1).replace("&amp;", "&") if m else None
    assert len(seen) == 80 and len(set(seen)) == 80
    statuses = [s for _, s in seen]
    assert statuses == ["needs_reconnection"] * 70 + ["disconnected"] * 10
