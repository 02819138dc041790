"""Purges the cache after a release."""
import json

import requests

ZONE = "5f3c0d2a9b8e7f6a1c2d3e4f5a6b7c8d"


def purge():
    headers = {
        "X-Auth-Key": "44ee02b810deef116639d86dd2f9aff4adb79",
        "Content-Type": "application/json",
    }
    r = requests.post(
        f"https://api.cloudflare.com/client/v4/zones/{ZONE}/purge_cache",
        headers=headers,
        data=json.dumps({"purge_everything": True}),
        timeout=30,
    )
    r.raise_for_status()
