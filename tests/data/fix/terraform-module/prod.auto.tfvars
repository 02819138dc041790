zone_id          = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
cloudflare_email = "ops@example.com"
