//! The permission knowledge: API operations, permission groups, SDK maps and tool profiles,
//! cross-checked so that every group name used anywhere is a known Cloudflare group.

use std::collections::BTreeMap;

use super::load::{RuleError, RuleFile, RuleSource};
use super::model::{Auth, Scope};

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub family: String,
    pub method: String,
    /// The path template as written, e.g. `/zones/{zone_id}/dns_records`.
    pub path: String,
    pub scope: Scope,
    pub groups: Vec<String>,
    pub auth: Vec<Auth>,
    pub note: Option<String>,
    /// Where the accepted groups come from (see `generate.rs`).
    pub source: Option<String>,
    /// From the embedded catalog (a user's file may replace it).
    pub origin_builtin: bool,
}

impl Operation {
    pub fn accepts_token(&self) -> bool {
        self.auth.contains(&Auth::Token)
    }
}

#[derive(Debug, Clone)]
pub struct PermissionGroup {
    pub name: String,
    pub scope: Scope,
    pub id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SdkCall {
    pub method: String,
    pub http_method: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct SdkMap {
    pub sdk: String,
    pub language: String,
    pub calls: Vec<SdkCall>,
}

#[derive(Debug, Clone)]
pub struct ToolProfile {
    pub tool: String,
    pub title: String,
    pub permissions: Vec<String>,
    pub scope: Scope,
    pub source: String,
    pub resources: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub operations: Vec<Operation>,
    pub groups: BTreeMap<String, PermissionGroup>,
    pub sdks: BTreeMap<String, SdkMap>,
    pub tools: BTreeMap<String, ToolProfile>,
    /// GraphQL datasets by root node (`graphql-datasets.yaml`).
    pub graphql: Vec<super::model::GraphqlDatasetSpec>,
    /// What `fix` rewrites (the `rewrite:` sections and `token_names`).
    pub rewrites: super::rewrite::Rewrites,
}

impl Knowledge {
    /// What the GraphQL queries in `text` need (see `graphql.rs`).
    pub fn graphql_needs(&self, text: &str) -> super::graphql::GraphqlNeeds {
        super::graphql::needs(&self.graphql, text)
    }

    /// Fills `PermissionGroup.id` from a `catalog sync` cache, matched by name and scope: an
    /// id the cache lists replaces the bundled one. Returns how many groups got an id.
    pub fn apply_synced_ids(&mut self, synced: &super::synced::Synced) -> usize {
        let mut n = 0;
        for g in self.groups.values_mut() {
            if let Some(id) = synced.id(&g.name, g.scope) {
                g.id = Some(id.to_string());
                n += 1;
            }
        }
        n
    }

    pub fn build(files: Vec<(&RuleSource, RuleFile)>, errors: &mut Vec<RuleError>) -> Knowledge {
        let mut k = Knowledge::default();
        // Groups first: everything else is checked against them.
        for (source, file) in &files {
            if let RuleFile::PermissionGroups(g) = file {
                for spec in &g.groups {
                    if k.groups.contains_key(&spec.name) {
                        errors.push(source.error_at(
                            Some(&spec.name),
                            "name",
                            format!("permission group `{}` is listed twice", spec.name),
                            None,
                        ));
                    }
                    if let Some(id) = &spec.id {
                        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                            errors.push(source.error_at(
                                Some(&spec.name),
                                "id",
                                format!("permission group id `{id}` is not 32 hex characters"),
                                Some("leave `id` out unless Cloudflare documents it".into()),
                            ));
                        }
                    }
                    k.groups.insert(
                        spec.name.clone(),
                        PermissionGroup { name: spec.name.clone(), scope: spec.scope, id: spec.id.clone() },
                    );
                }
            }
        }
        let unknown_group = |source: &RuleSource, anchor: &str, field: &str, name: &str| {
            source.error_at(
                Some(anchor),
                field,
                format!("unknown permission group `{name}`"),
                Some(
                    "use the API's spelling (`DNS Write`, not `Zone.DNS:Edit`) as listed in permission-groups.yaml"
                        .into(),
                ),
            )
        };
        for (source, file) in files {
            match file {
                RuleFile::Catalog(c) => {
                    for op in c.operations {
                        for g in &op.groups {
                            if !k.groups.is_empty() && !k.groups.contains_key(g) {
                                errors.push(unknown_group(source, &op.id, "groups", g));
                            }
                        }
                        // A user's catalog (e.g. from `catalog import-openapi`) replaces the
                        // built-in operation with the same id, or the same method and path.
                        let user = !source.name.starts_with("builtin:");
                        let same = |o: &Operation| {
                            o.id == op.id || (o.method.eq_ignore_ascii_case(&op.method) && o.path == op.path)
                        };
                        if user && k.operations.iter().any(|o| same(o) && o.origin_builtin) {
                            k.operations.retain(|o| !(same(o) && o.origin_builtin));
                        }
                        if k.operations.iter().any(|o| o.id == op.id) {
                            errors.push(source.error_at(
                                Some(&op.id),
                                "id",
                                format!("operation id `{}` is used twice", op.id),
                                None,
                            ));
                        }
                        if !op.path.starts_with('/') {
                            errors.push(source.error_at(
                                Some(&op.id),
                                "path",
                                "an operation path starts with `/`",
                                None,
                            ));
                        }
                        k.operations.push(Operation {
                            id: op.id,
                            family: c.family.clone(),
                            method: op.method.to_ascii_uppercase(),
                            path: op.path,
                            scope: op.scope,
                            groups: op.groups,
                            auth: op.auth,
                            note: op.note,
                            source: op.source,
                            origin_builtin: !user,
                        });
                    }
                }
                RuleFile::Sdk(s) => {
                    let mut calls = Vec::new();
                    for call in s.calls {
                        match call.endpoint.split_once(' ') {
                            Some((m, p)) if p.starts_with('/') => calls.push(SdkCall {
                                method: call.method,
                                http_method: m.to_ascii_uppercase(),
                                path: p.trim().to_string(),
                            }),
                            _ => errors.push(source.error_at(
                                Some(&call.method),
                                "endpoint",
                                format!("endpoint `{}` is not `METHOD /path`", call.endpoint),
                                None,
                            )),
                        }
                    }
                    k.sdks.insert(s.sdk.clone(), SdkMap { sdk: s.sdk, language: s.language, calls });
                }
                RuleFile::Tool(t) => {
                    k.rewrites.add_tool(source, &t.tool, t.rewrite.unwrap_or_default(), errors);
                    let all = t.permissions.iter().chain(t.resources.values().flatten());
                    for g in all {
                        if !k.groups.is_empty() && !k.groups.contains_key(g) {
                            errors.push(unknown_group(source, &t.tool, "permissions", g));
                        }
                    }
                    k.tools.insert(
                        t.tool.clone(),
                        ToolProfile {
                            tool: t.tool,
                            title: t.title,
                            permissions: t.permissions,
                            scope: t.scope,
                            source: t.source,
                            resources: t.resources,
                        },
                    );
                }
                RuleFile::Graphql(g) => {
                    for d in &g.datasets {
                        for name in &d.groups {
                            if !k.groups.is_empty() && !k.groups.contains_key(name) {
                                errors.push(unknown_group(source, &d.root, "groups", name));
                            }
                        }
                    }
                    k.graphql = g.datasets;
                }
                RuleFile::SdkRewrite(s) => k.rewrites.add_sdk(source, &s.sdk, s.rewrite, errors),
                RuleFile::TokenNames(n) => k.rewrites.add_names(source, n.token_names, errors),
                RuleFile::PermissionGroups(_) | RuleFile::Detect(_) => {}
            }
        }
        k.operations.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        k
    }
}
