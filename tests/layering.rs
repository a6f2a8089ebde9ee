//! The floors of `src/` (docs/architecture.md), checked by reading the source:
//! a module imports only from floors below its own, no two services import
//! each other, and only `models` (and `db`) name the schema. A plain scan of
//! `crate::…` paths, so an upward import fails here the day it is written,
//! long before it ties the modules into a knot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by floor, lowest first. A module may import its own
/// floor's module only if it is itself (same-floor modules stay apart).
const FLOORS: &[(&str, u8)] = &[
    ("i18n", 0),
    ("domain", 1),
    ("error", 2),
    ("db", 3),
    ("config", 4),
    ("models", 5),
    ("auth", 6),
    ("cache", 7),
    ("storage", 7),
    ("throttle", 7),
    ("services", 8),
    ("state", 9),
    ("mail", 9),
    ("seed", 9),
    ("routes", 10),
    // Runs `seed` and one pass of `mail`, so it stands above them.
    ("demo", 10),
];

/// Service modules every feature may use; they use no feature service.
const SHARED_SERVICES: &[&str] = &["access", "journal", "deadlines", "outbox"];

fn floor(module: &str) -> Option<u8> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc comments name modules in prose).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    text.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal ("https://…") is left alone.
            Some(i) if l[..i].matches('"').count() % 2 == 0 => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Every `crate::a::b` path in `code` as (a, b), `use crate::{a, b::c}` groups
/// included; b is empty when the path stops at a.
fn crate_paths(code: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group, each with its first sub-name.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push_item(&item, &mut out);
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            push_item(&item, &mut out);
        } else {
            push_item(rest, &mut out);
        }
    }
    out
}

fn push_item(item: &str, out: &mut BTreeSet<(String, String)>) {
    let item = item.trim_start();
    let top = ident_at(item);
    if top.is_empty() {
        return;
    }
    let Some(after) = item[top.len()..].strip_prefix("::") else {
        out.insert((top, String::new()));
        return;
    };
    match after.strip_prefix('{') {
        // `crate::services::{cases, notify::Event}`: each name of the group.
        Some(group) => {
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        let name = ident_at(&group[i..]);
                        if !name.is_empty() {
                            out.insert((top.clone(), name));
                        }
                    }
                    _ => {}
                }
            }
        }
        None => {
            out.insert((top, ident_at(after)));
        }
    }
}

/// (top-level module, second-level module) of a file under `src/`.
fn module_of(src: &Path, file: &Path) -> (String, String) {
    let rel = file.strip_prefix(src).expect("under src");
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    let top = parts[0].clone();
    let sub = parts
        .get(1)
        .filter(|s| s.as_str() != "mod")
        .cloned()
        .unwrap_or_default();
    (top, sub)
}

struct Source {
    top: String,
    sub: String,
    file: PathBuf,
    paths: BTreeSet<(String, String)>,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter(|f| {
            let name = f.strip_prefix(&src).expect("under src");
            name != Path::new("lib.rs") && name != Path::new("main.rs")
        })
        .map(|file| {
            let (top, sub) = module_of(&src, &file);
            let paths = crate_paths(&code_of(&file));
            Source {
                top,
                sub,
                file,
                paths,
            }
        })
        .collect()
}

#[test]
fn every_module_imports_only_from_the_floors_below_it() {
    let mut wrong = Vec::new();
    for s in sources() {
        let Some(mine) = floor(&s.top) else {
            wrong.push(format!(
                "{}: module `{}` has no floor in tests/layering.rs (and docs/architecture.md)",
                s.file.display(),
                s.top
            ));
            continue;
        };
        for (top, _) in &s.paths {
            if *top == s.top {
                continue;
            }
            // Macros exported at the crate root (`crate::text_enum!`, …).
            let Some(theirs) = floor(top) else { continue };
            if theirs >= mine {
                wrong.push(format!(
                    "{}: `{}` (floor {mine}) imports `{top}` (floor {theirs})",
                    s.file.display(),
                    s.top
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the floors:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_services_import_each_other_and_shared_ones_use_no_feature() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources().into_iter().filter(|s| s.top == "services") {
        let deps = graph.entry(s.sub.clone()).or_default();
        for (top, sub) in &s.paths {
            if top == "services" && !sub.is_empty() && *sub != s.sub {
                deps.insert(sub.clone());
            }
        }
    }
    // Any cycle, not just pairs: depth-first search with a path stack.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == n) {
            cycles.push(format!("{} -> {n}", path[i..].join(" -> ")));
            return;
        }
        if !done.insert(n.to_owned()) {
            return;
        }
        path.push(n.to_owned());
        for d in graph.get(n).into_iter().flatten() {
            visit(d, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "services import each other: {cycles:?}");
    for shared in SHARED_SERVICES {
        let uses: Vec<&String> = graph.get(*shared).into_iter().flatten().collect();
        assert!(
            uses.is_empty(),
            "services::{shared} uses feature services {uses:?}"
        );
    }
    let notify: BTreeSet<&String> = graph
        .get("notify")
        .into_iter()
        .flatten()
        .filter(|d| !SHARED_SERVICES.contains(&d.as_str()))
        .collect();
    assert!(
        notify.is_empty(),
        "notify takes its facts from its callers, but imports {notify:?}"
    );
}

#[test]
fn only_models_name_the_schema() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|s| s.top != "models" && s.top != "db")
        .filter(|s| s.paths.iter().any(|(t, sub)| t == "db" && sub == "schema"))
        .map(|s| s.file.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "queries outside models/: {offenders:?}"
    );
}

#[test]
fn the_scanner_reads_grouped_and_nested_imports() {
    let paths = crate_paths(
        "use crate::{auth::{policy, CurrentUser}, db, models::case::Case};\nlet x = crate::domain::value::fmt_vnd(1);\nuse crate::services::{cases::{self, CaseForm}, deadlines, notify::Event};",
    );
    let want: BTreeSet<(String, String)> = [
        ("auth", "policy"),
        ("auth", "CurrentUser"),
        ("services", "cases"),
        ("services", "deadlines"),
        ("services", "notify"),
        ("db", ""),
        ("models", "case"),
        ("domain", "value"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(paths, want);
}

/// Every `docs/<file>.md §N` cited in the code, migrations, templates and the
/// README names a file of `docs/` and, when a section is given, its heading.
#[test]
fn references_to_the_docs_resolve_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "migrations", "templates"] {
        all_files(&root.join(dir), &mut files);
    }
    files.push(root.join("README.md"));
    let mut cited = 0;
    let mut broken = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(i) = rest.find("docs/") {
            rest = &rest[i + "docs/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .collect();
            let Some(name) = name
                .strip_suffix('.')
                .or(Some(&name))
                .filter(|n| n.ends_with(".md"))
            else {
                continue;
            };
            cited += 1;
            let doc = root.join("docs").join(name);
            let Ok(body) = std::fs::read_to_string(&doc) else {
                broken.push(format!("{}: docs/{name} does not exist", file.display()));
                continue;
            };
            // "docs/domain.md` §7" or "docs/domain.md §7".
            let after = rest[name.len()..].trim_start_matches('`').trim_start();
            if let Some(section) = after.strip_prefix('§') {
                let n: String = section.chars().take_while(char::is_ascii_digit).collect();
                if !body.lines().any(|l| l.starts_with(&format!("## §{n} "))) {
                    broken.push(format!(
                        "{}: docs/{name} has no section §{n}",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(cited > 10, "the scan found only {cited} references");
    assert!(
        broken.is_empty(),
        "broken references:\n{}",
        broken.join("\n")
    );
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
