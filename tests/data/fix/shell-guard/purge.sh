#!/usr/bin/env bash
# Purges one URL. Needs CF_API_EMAIL and CF_API_KEY in the environment.
set -euo pipefail
: "${CF_API_EMAIL:?set CF_API_EMAIL}"
: "${CF_API_KEY:?set CF_API_KEY}"
url="$1"
curl -fsS -X POST "https://api.cloudflare.com/client/v4/zones/${ZONE_ID}/purge_cache" \
  -H "X-Auth-Email: ${CF_API_EMAIL}" \
  -H "X-Auth-Key: ${CF_API_KEY}" \
  -H "Content-Type: application/json" \
  --data "{\"files\":[\"${url}\"]}"
