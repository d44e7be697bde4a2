//! Tests of the registry: change detection, watching, offered sources.
use super::*;

fn meta(path: &Path) -> ModuleMeta {
    ModuleMeta {
        name: "m".to_owned(),
        path: path.display().to_string(),
        is_package: false,
    }
}

/// A scan finds module `m` changed, and nothing else (`why` says what the case is).
fn assert_scan_finds_m_changed(registry: &mut Registry, why: &str) {
    assert_eq!(
        registry.scan(None),
        vec![ScanOutcome::Changed("m".to_owned())],
        "{why}"
    );
}

/// A folder of its own under the temporary folder (`tag` and this process's id) holding `file`
/// with `X = 1`: `(folder, file path)`.
fn module_file(tag: &str, file: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("limeade-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(file);
    std::fs::write(&path, "X = 1\n").expect("write");
    (dir, path)
}

#[test]
fn same_size_edits_are_both_seen_and_reverts_are_not_changes() {
    let (dir, path) = module_file("registry", "m.py");
    let mut registry = Registry::default();
    let stamp = Stamp::of(&path).expect("stamp");
    registry
        .track(meta(&path), b"X = 1\n", stamp)
        .expect("tracks");
    assert!(registry.scan(None).is_empty());

    std::fs::write(&path, "X = 2\n").expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    registry.plan(&["m".to_owned()]).expect("plans");
    registry.accept(&["m".to_owned()]);
    assert_eq!(registry.source("m").as_deref(), Some("X = 2\n"));

    std::fs::write(&path, "X = 3\n").expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    std::fs::write(&path, "X = 2\n").expect("write");
    assert!(registry.scan(None).is_empty(), "a revert is no change");

    std::fs::remove_file(&path).expect("remove");
    assert_eq!(
        registry.scan(None),
        vec![ScanOutcome::Deleted("m".to_owned())]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watched_edits_are_seen_at_once_and_idle_scans_check_nothing() {
    let (dir, path) = module_file("watch", "w.py");
    let mut registry = Registry::with_watcher(false);
    let stamp = Stamp::of(&path).expect("stamp");
    let mut meta = meta(&path);
    meta.name = "w".to_owned();
    registry.track(meta, b"X = 1\n", stamp).expect("tracks");
    assert!(registry.scan(None).is_empty());
    for value in 2..6 {
        std::fs::write(&path, format!("X = {value}\n")).expect("write");
        assert_eq!(
            registry.scan(None),
            vec![ScanOutcome::Changed("w".to_owned())]
        );
        registry.plan(&["w".to_owned()]).expect("plans");
        registry.accept(&["w".to_owned()]);
        assert!(
            registry.scan(None).is_empty(),
            "nothing new after accepting {value}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn offered_sources_are_never_read_from_disk_and_change_only_when_offered() {
    let mut registry = Registry::with_watcher(false);
    let meta = ModuleMeta {
        name: "mem".to_owned(),
        path: "memory/mem.py".to_owned(),
        is_package: false,
    };
    registry
        .track_offered(meta, LoaderSource::Decoded("X = 1\n"))
        .expect("tracks");
    assert!(registry.scan(None).is_empty(), "no file is looked at");
    let offer = |r: &mut Registry, text: &str| {
        r.offer_source("mem", LoaderSource::Decoded(text))
            .expect("offered")
    };
    assert!(!offer(&mut registry, "X = 1\n"));
    assert!(offer(&mut registry, "X = 2\n"));
    assert_eq!(
        registry.scan(None),
        vec![ScanOutcome::Changed("mem".to_owned())]
    );
    assert!(!offer(&mut registry, "X = 1\n"), "a revert is no change");
    assert!(registry.scan(None).is_empty());
    assert!(offer(&mut registry, "X = 3\n"));
    registry.plan(&["mem".to_owned()]).expect("plans");
    registry.accept(&["mem".to_owned()]);
    assert_eq!(registry.source("mem").as_deref(), Some("X = 3\n"));
    assert!(registry.scan(None).is_empty());
    // Bytes are decoded like a file: the coding cookie is honoured.
    assert!(registry
        .offer_source(
            "mem",
            LoaderSource::Encoded(b"# coding: latin-1\nS = '\xe9'\n")
        )
        .expect("offered"));
    assert_eq!(
        registry.pending_source("mem"),
        Some("# coding: latin-1\nS = '\u{e9}'\n")
    );
    assert!(matches!(
        registry.offer_source("nope", LoaderSource::Decoded("")),
        Err(RegistryError::NotTracked(_))
    ));
}

#[test]
fn folders_are_watched_at_the_next_scan_or_at_once_for_a_watcher() {
    let (dir, path) = module_file("defer", "d.py");
    let mut registry = Registry::with_watcher(false);
    let mut meta = meta(&path);
    meta.name = "d".to_owned();
    let stamp = Stamp::of(&path).expect("stamp");
    registry
        .track(meta.clone(), b"X = 1\n", stamp)
        .expect("tracks");
    assert!(registry.dirs.is_empty(), "importing watches nothing yet");
    // Edited before any watch: the first scan still sees it (it checks every new module).
    std::fs::write(&path, "X = 22\n").expect("write");
    assert_eq!(
        registry.scan(None),
        vec![ScanOutcome::Changed("d".to_owned())]
    );
    assert!(registry.dirs.contains(&dir), "the scan watched the folder");

    let mut eager = Registry::with_watcher(false);
    eager.set_watch_at_once(true);
    eager.track(meta, b"X = 22\n", stamp).expect("tracks");
    assert!(eager.dirs.contains(&dir), "watched as it is tracked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn importers_follow_the_running_sources() {
    let dir = std::env::temp_dir().join(format!("limeade-importers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut registry = Registry::default();
    let mut track = |name: &str, text: &str| {
        let path = dir.join(format!("{name}.py"));
        std::fs::write(&path, text).expect("write");
        let meta = ModuleMeta {
            name: name.to_owned(),
            path: path.display().to_string(),
            is_package: false,
        };
        let stamp = Stamp::of(&path).expect("stamp");
        registry
            .track(meta, text.as_bytes(), stamp)
            .expect("tracks");
        path
    };
    track("lib", "def f():\n    return 1\ndef g():\n    return 2\n");
    let app = track("app", "from lib import f\nfrom lib import g as h\n");
    let other = track("other", "from lib import *\nimport lib\n");
    let binding = |importer: &str, bound_as: &str, name: &str| {
        (importer.to_owned(), bound_as.to_owned(), name.to_owned())
    };
    let expected = vec![
        binding("app", "f", "f"),
        binding("app", "h", "g"),
        binding("other", "*", "*"),
    ];
    assert_eq!(registry.importers_of("lib"), expected);
    assert_eq!(registry.importers_of("lib"), expected, "asked again");
    assert!(registry.importers_of("app").is_empty());

    // `app` is refreshed to import `g` only: the bindings it runs now are the new ones.
    std::fs::write(&app, "from lib import g\n").expect("write");
    std::fs::write(&other, "import lib\n").expect("write");
    let changed = registry.scan(None);
    assert_eq!(changed.len(), 2, "{changed:?}");
    registry
        .plan(&["app".to_owned(), "other".to_owned()])
        .expect("plans");
    assert_eq!(registry.importers_of("lib"), expected, "not applied yet");
    registry.accept(&["app".to_owned(), "other".to_owned()]);
    assert_eq!(registry.importers_of("lib"), vec![binding("app", "g", "g")]);

    registry.untrack("app");
    assert!(registry.importers_of("lib").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_is_changed_only_when_its_text_is() {
    // Lone carriage returns end lines as CPython reads them: the text the program runs is not
    // the file's bytes, and saving it again, or with other line ends, changes nothing.
    let (dir, path) = module_file("same-text", "cr.py");
    let old = b"x = 1\ry = 2\r";
    std::fs::write(&path, old).expect("write");
    let mut registry = Registry::default();
    let stamp = Stamp::of(&path).expect("stamp");
    registry.track(meta(&path), old, stamp).expect("tracks");
    assert!(registry.scan(None).is_empty());
    std::fs::write(&path, old).expect("write");
    assert!(registry.scan(None).is_empty(), "the same bytes again");
    std::fs::write(&path, "x = 1\ny = 2\n").expect("write");
    assert!(
        registry.scan(None).is_empty(),
        "the same text with other line ends"
    );
    std::fs::write(&path, "x = 1\ny = 3\n").expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    std::fs::write(&path, b"x = 1\ry = 3\r").expect("write");
    assert_scan_finds_m_changed(&mut registry, "still the pending text");
    std::fs::write(&path, old).expect("write");
    assert!(registry.scan(None).is_empty(), "back to what runs");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_running_source_the_plan_parsed_is_not_parsed_again_in_the_background() {
    let (dir, path) = module_file("registry-warm", "m.py");
    let mut registry = Registry::default();
    let stamp = Stamp::of(&path).expect("stamp");
    registry
        .track(meta(&path), b"X = 1\n", stamp)
        .expect("tracks");
    assert_eq!(registry.warm_queue(), 1, "queued until imports go quiet");
    std::fs::write(&path, "X = 2\n").expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    registry.plan(&["m".to_owned()]).expect("plans");
    assert_eq!(
        registry.warm_queue(),
        0,
        "the plan parsed the running source: a second tree would only be dropped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `file` in its own folder with `text`, last modified a minute ago (not recent: a deferred
/// track of it is read in the background).
fn old_module_file(tag: &str, text: &str) -> (PathBuf, PathBuf, Stamp) {
    let (dir, path) = module_file(tag, "m.py");
    std::fs::write(&path, text).expect("write");
    let minute_ago = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(minute_ago))
        .expect("set mtime");
    let stamp = Stamp::of(&path).expect("stamp");
    (dir, path, stamp)
}

#[test]
fn a_deferred_track_records_the_bytes_read_with_its_stamp() {
    let (dir, path, stamp) = old_module_file("later-ok", "X = 'later'\n");
    let mut registry = Registry::default();
    assert!(registry.track_later(meta(&path), stamp).expect("tracks"));
    assert!(
        registry.contains("m"),
        "known as tracked before the read is taken"
    );
    assert_eq!(registry.source("m").as_deref(), Some("X = 'later'\n"));
    assert!(registry.take_lost().is_empty());
    assert!(
        registry.scan(None).is_empty(),
        "the file is the running version"
    );
    std::fs::write(&path, "X = 'edited'\n").expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_changed_before_its_deferred_read_is_not_tracked() {
    let (dir, path, stamp) = old_module_file("later-lost", "X = 'cached'\n");
    // Saved after the import validated its cache against `stamp`, before the read.
    std::fs::write(&path, "X = 'saved later'\n").expect("write");
    let mut registry = Registry::default();
    assert!(registry.track_later(meta(&path), stamp).expect("deferred"));
    let lost = registry.take_lost();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].0, "m");
    assert!(
        lost[0].1.contains("changed after the module was imported"),
        "{}",
        lost[0].1
    );
    assert!(!registry.contains("m"), "the source it runs is unknown");
    assert_eq!(registry.source("m").as_deref(), None);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_recent_file_is_read_at_once_and_refused_when_its_stamp_moved() {
    let (dir, path) = module_file("later-recent", "m.py");
    let stamp = Stamp::of(&path).expect("stamp");
    let mut registry = Registry::default();
    assert!(registry.track_later(meta(&path), stamp).expect("tracks"));
    assert_eq!(registry.deferred.len(), 0, "read at once");
    assert_eq!(registry.source("m").as_deref(), Some("X = 1\n"));
    std::fs::write(&path, "X = 22\n").expect("write");
    assert!(
        !registry.track_later(meta(&path), stamp).expect("no error"),
        "the file no longer has the stamp its cache was checked against"
    );
    assert_eq!(
        registry.source("m").as_deref(),
        Some("X = 1\n"),
        "left as it was"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_deferred_track_superseded_or_untracked_before_its_read_leaves_nothing_behind() {
    let (dir, path, stamp) = old_module_file("later-gone", "X = 'first'\n");
    let mut registry = Registry::default();
    assert!(registry.track_later(meta(&path), stamp).expect("deferred"));
    assert!(registry.untrack("m"), "a deferred module can be untracked");
    assert!(!registry.contains("m"));
    assert!(registry.take_lost().is_empty());
    assert!(registry.track_later(meta(&path), stamp).expect("deferred"));
    // Imported again, compiled from bytes read by the caller: those are what runs.
    registry
        .track(meta(&path), b"X = 'compiled'\n", stamp)
        .expect("tracks");
    assert_eq!(registry.source("m").as_deref(), Some("X = 'compiled'\n"));
    assert!(registry.take_lost().is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

/// Whether the registry keeps `name`'s running source packed.
fn is_packed(registry: &Registry, name: &str) -> bool {
    registry.modules[name].current.text.plain().is_none()
}

#[test]
fn a_source_parsed_in_the_background_is_kept_packed_and_still_planned_from() {
    let (dir, path) = module_file("registry-packed", "m.py");
    let text: String = (0..200)
        .map(|i| format!("def f{i}(x):\n    return x + {i}\n\n"))
        .collect();
    std::fs::write(&path, &text).expect("write");
    let mut registry = Registry::default();
    let stamp = Stamp::of(&path).expect("stamp");
    registry
        .track(meta(&path), text.as_bytes(), stamp)
        .expect("tracks");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while registry.warm_queue() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        registry.scan(None).is_empty(),
        "the file holds the running text"
    );
    assert!(is_packed(&registry, "m"), "packed once parsed");
    assert!(
        registry.modules["m"].current.frozen.is_some(),
        "its tree kept encoded"
    );
    assert!(
        registry.modules["m"].bindings.is_some(),
        "its bindings found with it"
    );
    assert_eq!(registry.source("m").as_deref(), Some(text.as_str()));
    assert!(
        registry.memory_use()[0].1 < text.len() / 2,
        "{:?}",
        registry.memory_use()
    );

    let edited = text.replace("return x + 100\n", "return x - 100\n");
    std::fs::write(&path, &edited).expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    let plan = registry.plan(&["m".to_owned()]).expect("plans");
    let changed: Vec<&str> = plan.modules[0]
        .definitions
        .iter()
        .filter(|d| d.status != limeade_plan::DefinitionStatus::Unchanged)
        .map(|d| d.qualname.as_str())
        .collect();
    assert_eq!(changed, ["f100"]);
    assert!(
        registry.modules["m"].current.frozen.is_none(),
        "decoded to plan"
    );
    registry.accept(&["m".to_owned()]);
    assert!(registry.modules["m"].current.parsed.is_some());
    assert!(
        !is_packed(&registry, "m"),
        "a module being edited stays plain"
    );
    assert_eq!(registry.source("m").as_deref(), Some(edited.as_str()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sources_of_a_large_refresh_are_kept_packed() {
    let (dir, path) = module_file("registry-large", "m.py");
    let text = format!(
        "X = 1\n{}",
        "# padding line of a large module\n".repeat(70_000)
    );
    assert!(text.len() >= PACK_AFTER);
    std::fs::write(&path, &text).expect("write");
    let mut registry = Registry::default();
    let stamp = Stamp::of(&path).expect("stamp");
    registry
        .track(meta(&path), text.as_bytes(), stamp)
        .expect("tracks");
    let edited = text.replacen("X = 1", "X = 2", 1);
    std::fs::write(&path, &edited).expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    registry.plan(&["m".to_owned()]).expect("plans");
    registry.accept(&["m".to_owned()]);
    assert!(is_packed(&registry, "m"));
    assert!(
        registry.modules["m"].current.frozen.is_some(),
        "its tree kept encoded"
    );
    let again = text.replacen("X = 1", "X = 3", 1);
    std::fs::write(&path, &again).expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    let plan = registry
        .plan(&["m".to_owned()])
        .expect("plans from the decoded tree");
    let changed = plan.modules[0]
        .statements
        .iter()
        .filter(|s| s.status != limeade_plan::StatementStatus::Unchanged)
        .count();
    assert_eq!(changed, 1);
    std::fs::write(&path, &edited).expect("write");
    assert!(registry.scan(None).is_empty(), "back to the running text");
    assert_eq!(registry.source("m").as_deref(), Some(edited.as_str()));
    assert!(
        registry.scan(None).is_empty(),
        "compared with the packed text"
    );
    std::fs::write(&path, &text).expect("write");
    assert_scan_finds_m_changed(&mut registry, "");
    let _ = std::fs::remove_dir_all(&dir);
}
