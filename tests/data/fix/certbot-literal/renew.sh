#!/bin/sh
certbot renew --dns-cloudflare --dns-cloudflare-credentials "$(dirname "$0")/cloudflare.ini"
