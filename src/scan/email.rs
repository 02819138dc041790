//! The account e-mail is only half of the legacy pair: token users send `X-Auth-Email` with
//! `Authorization: Bearer`, keep `CF_API_EMAIL` beside `CF_DNS_API_TOKEN`, or set a Terraform
//! `email` next to `api_token`. An e-mail site is reported only when its consumer also uses
//! the key: the same file has a key finding, or the e-mail's variable is the one a key-using
//! file of the same scan sends with its key (a workflow setting `CF_API_EMAIL` for a script
//! that sends `X-Auth-Email: $CF_API_EMAIL` and `X-Auth-Key`). Otherwise the site is dropped:
//! it is not a Global API Key use and must not fail anyone's CI.

use std::collections::BTreeSet;

use crate::finding::{Finding, Role};

/// Removes the e-mail findings that no key use goes with.
pub fn keep_paired(findings: &mut Vec<Finding>) {
    let key_files: BTreeSet<&str> = findings.iter().filter(|f| f.role == Role::Key).map(|f| f.path.as_str()).collect();
    // E-mail variables that a key-using file sends alongside its key.
    let paired_names: BTreeSet<String> = findings
        .iter()
        .filter(|f| f.role == Role::Email && key_files.contains(f.path.as_str()))
        .filter_map(|f| f.credential.clone())
        .collect();
    let keep: Vec<bool> = findings
        .iter()
        .map(|f| {
            f.role != Role::Email
                || key_files.contains(f.path.as_str())
                || f.credential.as_ref().is_some_and(|c| paired_names.contains(c))
        })
        .collect();
    let mut keep = keep.into_iter();
    findings.retain(|_| keep.next().unwrap_or(true));
}
