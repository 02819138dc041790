//! What `plan` compiles once and shares between credentials: the endpoint index, one SDK
//! automaton per map, and each file's SDK calls per set of maps.
//!
//! Before, every credential searched every file it reaches again with every needle of every
//! map (key files x folder bytes x needles: minutes on a large SDK repository); now a file is
//! searched once per set of maps, whichever credentials look at it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::callsite::CallSite;
use super::collected::Evidence;
use super::endpoint::EndpointIndex;
use super::sdk_match::SdkMatcher;
use crate::rules::knowledge::{Operation, SdkMap};
use crate::rules::Knowledge;
use crate::scan::lines::Lines;
use crate::scan::texts::Texts;

/// A file and the names of the SDK maps it is searched with.
type FileMaps = (String, Vec<String>);

pub struct PlanIndex<'k> {
    ops: &'k [Operation],
    endpoints: EndpointIndex,
    /// Per SDK map name. The caches are behind locks so that credentials are planned side by
    /// side; what they hold does not depend on which credential asked first.
    matchers: Mutex<HashMap<String, Arc<SdkMatcher>>>,
    /// (file, map names) -> its SDK calls.
    memo: Mutex<HashMap<FileMaps, Vec<CallSite>>>,
    /// File -> its raw HTTP calls and literals (the same whichever credential reaches it; a
    /// unit's files are searched once per credential of the unit).
    http: Mutex<HashMap<String, (Vec<CallSite>, super::callsite::Literals)>>,
    /// File -> whether it builds its own token client (`None`: unreadable); asked for each
    /// file by every credential reaching it.
    token_client: Mutex<HashMap<String, Option<bool>>>,
    /// File -> the collected-key signals of a neighbourhood file (neighbouring key files share
    /// most of their neighbourhood).
    evidence: Mutex<HashMap<String, Option<Vec<Evidence>>>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<'k> PlanIndex<'k> {
    pub fn new(k: &'k Knowledge) -> PlanIndex<'k> {
        PlanIndex {
            ops: &k.operations,
            endpoints: EndpointIndex::new(&k.operations),
            matchers: Default::default(),
            memo: Default::default(),
            http: Default::default(),
            token_client: Default::default(),
            evidence: Default::default(),
        }
    }

    /// The catalog operation for a call (see [`super::endpoint::resolve`]).
    pub fn resolve(&self, method: &str, path: &super::endpoint::NormalPath) -> Option<&'k Operation> {
        self.endpoints.resolve(self.ops, method, path)
    }

    /// The SDK calls of the maps `sdks` in the file `path` (what
    /// [`super::callsite::sdk_calls`] gives), searched once per file and set of maps: the
    /// scan's decoded text of a file is the same whichever credential reaches it.
    pub fn sdk_calls(&self, path: &str, sdks: &[&SdkMap], text: &str, lines: &OnceCell<Lines>) -> Vec<CallSite> {
        if sdks.is_empty() {
            return Vec::new();
        }
        let key = (path.to_string(), sdks.iter().map(|s| s.sdk.clone()).collect::<Vec<_>>());
        if let Some(calls) = locked(&self.memo).get(&key) {
            return calls.clone();
        }
        let mut out = Vec::new();
        for sdk in sdks {
            let matcher =
                locked(&self.matchers).entry(sdk.sdk.clone()).or_insert_with(|| Arc::new(SdkMatcher::new(sdk))).clone();
            matcher.calls(path, text, lines.get_or_init(|| Lines::new(text)), &mut out);
        }
        locked(&self.memo).insert(key, out.clone());
        out
    }

    /// The raw HTTP calls ([`super::callsite::http_calls`]) and literals
    /// ([`super::callsite::literals`]) of a file, found once.
    pub fn http_calls(
        &self,
        path: &str,
        text: &str,
        lines: &OnceCell<Lines>,
    ) -> (Vec<CallSite>, super::callsite::Literals) {
        if let Some(found) = locked(&self.http).get(path) {
            return found.clone();
        }
        let lines = lines.get_or_init(|| Lines::new(text));
        let found = (super::callsite::http_calls(path, text, lines), super::callsite::literals(text));
        locked(&self.http).insert(path.to_string(), found.clone());
        found
    }

    /// Whether a file builds its own token client ([`super::TOKEN_CLIENT`]), `None` when it
    /// cannot be read; found once per file.
    pub fn token_client(&self, path: &str, texts: &Texts) -> Option<bool> {
        if let Some(found) = locked(&self.token_client).get(path) {
            return *found;
        }
        let found = texts.text(path).map(|t| super::TOKEN_CLIENT.is_match(&t));
        locked(&self.token_client).insert(path.to_string(), found);
        found
    }

    /// The collected-key evidence of a neighbourhood file ([`super::collected::file_evidence`]),
    /// `None` when it cannot be read; read and searched once per file.
    pub fn evidence(&self, display: &str, texts: &Texts) -> Option<Vec<Evidence>> {
        if let Some(found) = locked(&self.evidence).get(display) {
            return found.clone();
        }
        let found = file_evidence(display, texts);
        locked(&self.evidence).insert(display.to_string(), found.clone());
        found
    }

    /// Fills the index with the collected-key evidence of `files`, on `threads` threads: what
    /// [`PlanIndex::evidence`] would find for each.
    pub fn prepare_evidence(&mut self, files: &[String], texts: &Texts, threads: usize) {
        let found = crate::parallel::map(threads, files, 16, |display| file_evidence(display, texts));
        locked(&self.evidence).extend(files.iter().cloned().zip(found));
    }

    /// Fills the index, on `threads` threads, with what a credential reaching `files` asks
    /// first: whether each builds a token client and, for those that do not (the ones it
    /// searches), their HTTP calls and literals. What is found is what the lazy look-ups would
    /// find, so the plan is the same on any number of threads.
    pub fn prepare(&mut self, files: &[&str], texts: &Texts, threads: usize) {
        let found = crate::parallel::map(threads, files, 64, |path| {
            let Some(text) = texts.text(path) else { return (None, None) };
            let token = super::TOKEN_CLIENT.is_match(&text);
            let http = (!token).then(|| {
                let lines = Lines::new(&text);
                (super::callsite::http_calls(path, &text, &lines), super::callsite::literals(&text))
            });
            (Some(token), http)
        });
        let (mut tokens, mut calls) = (locked(&self.token_client), locked(&self.http));
        for (path, (token, http)) in files.iter().zip(found) {
            tokens.insert(path.to_string(), token);
            if let Some(http) = http {
                calls.insert(path.to_string(), http);
            }
        }
    }
}

/// Read through the scan's reader and cap, like every other file after the scan.
fn file_evidence(display: &str, texts: &Texts) -> Option<Vec<Evidence>> {
    texts.text_of_any(display).map(|t| super::collected::file_evidence(display, &t))
}
