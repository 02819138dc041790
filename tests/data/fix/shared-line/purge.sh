#!/bin/sh
# One-liner kept from the old runbook.
curl -fsS -X POST "https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache" -H "X-Auth-Email: $CF_EMAIL" -H "X-Auth-Key: $CF_KEY" --data '{"purge_everything":true}'
