#!/usr/bin/env bash
# Deploys the Worker with Wrangler, which reads the same pair.
set -euo pipefail
export CLOUDFLARE_EMAIL="${CF_API_EMAIL}"
export CLOUDFLARE_API_KEY="${CF_API_KEY}"
npx wrangler@3 deploy
