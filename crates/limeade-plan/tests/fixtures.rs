//! Every fixture case planned cold and incrementally: both plans must be identical, and the plan
//! text is a reviewed `insta` snapshot. Each case is checked on its own: one mismatch does not
//! hide the others.

mod common;

use limeade_plan::{plan, plan_incremental};

#[test]
fn fixture_plans_match_snapshots_and_incremental_equals_full() {
    common::check_each_case(|name, case| {
        let batch = common::load_case(case);
        assert!(!batch.is_empty(), "{name}: no modules");
        let full = plan(&batch);
        let incremental = plan_incremental(&batch);
        let rendered = match (&full, &incremental) {
            (Ok(full), Ok(incremental)) => {
                assert_eq!(
                    full, incremental,
                    "{name}: incremental plan differs from the full plan"
                );
                full.render()
            }
            (Err(full), Err(incremental)) => {
                assert_eq!(full, incremental, "{name}: incremental error differs");
                format!("error: {full}\n")
            }
            (full, incremental) => {
                panic!("{name}: full {full:?} but incremental {incremental:?}")
            }
        };
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("fixtures/{name}"),
        }, {
            insta::assert_snapshot!(name, rendered);
        });
    });
}

#[test]
fn plan_json_shape_is_stable() {
    let case = common::fixtures_dir().join("class_metaclass_changed");
    let batch = common::load_case(&case);
    let plan = plan(&batch).expect("fixture plans");
    let json = plan.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let module = &value["modules"][0];
    assert_eq!(module["module"], "class_metaclass_changed");
    assert_eq!(module["conflicts"][0]["kind"]["type"], "metaclass_changed");
    assert!(module["definitions"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
}
