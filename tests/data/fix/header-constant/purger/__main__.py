import os
import sys

from .cloudflare import purge


def main():
    urls = [line.strip() for line in sys.stdin if line.strip()]
    purge(os.environ["CF_ZONE_ID"], urls)
    print(f"purged {len(urls)} URLs")


if __name__ == "__main__":
    main()
