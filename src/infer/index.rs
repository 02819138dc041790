//! What `plan` compiles once and shares between credentials: the endpoint index, one SDK
//! automaton per map, and each file's SDK calls per set of maps.
//!
//! Before, every credential searched every file it reaches again with every needle of every
//! map (key files x folder bytes x needles: minutes on a large SDK repository); now a file is
//! searched once per set of maps, whichever credentials look at it.

use std::collections::HashMap;

use super::callsite::CallSite;
use super::endpoint::EndpointIndex;
use super::sdk_match::SdkMatcher;
use crate::rules::knowledge::{Operation, SdkMap};
use crate::rules::Knowledge;
use crate::scan::lines::Lines;

pub struct PlanIndex<'k> {
    ops: &'k [Operation],
    endpoints: EndpointIndex,
    /// Per SDK map name.
    matchers: HashMap<String, SdkMatcher>,
    /// (file, map names) -> its SDK calls.
    memo: HashMap<(String, Vec<String>), Vec<CallSite>>,
    /// File -> its raw HTTP calls and literals (the same whichever credential reaches it; a
    /// unit's files are searched once per credential of the unit).
    http: HashMap<String, (Vec<CallSite>, super::callsite::Literals)>,
}

impl<'k> PlanIndex<'k> {
    pub fn new(k: &'k Knowledge) -> PlanIndex<'k> {
        PlanIndex {
            ops: &k.operations,
            endpoints: EndpointIndex::new(&k.operations),
            matchers: HashMap::new(),
            memo: HashMap::new(),
            http: HashMap::new(),
        }
    }

    /// The catalog operation for a call (see [`super::endpoint::resolve`]).
    pub fn resolve(&self, method: &str, path: &super::endpoint::NormalPath) -> Option<&'k Operation> {
        self.endpoints.resolve(self.ops, method, path)
    }

    /// The SDK calls of the maps `sdks` in the file `path` (what
    /// [`super::callsite::sdk_calls`] gives), searched once per file and set of maps: the
    /// scan's decoded text of a file is the same whichever credential reaches it.
    pub fn sdk_calls(&mut self, path: &str, sdks: &[&SdkMap], text: &str, lines: &Lines) -> Vec<CallSite> {
        if sdks.is_empty() {
            return Vec::new();
        }
        let key = (path.to_string(), sdks.iter().map(|s| s.sdk.clone()).collect::<Vec<_>>());
        if let Some(calls) = self.memo.get(&key) {
            return calls.clone();
        }
        let mut out = Vec::new();
        for sdk in sdks {
            let matcher = self.matchers.entry(sdk.sdk.clone()).or_insert_with(|| SdkMatcher::new(sdk));
            matcher.calls(path, text, lines, &mut out);
        }
        self.memo.insert(key, out.clone());
        out
    }

    /// The raw HTTP calls ([`super::callsite::http_calls`]) and literals
    /// ([`super::callsite::literals`]) of a file, found once.
    pub fn http_calls(&mut self, path: &str, text: &str, lines: &Lines) -> (Vec<CallSite>, super::callsite::Literals) {
        if let Some(found) = self.http.get(path) {
            return found.clone();
        }
        let found = (super::callsite::http_calls(path, text, lines), super::callsite::literals(text));
        self.http.insert(path.to_string(), found.clone());
        found
    }
}
