#!/usr/bin/env python3
"""Turn public Cloudflare sources into the compact extracts under tools/catalog/extracts/.

Reads bare git snapshots (nothing is fetched here) and writes facts only: HTTP method, path,
SDK method chain, Terraform accepted permission groups. `cargo test --test rules` checks that
rules/catalog/ and the generated SDK maps equal what these extracts produce
(`SCOPESMITH_REGENERATE=1 cargo test --test rules catalog_` rewrites them).

usage: extract.py --ts GITDIR --go GITDIR --python GITDIR --terraform GITDIR [--out DIR]
"""
import argparse
import os
import re
import subprocess

CODE = re.compile(r'<code title="([a-z]+) ([^"]+)">client\.([A-Za-z0-9_.]*)<a [^>]*>([A-Za-z0-9_]+)</a>')


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True, text=True).stdout


def head(gitdir):
    return git(gitdir, "log", "-1", "--format=%H %cs").split()


def api_md(gitdir):
    files = [f for f in git(gitdir, "ls-tree", "-r", "--name-only", "HEAD").splitlines() if f.endswith("api.md")]
    rows = []
    for f in sorted(files):
        for m in CODE.finditer(git(gitdir, "show", f"HEAD:{f}")):
            verb, path, chain, method = m.groups()
            rows.append((chain + method, verb.upper(), path))
    return rows


def write(out, name, header, rows):
    with open(os.path.join(out, name), "w") as fh:
        fh.write(header)
        for r in rows:
            fh.write("\t".join(r) + "\n")


TF_CALL = re.compile(r"\.client\.([A-Za-z0-9.]+)\(")


def terraform(gitdir):
    files = git(gitdir, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    docs = {}
    for f in files:
        m = re.match(r"docs/(resources|data-sources)/([a-z0-9_]+)\.md$", f)
        if not m:
            continue
        text = git(gitdir, "show", f"HEAD:{f}")
        part = text.split("Accepted Permissions", 2)
        if len(part) < 3:
            continue
        groups = []
        for line in part[2].splitlines()[1:]:
            g = re.match(r"- `([^`]+)`", line.strip())
            if g:
                groups.append(g.group(1))
            elif line.strip():
                break
        docs[(m.group(1), m.group(2))] = groups
    rows = []
    for f in files:
        m = re.match(r"internal/services/([a-z0-9_]+)/(resource|data_source|list_data_source)\.go$", f)
        if not m:
            continue
        svc, kind = m.groups()
        text = git(gitdir, "show", f"HEAD:{f}")
        name = re.search(r'ProviderTypeName \+ "_([a-z0-9_]+)"', text)
        if not name:
            continue
        tf = name.group(1)
        groups = docs.get(("resources" if kind == "resource" else "data-sources", tf))
        if not groups:
            continue
        calls = sorted(set(c for c in TF_CALL.findall(text) if not c.endswith("AutoPaging")))
        if calls:
            rows.append((kind, "cloudflare_" + tf, ";".join(calls), ";".join(groups)))
    return sorted(rows)


def main():
    p = argparse.ArgumentParser()
    for a in ("ts", "go", "python", "terraform"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "extracts"))
    a = p.parse_args()
    for key, name, repo in (("ts", "sdk-typescript.tsv", "cloudflare/cloudflare-typescript"),
                            ("go", "sdk-go.tsv", "cloudflare/cloudflare-go"),
                            ("python", "sdk-python.tsv", "cloudflare/cloudflare-python")):
        commit, date = head(getattr(a, key))
        rows = api_md(getattr(a, key))
        write(a.out, name, f"# {repo} api.md at {commit} ({date}): sdk method chain, HTTP method, path\n", rows)
    commit, date = head(a.terraform)
    write(a.out, "terraform.tsv",
          f"# cloudflare/terraform-provider-cloudflare at {commit} ({date}): kind, type, SDK calls, "
          "docs 'Accepted Permissions'\n", terraform(a.terraform))


if __name__ == "__main__":
    main()
