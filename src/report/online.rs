//! Renders the online commands' results: the sync report, verify verdicts (human and JSON,
//! values redacted) and mint's dry-run requests and summary. Everything passes through
//! `redact::scrub` on its way out.

use std::fmt::Write;
use std::path::Path;

use crate::api::client::Client;
use crate::api::mint::{MintOutcome, Owner, TokenRequest};
use crate::api::sync::SyncReport;
use crate::api::verify::{Candidate, Verdict};

use super::redact::scrub;

pub fn sync(r: &SyncReport) -> String {
    let mut s = format!("wrote {} permission groups to {}\n", r.fetched, r.path);
    if !r.unknown.is_empty() {
        let _ = writeln!(s, "{} listed by the API, not in the bundled catalog:", r.unknown.len());
        for n in &r.unknown {
            let _ = writeln!(s, "  + {n}");
        }
    }
    if !r.missing.is_empty() {
        let _ = writeln!(s, "{} in the bundled catalog, not listed by the API:", r.missing.len());
        for n in &r.missing {
            let _ = writeln!(s, "  - {n}");
        }
    }
    scrub(&s)
}

pub fn verify_consent(base: &str, sending: &[&Candidate], account: Option<&str>) -> String {
    let mut s = format!("scopesmith verify will send {} credential(s) to {base}:\n", sending.len());
    for c in sending {
        let _ = writeln!(
            s,
            "  {}  {} {}  -> {}",
            c.sites.join(", "),
            c.source(),
            c.value,
            c.request(account).unwrap_or_default()
        );
    }
    scrub(&s)
}

pub fn verify_human(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return "nothing to verify: no found credential has a value here (a hard-coded literal, or a variable set in this environment)\n".into();
    }
    let mut s = String::new();
    for v in verdicts {
        let _ = writeln!(
            s,
            "{}  {} {}  {}  ({}{})",
            v.sites.join(", "),
            v.source,
            v.value,
            v.status.as_str(),
            v.request.as_deref().map(|r| format!("{r}: ")).unwrap_or_default(),
            v.detail
        );
    }
    scrub(&s)
}

pub fn verify_json(verdicts: &[Verdict]) -> String {
    let mut out = serde_json::to_string_pretty(&serde_json::json!({"version": 1, "verdicts": verdicts}))
        .expect("verdicts always serialise");
    out.push('\n');
    scrub(&out)
}

pub fn mint_dry_run(client: &Client, owner: &Owner, reqs: &[TokenRequest], token_env: &str) -> String {
    let mut s = String::from("# dry run: nothing is sent\n");
    let _ = writeln!(
        s,
        "# every request carries `Authorization: Bearer ${token_env}`; a real run first lists the existing tokens:\n# GET {}?page=1&per_page=50\n",
        client.url(&owner.tokens_path())
    );
    for r in reqs {
        let body = serde_json::to_string_pretty(&r.body).expect("request bodies always serialise");
        let _ = writeln!(s, "POST {}\n{body}\n", client.url(&r.path));
    }
    if reqs.is_empty() {
        s.push_str("# no token to create\n");
    }
    scrub(&s)
}

pub fn mint_summary(o: &MintOutcome, out_dir: Option<&Path>) -> String {
    let mut s = String::new();
    for (name, id) in &o.created {
        let _ = writeln!(s, "created {name} (id {id})");
    }
    for name in &o.skipped {
        let _ = writeln!(s, "exists already, left alone: {name}");
    }
    if let (Some(dir), false) = (out_dir, o.created.is_empty()) {
        let _ = writeln!(
            s,
            "token values written to {} (mode 0600), once: store them, then delete the files",
            dir.display()
        );
    }
    scrub(&s)
}
