"""A small Cloudflare API client: only the calls zone-audit makes."""

import os

import requests

API = "https://api.cloudflare.com/client/v4"


class Client:
    def __init__(self, session=None):
        self.session = session or requests.Session()
        self.session.headers.update({"X-Auth-Key": os.environ["CF_AUDIT_KEY"]})

    def records(self, zone_id):
        page = 1
        while True:
            r = self.session.get(f"{API}/zones/{zone_id}/dns_records", params={"page": page, "per_page": 100})
            r.raise_for_status()
            body = r.json()
            yield from body["result"]
            if page >= body["result_info"]["total_pages"]:
                return
            page += 1
