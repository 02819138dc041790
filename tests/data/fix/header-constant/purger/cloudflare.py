"""Cloudflare cache purge, by URL, in batches of 30 (the API's limit per request)."""

import os

import requests

API = "https://api.cloudflare.com/client/v4"

# The auth headers, kept in one place so the retry session and the purge call agree.
KEY_HEADER = "X-Auth-Key"
EMAIL_HEADER = "X-Auth-Email"


def session():
    s = requests.Session()
    s.headers[KEY_HEADER] = os.environ["CF_API_KEY"]
    s.headers[EMAIL_HEADER] = os.environ["CF_API_EMAIL"]
    return s


def purge(zone_id, urls):
    s = session()
    for i in range(0, len(urls), 30):
        r = s.post(f"{API}/zones/{zone_id}/purge_cache", json={"files": urls[i : i + 30]})
        r.raise_for_status()
