// Purges site A's cache.
const KEY = process.env.CF_API_KEY;
fetch("https://api.cloudflare.com/client/v4/zones/a/purge_cache", {
  method: "POST",
  headers: { "X-Auth-Email": process.env.CF_API_EMAIL, "X-Auth-Key": KEY },
  body: JSON.stringify({ purge_everything: true }),
});
