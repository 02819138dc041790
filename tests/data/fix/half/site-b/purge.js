// Purges site B's cache with the same account key as site A.
const KEY = "44ee02b810deef116639d86dd2f9aff4adb79";
fetch("https://api.cloudflare.com/client/v4/zones/b/purge_cache", {
  method: "POST",
  headers: { "X-Auth-Key": KEY },
  body: JSON.stringify({ purge_everything: true }),
});
