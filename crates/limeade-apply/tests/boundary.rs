//! What crosses the boundary to the live side, per fixture case: the `actions_json` the Python
//! side reads (pretty-printed, keys sorted), or the planning error's kind and message. A change
//! of the data the live side acts on shows up here as a snapshot diff, next to the plan text
//! snapshots of `limeade-plan`.

#[path = "../../limeade-plan/tests/common/mod.rs"]
mod common;

use limeade_apply::actions::actions_json;
use limeade_plan::plan;

/// `json` with its keys sorted and indented, so snapshots are stable and readable.
fn sorted_pretty(json: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).expect("actions_json is JSON");
    let mut text = serde_json::to_string_pretty(&sorted(value)).expect("serialisable");
    text.push('\n');
    text
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

#[test]
fn fixture_actions_match_snapshots() {
    common::check_each_case(|name, case| {
        let batch = common::load_case(case);
        let crossing = match plan(&batch) {
            Ok(plan) => sorted_pretty(&actions_json(&plan)),
            Err(error) => format!("error ({}): {error}\n", error.kind()),
        };
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("actions_json of fixtures/{name}"),
        }, {
            insta::assert_snapshot!(name, crossing);
        });
    });
}
