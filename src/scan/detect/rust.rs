//! Rust files, matched on their `syn` syntax tree: a header name in a comment or doc string
//! is not a use, a `Credentials::UserAuthKey { .. }` spread over lines still is.

use std::collections::BTreeSet;

use proc_macro2::LineColumn;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::Hit;
use crate::rules::{DetectRule, Matcher};
use crate::scan::lines::Lines;

/// Deepest bracket nesting handed to `syn`: real code stays far below it.
const MAX_DEPTH: usize = 128;
/// Longest operator chain (`a + b + …`, `x.f().g()…`) between statement boundaries.
const MAX_CHAIN: usize = 4096;
/// `syn` parses, visits and drops recursively: it runs on a thread of its own with this much
/// stack (reserved, not used, until it is needed), far more than the limits above can take.
const STACK: usize = 64 << 20;

pub(super) fn detect(rules: &[DetectRule], active: &[usize], text: &str, lines: &Lines) -> Vec<Hit> {
    // A hostile file (a thousand nested parentheses) would overflow the stack and abort the
    // whole run; past the limits the file keeps the line rules that already ran on it.
    if !within_limits(text) {
        return Vec::new();
    }
    let run = || {
        let Ok(file) = syn::parse_file(text) else {
            // Not parseable (a template, a fragment): the line rules still ran on it.
            return Vec::new();
        };
        let mut v = Visitor { rules, active, text, lines, hits: Vec::new(), seen: BTreeSet::new() };
        v.visit_file(&file);
        v.hits
    };
    std::thread::scope(|s| {
        match std::thread::Builder::new().stack_size(STACK).spawn_scoped(s, run) {
            Ok(handle) => handle.join().unwrap_or_default(),
            // No thread to be had: no syntax pass rather than a risk of overflow.
            Err(_) => Vec::new(),
        }
    })
}

/// Whether `text`'s bracket depth and operator chains stay within what `syn` may be given.
/// Counted on bytes (line comments skipped): a bracket in a string only makes it stricter.
pub(super) fn within_limits(text: &str) -> bool {
    let (mut depth, mut chain) = (0usize, 0usize);
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'/' if bytes.peek() == Some(&b'/') => {
                for c in bytes.by_ref() {
                    if c == b'\n' {
                        break;
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if b == b'{' {
                    chain = 0;
                }
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if b == b'}' {
                    chain = 0;
                }
            }
            b';' => chain = 0,
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'.' | b'?' | b'<' | b'>' | b'=' | b'!' => {
                chain += 1;
                if chain > MAX_CHAIN {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

struct Visitor<'a> {
    rules: &'a [DetectRule],
    active: &'a [usize],
    text: &'a str,
    lines: &'a Lines,
    hits: Vec<Hit>,
    /// (rule, offset) pairs already reported: a literal is seen by its call and by itself.
    seen: BTreeSet<(usize, usize)>,
}

impl Visitor<'_> {
    fn offset(&self, at: LineColumn) -> usize {
        let start = self.lines.start(at.line.saturating_sub(1));
        let line = &self.text[start..self.lines.end(at.line.saturating_sub(1))];
        start + line.char_indices().nth(at.column).map(|(i, _)| i).unwrap_or(line.len())
    }

    fn source(&self, node: &impl Spanned) -> String {
        let span = node.span();
        let (s, e) = (self.offset(span.start()), self.offset(span.end()));
        self.text.get(s..e.max(s)).unwrap_or_default().to_string()
    }

    fn push(&mut self, rule: usize, node: &impl Spanned, value: Option<String>) {
        self.push_named(rule, node, value, None);
    }

    fn push_named(&mut self, rule: usize, node: &impl Spanned, value: Option<String>, cred: Option<String>) {
        let span = node.span();
        let offset = self.offset(span.start());
        if self.seen.insert((rule, offset)) {
            self.hits.push(Hit {
                rule,
                line: self.lines.line_of(offset),
                end_line: self.lines.line_of(self.offset(span.end()).saturating_sub(1).max(offset)),
                offset,
                cred,
                value,
                secret: None,
            });
        }
    }

    fn string_rules(&self, s: &str) -> Vec<usize> {
        self.active
            .iter()
            .copied()
            .filter(|&i| matches!(&self.rules[i].matcher, Matcher::Rust { string: Some(re), .. } if re.is_match(s)))
            .collect()
    }

    fn path_rules(&self, p: &str) -> Vec<usize> {
        self.active
            .iter()
            .copied()
            .filter(|&i| matches!(&self.rules[i].matcher, Matcher::Rust { path: Some(re), .. } if re.is_match(p)))
            .collect()
    }

    /// `.header("X-Auth-Key", value)` and `f("CF_API_KEY")`: a matching string argument,
    /// with the argument after it as the value.
    fn args<'e>(&mut self, args: impl Iterator<Item = &'e syn::Expr>) {
        let args: Vec<&syn::Expr> = args.collect();
        for (i, arg) in args.iter().enumerate() {
            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = arg {
                for rule in self.string_rules(&s.value()) {
                    let value = args.get(i + 1).map(|next| self.source(*next));
                    // An env rule's string is the variable's name itself.
                    let cred = (self.rules[rule].kind == crate::finding::Kind::Env).then(|| s.value());
                    self.push_named(rule, *arg, value, cred);
                }
            }
        }
    }
}

fn path_string(path: &syn::Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_expr_method_call(&mut self, node: &'ast syn::ExprMethodCall) {
        self.args(node.args.iter());
        visit::visit_expr_method_call(self, node);
    }

    fn visit_expr_call(&mut self, node: &'ast syn::ExprCall) {
        self.args(node.args.iter());
        visit::visit_expr_call(self, node);
    }

    /// `format!("X-Auth-Key: {}", key)` and `vec![..]`: macro bodies are token streams to syn,
    /// so the comma-separated expressions are parsed out and visited like call arguments.
    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        use syn::punctuated::Punctuated;
        if let Ok(args) = node.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
            self.args(args.iter());
            for arg in &args {
                self.visit_expr(arg);
            }
        }
        visit::visit_macro(self, node);
    }

    fn visit_lit_str(&mut self, node: &'ast syn::LitStr) {
        for rule in self.string_rules(&node.value()) {
            let cred = (self.rules[rule].kind == crate::finding::Kind::Env).then(|| node.value());
            self.push_named(rule, node, None, cred);
        }
    }

    fn visit_expr_struct(&mut self, node: &'ast syn::ExprStruct) {
        let path = path_string(&node.path);
        for rule in self.path_rules(&path) {
            let key = node.fields.iter().find(|f| matches!(&f.member, syn::Member::Named(n) if n == "key"));
            let value = key.map(|f| self.source(&f.expr));
            self.push(rule, node, value);
        }
        visit::visit_expr_struct(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item3_deep_nesting_and_long_chains_are_refused_before_syn() {
        assert!(within_limits("fn main() { let x = (((1))); a.b().c(); }"));
        let deep = format!("fn f() {{ let _ = {}1{}; }}", "(".repeat(1000), ")".repeat(1000));
        assert!(!within_limits(&deep));
        let chain = format!("fn f() {{ let _ = 1{}; }}", " + 1".repeat(10_000));
        assert!(!within_limits(&chain));
        let commented = format!("// {}\nfn f() {{}}", "(".repeat(1000));
        assert!(within_limits(&commented), "comments do not count");
    }
}
