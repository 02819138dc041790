"""Command line entry point."""

import ipaddress
import os
import sys

from .client import Client

OURS = [ipaddress.ip_network(n) for n in os.environ.get("AUDIT_NETWORKS", "192.0.2.0/24").split(",")]


def main():
    client = Client()
    bad = 0
    for rec in client.records(sys.argv[1]):
        if rec["type"] in ("A", "AAAA") and not any(ipaddress.ip_address(rec["content"]) in n for n in OURS):
            print(f"{rec['name']}: {rec['content']}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
