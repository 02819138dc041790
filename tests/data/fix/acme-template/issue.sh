#!/bin/sh
# Issues the wildcard certificate with acme.sh's dns_cf hook.
set -eu
. "$(dirname "$0")/templates/acme-env.sh"
"$HOME/.acme.sh/acme.sh" --issue --dns dns_cf -d example.com -d '*.example.com'
