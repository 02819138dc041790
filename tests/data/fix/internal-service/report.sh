#!/usr/bin/env bash
# Nightly: purge the CDN, then tell the metrics service it happened.
set -euo pipefail

curl -fsS -X POST "https://api.cloudflare.com/client/v4/zones/${ZONE_ID}/purge_cache" \
  -H "X-Auth-Email: ${CF_EMAIL}" \
  -H "X-Auth-Key: ${CF_API_KEY}" \
  --data '{"purge_everything":true}'
