//! The front matter's JSON Schema (`coe schema`, `docs/coe.schema.json`): the committed file is
//! what the code prints; it accepts every sample COE and rejects what `coe build` rejects.

mod common;

use common::*;
use serde_json::Value;

/// A small validator for the parts of JSON Schema the schema uses: type, pattern, anyOf,
/// properties, items, required, minimum, maximum. Returns the first failure.
fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| validate(s, v, at).is_ok())
    {
        return Err(format!("{at}: {v} matches none of anyOf"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), v.as_str()) {
        let re = regex::Regex::new(p).map_err(|e| format!("bad pattern {p}: {e}"))?;
        if !re.is_match(s) {
            return Err(format!("{at}: {s:?} does not match {p}"));
        }
    }
    let below = |key: &str, n: f64| {
        schema
            .get(key)
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
    };
    let above = |key: &str, n: f64| {
        schema
            .get(key)
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
    };
    if let Some(n) = v.as_f64()
        && (below("minimum", n) || above("maximum", n))
    {
        return Err(format!("{at}: {n} out of range"));
    }

    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = r.as_str().unwrap_or_default();
            if !obj.contains_key(key) {
                return Err(format!("{at}: no {key}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, value) in obj {
                if let Some(s) = props.get(k) {
                    validate(s, value, &format!("{at}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (n, item) in list.iter().enumerate() {
            validate(items, item, &format!("{at}[{n}]"))?;
        }
    }
    Ok(())
}

fn front_matter(text: &str) -> Option<Value> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let end = rest.find("\n---")?;
    serde_saphyr::from_str::<Value>(&rest[..end]).ok()
}

fn schema() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/coe.schema.json"))
            .expect("docs/coe.schema.json"),
    )
    .expect("the committed schema is JSON")
}

#[test]
fn the_committed_schema_is_what_coe_schema_prints() {
    let run = coe(&["schema"], &repo_root());
    assert_eq!(run.status, 0);
    let committed =
        std::fs::read_to_string(repo_root().join("docs/coe.schema.json")).expect("read");
    assert!(
        run.stdout == committed,
        "docs/coe.schema.json is stale: run `coe schema > docs/coe.schema.json`"
    );
}

#[test]
fn every_sample_is_accepted() {
    let schema = schema();
    let mut checked = 0;
    for dir in [repo_root().join("content"), fixture("small/content")] {
        for f in files(&dir) {
            let text = std::fs::read_to_string(dir.join(&f)).expect("read");
            let Some(fm) = front_matter(&text) else {
                continue;
            };
            validate(&schema, &fm, &f).unwrap_or_else(|e| panic!("{f}: {e}"));
            checked += 1;
        }
    }
    assert!(checked >= 17, "{checked} samples checked");
}

#[test]
fn what_the_build_rejects_is_rejected() {
    let schema = schema();
    let good = "title: x\nseverity: Sev 2\nstatus: In Review\ntags: [a, b]\nteam: payments\naction_items:\n  - title: Fix it\n    status: won't do\n    priority: P1\n    due: 2024-01-02\n";
    let good: Value = serde_saphyr::from_str(good).expect("yaml");
    validate(&schema, &good, "good").expect("accepted");
    for bad in [
        "severity: urgent\n",
        "severity: 7\n",
        "severity: SEV0\n",
        "tags: {a: 1}\n",
        "status: approved\n",
        "action_items:\n  - owner: x\n",
        "action_items:\n  - title: Fix it\n    status: maybe\n",
        "action_items:\n  - title: Fix it\n    due: next week\n",
        "date: March 3rd\n",
    ] {
        let v: Value = serde_saphyr::from_str(bad).expect("yaml");
        assert!(validate(&schema, &v, "bad").is_err(), "accepted: {bad}");
        // And the build rejects it too.
        let site = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(site.path().join("content")).expect("mkdir");
        std::fs::write(
            site.path().join("content/x.md"),
            format!("---\ntitle: x\ndate: 2024-01-02\n{bad}---\n\n## Summary\n\nText.\n"),
        )
        .expect("write");
        let run = coe(&["build", "-r", "."], site.path());
        assert_eq!(run.status, 1, "the build accepts {bad:?}: {}", run.stderr);
    }
}
