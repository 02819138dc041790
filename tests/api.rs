//! The online commands (issue 8) against a fake Cloudflare API that each test serves on
//! 127.0.0.1 and that records every request: exact requests (method, path, headers, bodies),
//! 401/403, 429 with Retry-After, 5xx retries, pagination, mint idempotence and rollback,
//! dry runs, verify's three answers, and no secret in any output at the most verbose level.
//!
//! All credentials here are fake.

#![cfg(feature = "online")]

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const TOKEN: &str = "BootstrapTokenBootstrapTokenBootstrap0001";
const GLOBAL_KEY: &str = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";
const LIVE_TOKEN: &str = "LiveTokenLiveTokenLiveTokenLiveToken0002";
const DEAD_TOKEN: &str = "DeadTokenDeadTokenDeadTokenDeadToken0003";
const NEW_VALUE: &str = "NewTokenValueNewTokenValueNewTokenVal004";
const ACC: &str = "01a7362d577a6c3019a474fd6f485823";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const DNS_WRITE_ID: &str = "4755a26eedb94da69e1066d98aa820be";
const WORKERS_ID: &str = "e086da7e2179491d91ee5f35b3ca210a";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

fn ok(result: Value) -> Resp {
    Resp {
        status: 200,
        headers: vec![],
        body: json!({"success": true, "errors": [], "messages": [], "result": result}),
    }
}

fn fail(status: u16, code: u32, message: &str) -> Resp {
    Resp {
        status,
        headers: vec![],
        body: json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    }
}

struct Fake {
    base: String,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Fake {
    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

/// Serves `handler` on 127.0.0.1 (a free port) until the test process ends.
fn serve(mut handler: impl FnMut(&Req) -> Resp + Send + 'static) -> Fake {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = server.server_addr().to_ip().expect("ip").port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for mut rq in server.incoming_requests() {
            let mut body = String::new();
            let _ = rq.as_reader().read_to_string(&mut body);
            let req = Req {
                method: rq.method().to_string(),
                url: rq.url().to_string(),
                headers: rq.headers().iter().map(|h| (h.field.to_string(), h.value.to_string())).collect(),
                body,
            };
            seen.lock().unwrap().push(req.clone());
            let r = handler(&req);
            let mut resp = tiny_http::Response::from_string(r.body.to_string()).with_status_code(r.status);
            resp.add_header(tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap());
            for (k, v) in r.headers {
                resp.add_header(tiny_http::Header::from_bytes(k, v.as_bytes()).unwrap());
            }
            let _ = rq.respond(resp);
        }
    });
    Fake { base: format!("http://127.0.0.1:{port}/client/v4"), log }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs scopesmith with a clean credential environment and a private cache directory.
fn run(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = common::bin();
    for var in ["CLOUDFLARE_API_TOKEN", "CF_API_KEY", "CF_API_EMAIL", "CF_TOKEN_ISH", "CF_DEAD"] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CACHE_HOME", cache).env("HOME", cache).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run scopesmith");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_no_secret(r: &Run) {
    for s in [TOKEN, GLOBAL_KEY, LIVE_TOKEN, DEAD_TOKEN, NEW_VALUE] {
        assert!(!r.stdout.contains(s), "secret {s} in stdout:\n{}", r.stdout);
        assert!(!r.stderr.contains(s), "secret {s} in stderr:\n{}", r.stderr);
    }
}

fn assert_token_call(req: &Req) {
    assert_eq!(req.header("Authorization"), Some(format!("Bearer {TOKEN}").as_str()), "{req:?}");
    assert!(req.header("X-Auth-Key").is_none() && req.header("X-Auth-Email").is_none(), "{req:?}");
}

fn group(id: &str, name: &str, scope: &str) -> Value {
    json!({"id": id, "name": name, "scopes": [scope]})
}

fn page(items: Value, page: u32, total_pages: u32) -> Resp {
    let mut r = ok(items);
    r.body["result_info"] =
        json!({"page": page, "per_page": 50, "count": 1, "total_count": total_pages, "total_pages": total_pages});
    r
}

// ---- catalog sync

#[test]
fn sync_reads_every_page_and_writes_the_cache() {
    let fake = serve(|r| match r.url.as_str() {
        "/client/v4/user/tokens/permission_groups?page=1&per_page=50" => {
            page(json!([group(DNS_WRITE_ID, "DNS Write", "com.cloudflare.api.account.zone")]), 1, 2)
        }
        "/client/v4/user/tokens/permission_groups?page=2&per_page=50" => {
            page(json!([group("f".repeat(32).as_str(), "Made Up Group", "com.cloudflare.api.account")]), 2, 2)
        }
        _ => fail(404, 7003, "no route"),
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("groups.json");
    let r = run(
        dir.path(),
        &["catalog", "sync", "-v", "--api-base", &fake.base, "--out", out.to_str().unwrap()],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    for (i, req) in reqs.iter().enumerate() {
        assert_eq!(req.method, "GET");
        assert_eq!(req.url, format!("/client/v4/user/tokens/permission_groups?page={}&per_page=50", i + 1));
        assert_token_call(req);
    }
    let cache: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names: Vec<&str> = cache["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["DNS Write", "Made Up Group"]);
    assert!(r.stdout.contains("wrote 2 permission groups"), "{}", r.stdout);
    assert!(r.stdout.contains("+ Made Up Group"), "{}", r.stdout);
    assert!(r.stdout.contains("- Zone Read"), "bundled groups the API did not list:\n{}", r.stdout);
    assert!(r.stderr.contains("GET http://127.0.0.1:") && r.stderr.contains("-> 200"), "{}", r.stderr);
    assert_no_secret(&r);
}

#[test]
fn sync_default_cache_is_under_xdg_cache_home() {
    let fake = serve(|_| page(json!([group(DNS_WRITE_ID, "DNS Write", "com.cloudflare.api.account.zone")]), 1, 1));
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["catalog", "sync", "--api-base", &fake.base], &[("CLOUDFLARE_API_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("scopesmith/permission-groups.json").is_file());
}

#[test]
fn forbidden_names_the_missing_permission() {
    let fake = serve(|_| fail(403, 9109, "Unauthorized to access requested resource"));
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["catalog", "sync", "-v", "--api-base", &fake.base], &[("CLOUDFLARE_API_TOKEN", TOKEN)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("API Tokens Read"), "{}", r.stderr);
    assert!(r.stderr.contains("CLOUDFLARE_API_TOKEN"), "{}", r.stderr);
    assert_eq!(fake.requests().len(), 1, "a 403 is not retried");
    assert_no_secret(&r);
}

#[test]
fn rate_limit_waits_as_told_then_succeeds() {
    let mut n = 0;
    let fake = serve(move |_| {
        n += 1;
        if n == 1 {
            let mut r = fail(429, 10000, "rate limited");
            r.headers.push(("Retry-After", "1".into()));
            r
        } else {
            page(json!([]), 1, 1)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &["catalog", "sync", "-v", "--api-base", &fake.base, "--max-retry-wait-ms", "20"],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.requests().len(), 2);
    assert!(r.stderr.contains("-> 429") && r.stderr.contains("Retry-After: 1 s"), "{}", r.stderr);
    assert!(r.stderr.contains("retrying in 20 ms (attempt 2 of 4)"), "{}", r.stderr);
}

#[test]
fn server_errors_are_retried_with_a_bound() {
    let mut n = 0;
    let fake = serve(move |_| {
        n += 1;
        if n <= 2 {
            fail(502, 0, "bad gateway")
        } else {
            page(json!([]), 1, 1)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let args = ["catalog", "sync", "--api-base", &fake.base, "--max-retry-wait-ms", "5"];
    let r = run(dir.path(), &args, &[("CLOUDFLARE_API_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.requests().len(), 3);

    let always = serve(|_| fail(503, 0, "down"));
    let args = ["catalog", "sync", "--api-base", &always.base, "--max-retry-wait-ms", "5"];
    let r = run(dir.path(), &args, &[("CLOUDFLARE_API_TOKEN", TOKEN)]);
    assert_eq!(r.code, 2);
    assert_eq!(always.requests().len(), 4, "four attempts, then the error");
    assert!(r.stderr.contains("503"), "{}", r.stderr);
}

#[test]
fn token_only_from_the_named_variable_and_tls_only() {
    let fake = serve(|_| page(json!([]), 1, 1));
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["catalog", "sync", "--api-base", &fake.base], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("CLOUDFLARE_API_TOKEN"), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["catalog", "sync", "--api-base", &fake.base, "--token-env", "MY_BOOTSTRAP"],
        &[("MY_BOOTSTRAP", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        dir.path(),
        &["catalog", "sync", "--api-base", "http://api.example.com/client/v4"],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a usable API base URL"), "{}", r.stderr);
    assert_eq!(fake.requests().len(), 1);
}

// ---- mint

fn write_plan(dir: &Path) -> std::path::PathBuf {
    let plan = json!({
        "version": 1,
        "credentials": [
            {"name": "CF_API_KEY", "scope": "zone", "hardcoded": false, "sites": [], "endpoints": [],
             "permissions": [{"name": "DNS Write", "scope": "zone", "resources": [ZONE], "because": []}],
             "unresolved": [], "warnings": []},
            {"name": "DEPLOY_KEY", "scope": "account", "hardcoded": false, "sites": [], "endpoints": [],
             "permissions": [{"name": "Workers Scripts Write", "scope": "account", "resources": [], "because": []}],
             "unresolved": [], "warnings": []},
            {"name": "UNUSED", "scope": "none", "hardcoded": false, "sites": [], "endpoints": [],
             "permissions": [], "unresolved": [], "warnings": []}
        ]
    });
    let path = dir.join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    path
}

fn write_catalog(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("catalog.json");
    let cache = json!({"version": 1, "source": "test", "groups": [
        group(DNS_WRITE_ID, "DNS Write", "com.cloudflare.api.account.zone"),
        group(WORKERS_ID, "Workers Scripts Write", "com.cloudflare.api.account"),
    ]});
    std::fs::write(&path, cache.to_string()).unwrap();
    path
}

fn expected_bodies() -> [Value; 2] {
    [
        json!({"name": "scopesmith: CF_API_KEY", "policies": [{"effect": "allow",
            "resources": {format!("com.cloudflare.api.account.zone.{ZONE}"): "*"},
            "permission_groups": [{"id": DNS_WRITE_ID, "name": "DNS Write"}]}]}),
        json!({"name": "scopesmith: DEPLOY_KEY", "policies": [{"effect": "allow",
            "resources": {format!("com.cloudflare.api.account.{ACC}"): "*"},
            "permission_groups": [{"id": WORKERS_ID, "name": "Workers Scripts Write"}]}]}),
    ]
}

#[test]
fn mint_dry_run_prints_the_requests_and_sends_nothing() {
    let fake = serve(|_| fail(500, 0, "must not be called"));
    let dir = tempfile::tempdir().unwrap();
    let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
    let r = run(
        dir.path(),
        &[
            "mint",
            "--dry-run",
            "--plan",
            plan.to_str().unwrap(),
            "--catalog",
            catalog.to_str().unwrap(),
            "--account-id",
            ACC,
            "--api-base",
            &fake.base,
        ],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(fake.requests().is_empty());
    let url = format!("POST {}/accounts/{ACC}/tokens", fake.base);
    assert_eq!(r.stdout.matches(&url).count(), 2, "{}", r.stdout);
    for body in expected_bodies() {
        assert!(r.stdout.contains(&serde_json::to_string_pretty(&body).unwrap()), "{body}\n{}", r.stdout);
    }
    assert!(r.stderr.contains("skipped `UNUSED`"), "{}", r.stderr);
    assert_no_secret(&r);
}

#[test]
fn mint_without_an_id_asks_for_catalog_sync() {
    // A group the bundled table still has no published id for (DNS Write and Workers Scripts
    // Write have ids now, so mint no longer stops for them).
    const NO_ID: &str = "Workers R2 Storage Write";
    let table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/permission-groups.yaml")).unwrap();
    let entry = table.split("- name: ").find(|e| e.starts_with(&format!("{NO_ID}\n"))).expect("group in the table");
    assert!(!entry.contains("id:"), "{NO_ID} has an id now: pick a group that still has none");
    let fake = serve(|_| fail(500, 0, "must not be called"));
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let body = json!({"version": 1, "credentials": [
        {"name": "R2_KEY", "scope": "account", "hardcoded": false, "sites": [], "endpoints": [],
         "permissions": [{"name": NO_ID, "scope": "account", "resources": [], "because": []}],
         "unresolved": [], "warnings": []}
    ]});
    std::fs::write(&plan, body.to_string()).unwrap();
    let r = run(
        dir.path(),
        &["mint", "--plan", plan.to_str().unwrap(), "--account-id", ACC, "--api-base", &fake.base, "--stdout"],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("catalog sync") && r.stderr.contains(NO_ID), "{}", r.stderr);
    assert!(fake.requests().is_empty());
}

/// A fake token store: lists `existing`, creates with `NEW_VALUE`, fails the `fail_nth` create.
fn token_api(existing: Vec<&'static str>, fail_nth: Option<usize>) -> Fake {
    let mut created = 0;
    serve(move |r| match (r.method.as_str(), r.path()) {
        ("GET", p) if p.ends_with("/tokens") => {
            let items: Vec<Value> =
                existing.iter().enumerate().map(|(i, n)| json!({"id": format!("old{i}"), "name": n})).collect();
            page(json!(items), 1, 1)
        }
        ("POST", p) if p.ends_with("/tokens") => {
            created += 1;
            if Some(created) == fail_nth {
                return fail(500, 1001, "internal error");
            }
            let name = r.json()["name"].clone();
            ok(json!({"id": format!("new{created}"), "name": name, "status": "active", "value": NEW_VALUE}))
        }
        ("DELETE", _) => ok(json!({"id": r.path().rsplit('/').next()})),
        _ => fail(404, 7003, "no route"),
    })
}

#[test]
fn mint_creates_account_tokens_and_writes_each_value_once() {
    let fake = token_api(vec![], None);
    let dir = tempfile::tempdir().unwrap();
    let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
    let out = dir.path().join("tokens");
    let r = run(
        dir.path(),
        &[
            "mint",
            "-v",
            "--plan",
            plan.to_str().unwrap(),
            "--catalog",
            catalog.to_str().unwrap(),
            "--account-id",
            ACC,
            "--api-base",
            &fake.base,
            "--out-dir",
            out.to_str().unwrap(),
        ],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = fake.requests();
    let lines: Vec<String> = reqs.iter().map(|q| format!("{} {}", q.method, q.url)).collect();
    let tokens = format!("/client/v4/accounts/{ACC}/tokens");
    assert_eq!(lines, [format!("GET {tokens}?page=1&per_page=50"), format!("POST {tokens}"), format!("POST {tokens}")]);
    reqs.iter().for_each(assert_token_call);
    let bodies: Vec<Value> = reqs[1..].iter().map(Req::json).collect();
    assert_eq!(bodies, expected_bodies());
    // Named for the token each file holds (as `fix` renames the variable), not the key.
    for name in ["CF_API_TOKEN", "DEPLOY_TOKEN"] {
        let f = out.join(format!("{name}.token"));
        assert_eq!(std::fs::read_to_string(&f).unwrap(), format!("{NEW_VALUE}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o700);
    }
    assert!(r.stderr.contains("created scopesmith: CF_API_KEY (id new1)"), "{}", r.stderr);
    assert_no_secret(&r);
}

#[test]
fn mint_skips_tokens_that_exist() {
    let fake = token_api(vec!["scopesmith: CF_API_KEY", "someone else's token"], None);
    let dir = tempfile::tempdir().unwrap();
    let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
    let r = run(
        dir.path(),
        &[
            "mint",
            "--plan",
            plan.to_str().unwrap(),
            "--catalog",
            catalog.to_str().unwrap(),
            "--account-id",
            ACC,
            "--api-base",
            &fake.base,
            "--stdout",
        ],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let posts: Vec<Value> = fake.requests().iter().filter(|q| q.method == "POST").map(Req::json).collect();
    assert_eq!(posts, [expected_bodies()[1].clone()]);
    assert_eq!(r.stdout, format!("scopesmith: DEPLOY_KEY\t{NEW_VALUE}\n"), "--stdout prints the new value, once");
    assert!(r.stderr.contains("exists already, left alone: scopesmith: CF_API_KEY"), "{}", r.stderr);
}

#[test]
fn mint_rolls_back_on_partial_failure() {
    let fake = token_api(vec![], Some(2));
    let dir = tempfile::tempdir().unwrap();
    let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
    let out = dir.path().join("tokens");
    let r = run(
        dir.path(),
        &[
            "mint",
            "-v",
            "--plan",
            plan.to_str().unwrap(),
            "--catalog",
            catalog.to_str().unwrap(),
            "--account-id",
            ACC,
            "--api-base",
            &fake.base,
            "--out-dir",
            out.to_str().unwrap(),
        ],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let lines: Vec<String> = fake.requests().iter().map(|q| format!("{} {}", q.method, q.path())).collect();
    let tokens = format!("/client/v4/accounts/{ACC}/tokens");
    assert_eq!(
        lines,
        [format!("GET {tokens}"), format!("POST {tokens}"), format!("POST {tokens}"), format!("DELETE {tokens}/new1")],
        "a failed POST is not retried (it may have been applied); the first token is deleted"
    );
    assert!(r.stderr.contains("deleted again"), "{}", r.stderr);
    assert!(!out.join("CF_API_TOKEN.token").exists());
    assert_no_secret(&r);
}

#[test]
fn mint_refused_creation_names_the_permission() {
    let fake = serve(|r| if r.method == "GET" { page(json!([]), 1, 1) } else { fail(403, 9109, "Unauthorized") });
    let dir = tempfile::tempdir().unwrap();
    let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
    let r = run(
        dir.path(),
        &[
            "mint",
            "--plan",
            plan.to_str().unwrap(),
            "--catalog",
            catalog.to_str().unwrap(),
            "--account-id",
            ACC,
            "--api-base",
            &fake.base,
            "--stdout",
        ],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Account API Tokens Write"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

// ---- verify

fn verify_project(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join(".env"), format!("CF_API_EMAIL=ops@example.com\nCF_API_KEY={GLOBAL_KEY}\n")).unwrap();
    std::fs::write(
        root.join("deploy.sh"),
        "curl -H \"X-Auth-Key: $CF_TOKEN_ISH\" https://api.cloudflare.com/client/v4/zones\n\
         curl -H \"X-Auth-Key: $CF_DEAD\" https://api.cloudflare.com/client/v4/zones\n",
    )
    .unwrap();
    root
}

fn verify_api() -> Fake {
    serve(|r| match (r.path(), r.header("Authorization"), r.header("X-Auth-Key")) {
        ("/client/v4/user", None, Some(k))
            if k == GLOBAL_KEY && r.header("X-Auth-Email") == Some("ops@example.com") =>
        {
            ok(json!({"id": "u1", "email": "ops@example.com"}))
        }
        ("/client/v4/user/tokens/verify", Some(a), None) if a == format!("Bearer {LIVE_TOKEN}") => {
            ok(json!({"id": "t1", "status": "active"}))
        }
        ("/client/v4/user/tokens/verify", Some(_), None) => fail(401, 1000, "Invalid API Token"),
        _ => fail(400, 6003, "Invalid request headers"),
    })
}

#[test]
fn verify_tells_global_key_token_and_invalid_apart() {
    let fake = verify_api();
    let dir = tempfile::tempdir().unwrap();
    let root = verify_project(dir.path());
    let env = [("CF_API_EMAIL", "ops@example.com"), ("CF_TOKEN_ISH", LIVE_TOKEN), ("CF_DEAD", DEAD_TOKEN)];
    let r = run(
        dir.path(),
        &[
            "verify",
            root.to_str().unwrap(),
            "--yes",
            "-v",
            "--format",
            "json",
            "--api-base",
            &fake.base,
            // 40-character values of no Cloudflare shape are sent only when named (issue 13 item 10).
            "--env",
            "CF_TOKEN_ISH",
            "--env",
            "CF_DEAD",
        ],
        &env,
    );
    assert_eq!(r.code, 1, "a live global key fails like a finding\n{}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).expect("JSON");
    let by_source = |s: &str| out["verdicts"].as_array().unwrap().iter().find(|v| v["source"] == s).cloned();
    assert_eq!(by_source("literal").expect("literal")["status"], "live-global-key", "{}", r.stdout);
    assert_eq!(by_source("$CF_TOKEN_ISH").expect("token")["status"], "token");
    assert_eq!(by_source("$CF_DEAD").expect("dead")["status"], "invalid");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    let key_call = reqs.iter().find(|q| q.path() == "/client/v4/user").expect("GET /user");
    assert_eq!(key_call.method, "GET");
    assert!(key_call.header("Authorization").is_none());
    for q in reqs.iter().filter(|q| q.path() == "/client/v4/user/tokens/verify") {
        assert!(q.header("X-Auth-Key").is_none() && q.header("X-Auth-Email").is_none());
    }
    assert_no_secret(&r);

    let human = run(
        dir.path(),
        &[
            "verify",
            root.to_str().unwrap(),
            "--yes",
            "--api-base",
            &fake.base,
            "--env",
            "CF_TOKEN_ISH",
            "--env",
            "CF_DEAD",
        ],
        &env,
    );
    assert!(human.stdout.contains("live global key") && human.stdout.contains("invalid"), "{}", human.stdout);
    assert_no_secret(&human);
}

#[test]
fn verify_without_a_terminal_or_yes_sends_nothing() {
    let fake = verify_api();
    let dir = tempfile::tempdir().unwrap();
    let root = verify_project(dir.path());
    let r = run(
        dir.path(),
        &["verify", root.to_str().unwrap(), "--api-base", &fake.base],
        &[("CF_API_EMAIL", "ops@example.com")],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(fake.requests().is_empty());
    assert_no_secret(&r);
}

// ---- issue 13: hostile API hosts and outputs

/// A base that answers every request with a 307 to `to`.
fn redirecting(to: String) -> Fake {
    serve(move |r| Resp {
        status: 307,
        headers: vec![("Location", format!("{to}{}", r.url.trim_start_matches("/client/v4")))],
        body: json!({}),
    })
}

#[test]
fn issue13_item7_a_redirect_is_not_followed_and_no_credential_reaches_the_other_host() {
    let other = serve(|_| ok(json!({"id": "u1", "email": "ops@example.com"})));
    // Another port is another origin, as another host would be.
    let base = redirecting(other.base.clone());
    let dir = tempfile::tempdir().unwrap();
    let root = verify_project(dir.path());
    let r = run(
        dir.path(),
        &["verify", root.to_str().unwrap(), "--yes", "--api-base", &base.base],
        &[("CF_API_EMAIL", "ops@example.com")],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("redirect"), "{}", r.stderr);
    assert!(other.requests().is_empty(), "the redirect was followed: {:?}", other.requests());
    assert!(!base.requests().is_empty());
    assert_no_secret(&r);

    let out = dir.path().join("groups.json");
    let sync = run(
        dir.path(),
        &["catalog", "sync", "--api-base", &base.base, "--out", out.to_str().unwrap()],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(sync.code, 2, "{}", sync.stderr);
    assert!(other.requests().is_empty(), "catalog sync followed the redirect");
    assert!(!out.exists(), "the other host's answer was accepted");
    assert_no_secret(&sync);
}

fn mint_args<'a>(plan: &'a Path, catalog: &'a Path, base: &'a str) -> Vec<&'a str> {
    vec![
        "mint",
        "--plan",
        plan.to_str().unwrap(),
        "--catalog",
        catalog.to_str().unwrap(),
        "--account-id",
        ACC,
        "--api-base",
        base,
        "--stdout",
    ]
}

#[cfg(target_os = "linux")]
#[test]
fn issue13_item9_mint_stdout_on_a_full_disk_or_closed_pipe_rolls_back() {
    for closed_pipe in [false, true] {
        let fake = token_api(vec![], None);
        let dir = tempfile::tempdir().unwrap();
        let (plan, catalog) = (write_plan(dir.path()), write_catalog(dir.path()));
        let mut cmd = common::scopesmith();
        cmd.args(mint_args(&plan, &catalog, &fake.base))
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("XDG_CACHE_HOME", dir.path())
            .stderr(std::process::Stdio::piped());
        let out = if closed_pipe {
            cmd.stdout(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            drop(child.stdout.take());
            child.wait_with_output().unwrap()
        } else {
            cmd.stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
            cmd.output().unwrap()
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "a lost token value must fail the run\n{stderr}");
        assert!(stderr.contains("scopesmith: CF_API_KEY"), "the error names the tokens:\n{stderr}");
        let deleted: Vec<String> =
            fake.requests().iter().filter(|q| q.method == "DELETE").map(|q| q.path().to_string()).collect();
        assert_eq!(deleted.len(), 2, "both created tokens are deleted again: {deleted:?}\n{stderr}");
        assert!(!stderr.contains(NEW_VALUE));
    }
}

#[test]
fn issue13_item10_verify_sends_only_named_or_credential_shaped_variables() {
    const AWS: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00";
    let fake = serve(|_| fail(401, 1000, "Invalid API Token"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("deploy.sh"),
        "curl -H \"X-Auth-Key: $AWS_SECRET_ACCESS_KEY\" https://api.cloudflare.com/client/v4/zones\n",
    )
    .unwrap();
    let env = [("AWS_SECRET_ACCESS_KEY", AWS)];
    let r = run(dir.path(), &["verify", root.to_str().unwrap(), "--yes", "--api-base", &fake.base], &env);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(
        fake.requests().iter().all(|q| !format!("{q:?}").contains(AWS)),
        "a variable the scanned code chose was sent: {:?}",
        fake.requests()
    );
    assert!(fake.requests().is_empty());

    let named = run(
        dir.path(),
        &["verify", root.to_str().unwrap(), "--yes", "--api-base", &fake.base, "--env", "AWS_SECRET_ACCESS_KEY"],
        &env,
    );
    assert_eq!(fake.requests().len(), 1, "{}", named.stderr);
    assert!(
        named.stderr.contains("will send 1 credential") && named.stderr.contains("$AWS_SECRET_ACCESS_KEY"),
        "{}",
        named.stderr
    );
    assert!(!named.stderr.contains(AWS) && !named.stdout.contains(AWS));
}

#[test]
fn issue13_item15_a_listing_cut_at_the_page_limit_is_warned() {
    let fake = serve(|r| {
        let n: u32 =
            r.url.split("page=").nth(1).and_then(|s| s.split('&').next()).and_then(|s| s.parse().ok()).unwrap_or(1);
        page(json!([group(&format!("{n:032x}"), &format!("Group {n}"), "com.cloudflare.api.account")]), n, 5000)
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("groups.json");
    let r = run(
        dir.path(),
        &["catalog", "sync", "--api-base", &fake.base, "--out", out.to_str().unwrap()],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(fake.requests().len(), 1000);
    assert!(r.stderr.contains("stopped after 1000") && r.stderr.contains("incomplete"), "{}", r.stderr);
}

#[test]
fn issue13_item15_an_oversized_body_is_refused() {
    let fake = serve(|_| ok(json!([{"id": "x".repeat(40 << 20), "name": "huge", "scopes": []}])));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("groups.json");
    let r = run(
        dir.path(),
        &["catalog", "sync", "--api-base", &fake.base, "--out", out.to_str().unwrap()],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("larger than 32 MiB"), "{}", r.stderr);
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn issue13_item12_catalog_sync_refuses_a_planted_link() {
    let fake = serve(|_| page(json!([group(DNS_WRITE_ID, "DNS Write", "com.cloudflare.api.account.zone")]), 1, 1));
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let out = dir.path().join("groups.json");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    let r = run(
        dir.path(),
        &["catalog", "sync", "--api-base", &fake.base, "--out", out.to_str().unwrap()],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

// ---- OAuth scopes, synced like the permission groups (issue 18)

#[test]
fn sync_with_oauth_scopes_caches_them_and_plan_maps_groups_with_them() {
    let listed: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oauth/scopes.json")).unwrap(),
    )
    .unwrap();
    let scopes = listed.get("result").cloned().unwrap_or(listed);
    let fake = serve(move |r| match r.path() {
        "/client/v4/user/tokens/permission_groups" => {
            page(json!([group(DNS_WRITE_ID, "DNS Write", "com.cloudflare.api.account.zone")]), 1, 1)
        }
        "/client/v4/oauth/scopes" => page(scopes.clone(), 1, 1),
        _ => fail(404, 7003, "no route"),
    });
    let cache = tempfile::tempdir().unwrap();
    let r = run(
        cache.path(),
        &["catalog", "sync", "--oauth-scopes", "--api-base", &fake.base],
        &[("CLOUDFLARE_API_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = fake.requests();
    let scope_req = reqs.iter().find(|q| q.path() == "/client/v4/oauth/scopes").expect("the scope list was asked for");
    assert_token_call(scope_req);
    let file = cache.path().join("scopesmith/oauth-scopes.json");
    assert!(r.stdout.contains("OAuth scopes to") && r.stdout.contains("oauth-scopes.json"), "{}", r.stdout);
    assert_no_secret(&r);

    // No --oauth-scopes FILE: the cached list maps the groups (the same answer a saved
    // response gives, see tests/beyond.rs).
    let out = tempfile::tempdir().unwrap();
    let saas = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saas");
    let r = run(
        cache.path(),
        &["plan", "--emit", "oauth", "--out", out.path().to_str().unwrap(), saas.to_str().unwrap()],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&format!("OAuth scope ids from {}", file.display())), "{}", r.stdout);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("oauth-client.json")).unwrap()).unwrap();
    assert_eq!(doc["request"]["scopes"], json!(["offline_access", "test-dns.read", "test-zone.read"]));
    assert_eq!(doc["request"]["optional_scopes"], json!(["test-analytics.read"]));

    // Without the cache, only the documented table: nothing here is mapped.
    std::fs::remove_file(&file).unwrap();
    let r = run(
        cache.path(),
        &["plan", "--emit", "oauth", "--out", out.path().to_str().unwrap(), saas.to_str().unwrap()],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("oauth-client.json")).unwrap()).unwrap();
    assert_eq!(doc["request"]["scopes"], json!(["offline_access"]));
}

// ---- issue 12: one policy builder shared by --emit, mint and the report; synced ids reach every policy

const R2_WRITE: &str = "Workers R2 Storage Write";

/// Two credentials: `CF_API_KEY` purges whatever zone it is given (all zones) and deploys a
/// Worker and an R2 object in account ACC (a group without a bundled id); `CF_DNS_KEY` writes
/// DNS records of zone ZONE.
fn issue12_project(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("project");
    for (sub, file, body) in [
        (
            "deploy",
            "deploy.sh",
            format!(
                "#!/bin/sh\n\
                 curl -X POST \"https://api.cloudflare.com/client/v4/zones/${{CF_ZONE_ID}}/purge_cache\" -H \"X-Auth-Email: $CF_API_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\"\n\
                 curl -X PUT \"https://api.cloudflare.com/client/v4/accounts/{ACC}/workers/scripts/app\" -H \"X-Auth-Email: $CF_API_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\"\n\
                 curl -X PUT \"https://api.cloudflare.com/client/v4/accounts/{ACC}/r2/buckets/logs/objects/a\" -H \"X-Auth-Email: $CF_API_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\"\n"
            ),
        ),
        (
            "dns",
            "dns.sh",
            format!(
                "#!/bin/sh\n\
                 curl -X POST \"https://api.cloudflare.com/client/v4/zones/{ZONE}/dns_records\" -H \"X-Auth-Email: $CF_API_EMAIL\" -H \"X-Auth-Key: $CF_DNS_KEY\"\n"
            ),
        ),
    ] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
        std::fs::write(root.join(sub).join(file), body).unwrap();
    }
    root
}

/// The bodies a mint dry run prints after each `POST <url>` line, by token name.
fn dry_run_bodies(stdout: &str) -> std::collections::BTreeMap<String, Value> {
    let mut out = std::collections::BTreeMap::new();
    for (i, _) in stdout.match_indices("\nPOST ") {
        let rest = &stdout[i + 1..];
        let json_start = rest.find('\n').expect("a body follows") + 1;
        let body: Value =
            serde_json::Deserializer::from_str(&rest[json_start..]).into_iter::<Value>().next().unwrap().unwrap();
        out.insert(body["name"].as_str().unwrap().to_string(), body);
    }
    out
}

/// The create-token bodies `plan --emit cloudflare-json` wrote, by token name.
fn emitted_bodies(out: &Path) -> std::collections::BTreeMap<String, Value> {
    let mut bodies = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.ends_with(".notes.json") {
            let body: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            bodies.insert(body["name"].as_str().unwrap().to_string(), body);
        }
    }
    bodies
}

fn plan_json(cache: &Path, root: &Path) -> std::path::PathBuf {
    let r = run(cache, &["plan", "--format", "json", root.to_str().unwrap()], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = cache.join("plan.json");
    std::fs::write(&path, &r.stdout).unwrap();
    path
}

/// Before issue 12, mint built its own resources: a user token for all zones became a flat
/// `com.cloudflare.api.account.zone.*` (every zone of every account) where `--emit` names the
/// account the code works in, and a group without id got another placeholder text.
#[test]
fn issue12_emit_and_mint_dry_run_send_the_same_policies() {
    let fake = serve(|_| fail(500, 0, "must not be called"));
    let dir = tempfile::tempdir().unwrap();
    let root = issue12_project(dir.path());
    let plan = plan_json(dir.path(), &root);
    let out = dir.path().join("emitted");
    for user in [true, false] {
        let mut emit =
            vec!["plan", "--emit", "cloudflare-json", "--out", out.to_str().unwrap(), root.to_str().unwrap()];
        let mut mint = vec!["mint", "--dry-run", "--plan", plan.to_str().unwrap(), "--api-base", &fake.base];
        if user {
            emit.push("--user-token");
            mint.push("--user-token");
        } else {
            mint.extend(["--account-id", ACC]);
        }
        let e = run(dir.path(), &emit, &[]);
        assert_eq!(e.code, 0, "{}", e.stderr);
        let m = run(dir.path(), &mint, &[]);
        assert_eq!(m.code, 0, "{}", m.stderr);
        let (emitted, minted) = (emitted_bodies(&out), dry_run_bodies(&m.stdout));
        assert_eq!(emitted.keys().collect::<Vec<_>>(), ["scopesmith: CF_API_KEY", "scopesmith: CF_DNS_KEY"]);
        assert_eq!(minted.keys().collect::<Vec<_>>(), emitted.keys().collect::<Vec<_>>(), "{}", m.stdout);
        for (name, body) in &emitted {
            assert_eq!(minted[name]["policies"], body["policies"], "{name} (user token: {user})");
        }
        let all_zones = &emitted["scopesmith: CF_API_KEY"]["policies"];
        assert!(all_zones.to_string().contains(&format!("\"com.cloudflare.api.account.{ACC}\":{{")), "{all_zones}");
        assert!(m.stderr.contains(&format!("placeholder id for {R2_WRITE}")), "{}", m.stderr);
        assert!(fake.requests().is_empty());
    }
}

/// A user token whose code names no account: `--emit` writes `<ACCOUNT_ID>`, and mint, which
/// once asked for every zone of every account, refuses until the account is named.
#[test]
fn issue12_mint_of_a_user_token_without_an_account_asks_for_it() {
    let fake = serve(|_| fail(500, 0, "must not be called"));
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let body = json!({"version": 1, "credentials": [
        {"name": "CF_API_KEY", "permissions": [{"name": "Cache Purge", "scope": "zone", "resources": []}]}
    ]});
    std::fs::write(&plan, body.to_string()).unwrap();
    let args = ["mint", "--dry-run", "--user-token", "--plan", plan.to_str().unwrap(), "--api-base", &fake.base];
    let r = run(dir.path(), &args, &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("no account id is known") && r.stderr.contains("--account-id"), "{}", r.stderr);
    let r = run(dir.path(), &[&args[..], &["--account-id", ACC]].concat(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policies = &dry_run_bodies(&r.stdout)["scopesmith: CF_API_KEY"]["policies"];
    assert_eq!(
        policies[0]["resources"],
        json!({format!("com.cloudflare.api.account.{ACC}"): {"com.cloudflare.api.account.zone.*": "*"}})
    );
}

/// `plan --emit --account-id` names the account where the code names none, as mint does;
/// without it the policy keeps the `<ACCOUNT_ID>` placeholder, and a malformed id is refused.
#[test]
fn issue12_emit_takes_the_account_id_the_code_does_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("purge");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("purge.sh"),
        "#!/bin/sh\ncurl -X POST \"https://api.cloudflare.com/client/v4/zones/${CF_ZONE_ID}/purge_cache\" -H \"X-Auth-Email: $CF_API_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\"\n",
    )
    .unwrap();
    let emit = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let args =
            [&["plan", "--emit", "cloudflare-json", "--out", out.to_str().unwrap()], extra, &[root.to_str().unwrap()]]
                .concat();
        (run(dir.path(), &args, &[]), out)
    };
    // The plan tells the reader the resource the emitted token names.
    let human = run(dir.path(), &["plan", root.to_str().unwrap()], &[]);
    assert!(human.stdout.contains("Cache Purge  on all zones of account <ACCOUNT_ID>\n"), "{}", human.stdout);
    let (r, out) = emit("placeholder", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policies = emitted_bodies(&out)["scopesmith: CF_API_KEY"]["policies"].clone();
    assert_eq!(
        policies[0]["resources"],
        json!({"com.cloudflare.api.account.<ACCOUNT_ID>": {"com.cloudflare.api.account.zone.*": "*"}})
    );
    let (r, out) = emit("named", &["--account-id", ACC]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policies = emitted_bodies(&out)["scopesmith: CF_API_KEY"]["policies"].clone();
    assert_eq!(
        policies[0]["resources"],
        json!({format!("com.cloudflare.api.account.{ACC}"): {"com.cloudflare.api.account.zone.*": "*"}})
    );
    let (r, out) = emit("refused", &["--account-id", "not-an-id"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("is not an account id"), "{}", r.stderr);
    assert!(!out.exists(), "nothing is written for a refused id");
}

/// A `catalog sync` cache in `XDG_CACHE_HOME` gives one group an id the bundled table lacks
/// and another a different one: the plan, both emitted forms and mint all carry the synced ids.
#[test]
fn issue12_synced_ids_reach_every_policy() {
    const SYNCED_R2: &str = "5b1f0a5d7d2c4b0e9f3a6c8e1d2b4a70";
    const SYNCED_WORKERS: &str = "aa11bb22cc33dd44ee55ff6677889900";
    let fake = serve(|_| fail(500, 0, "must not be called"));
    let dir = tempfile::tempdir().unwrap();
    let root = issue12_project(dir.path());
    // Saved before the cache exists: the plan carries the bundled ids.
    let old_plan = plan_json(dir.path(), &root);
    let saved = std::fs::read_to_string(&old_plan).unwrap();
    assert!(saved.contains(WORKERS_ID) && !saved.contains(SYNCED_WORKERS));
    let cache = dir.path().join("scopesmith/permission-groups.json");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let groups = json!({"version": 1, "source": "test", "groups": [
        group(SYNCED_R2, R2_WRITE, "com.cloudflare.api.account"),
        group(SYNCED_WORKERS, "Workers Scripts Write", "com.cloudflare.api.account"),
    ]});
    std::fs::write(&cache, groups.to_string()).unwrap();
    let root_s = root.to_str().unwrap();

    let plan = run(dir.path(), &["plan", "--format", "json", root_s], &[]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let doc: Value = serde_json::from_str(&plan.stdout).unwrap();
    let ids: Vec<(String, String)> = doc["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["permissions"].as_array().unwrap().clone())
        .map(|g| (g["name"].as_str().unwrap().to_string(), g["id"].as_str().unwrap_or("").to_string()))
        .collect();
    assert!(ids.contains(&(R2_WRITE.into(), SYNCED_R2.into())), "{ids:?}");
    assert!(ids.contains(&("Workers Scripts Write".into(), SYNCED_WORKERS.into())), "{ids:?}");

    let human = run(dir.path(), &["plan", root_s], &[]);
    assert!(human.stdout.contains(&format!("ids from the catalog sync cache {}", cache.display())), "{}", human.stdout);

    let out = dir.path().join("emitted");
    let e = run(dir.path(), &["plan", "--emit", "cloudflare-json", "--out", out.to_str().unwrap(), root_s], &[]);
    assert_eq!(e.code, 0, "{}", e.stderr);
    assert!(e.stdout.contains(&format!("catalog sync cache {}", cache.display())), "{}", e.stdout);
    let body = emitted_bodies(&out)["scopesmith: CF_API_KEY"].to_string();
    assert!(body.contains(SYNCED_R2) && body.contains(SYNCED_WORKERS) && !body.contains("<id of"), "{body}");

    for v4 in [false, true] {
        let tf_dir = dir.path().join(if v4 { "tf4" } else { "tf5" });
        let mut args = vec!["plan", "--emit", "terraform", "--out", tf_dir.to_str().unwrap(), root_s];
        if v4 {
            args.push("--terraform-v4");
        }
        let t = run(dir.path(), &args, &[]);
        assert_eq!(t.code, 0, "{}", t.stderr);
        let tf = std::fs::read_to_string(tf_dir.join("tokens.tf")).unwrap();
        assert!(tf.contains(SYNCED_R2) && tf.contains(SYNCED_WORKERS), "{tf}");
        assert!(!tf.contains(WORKERS_ID), "the bundled id is gone:\n{tf}");
    }

    // An old plan: the synced id wins over the one it carries.
    let m = run(
        dir.path(),
        &["mint", "--dry-run", "--plan", old_plan.to_str().unwrap(), "--account-id", ACC, "--api-base", &fake.base],
        &[],
    );
    assert_eq!(m.code, 0, "{}", m.stderr);
    let minted = dry_run_bodies(&m.stdout)["scopesmith: CF_API_KEY"].to_string();
    assert!(minted.contains(SYNCED_R2) && minted.contains(SYNCED_WORKERS) && !minted.contains(WORKERS_ID), "{minted}");
    assert!(!m.stderr.contains("placeholder"), "{}", m.stderr);
    assert!(fake.requests().is_empty());
}

#[test]
fn issue12_a_corrupt_cache_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = issue12_project(dir.path());
    let cache = dir.path().join("scopesmith/permission-groups.json");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(&cache, "{\"version\": 1, \"groups\": [").unwrap();
    for args in [vec!["plan", root.to_str().unwrap()], vec!["report", root.to_str().unwrap()]] {
        let r = run(dir.path(), &args, &[]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        let err = r.stderr.replace('\n', " ");
        assert!(err.contains("permission-groups.json"), "{err}");
        assert!(err.contains("catalog sync") && err.contains("delete"), "{err}");
    }
    // `scan` names no permission id, so the cache does not stop it.
    let r = run(dir.path(), &["scan", root.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}
