//! The comparison's table: per workload and system the median of every timed sample of every
//! round, each alternative's ratio to limeade, why a cell has no time (fails its check, timed
//! out, not applicable), the notes the driver gave, and the machine it ran on.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::{Cell, Options, SYSTEMS, WORKLOADS};
use crate::venv::Venv;

/// The machine, as `benches/compare/machine.py` describes it.
pub(crate) fn machine(venv: &Venv) -> Result<Value, String> {
    let output = venv
        .python_step()
        .args(["benches/compare/machine.py"])
        .command()
        .output()
        .map_err(|e| format!("cannot run benches/compare/machine.py: {e}"))?;
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "benches/compare/machine.py: {e}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Everything the table is made of.
pub(crate) struct Report<'a> {
    pub(crate) options: &'a Options,
    pub(crate) machine: &'a Value,
    pub(crate) cells: &'a BTreeMap<(&'static str, &'static str), Cell>,
    pub(crate) elapsed: Duration,
    pub(crate) command: String,
}

/// A cell, summarised.
enum Summary {
    Timed {
        median: f64,
        samples: usize,
        by_attribute: bool,
    },
    Failing(String),
    Timeout,
    NotApplicable(String),
    Missing,
}

fn summarize(cell: Option<&Cell>) -> Summary {
    let Some(cell) = cell else {
        return Summary::Missing;
    };
    if let Some(failure) = cell
        .results
        .iter()
        .find_map(|r| r.get("failure").and_then(Value::as_str))
    {
        return Summary::Failing(failure.to_owned());
    }
    if let Some(crash) = cell.crashes.first() {
        return Summary::Failing(format!("crashed ({crash})"));
    }
    if cell.timeouts > 0 {
        return Summary::Timeout;
    }
    if let Some(reason) = cell
        .results
        .iter()
        .find_map(|r| r.get("na").and_then(Value::as_str))
    {
        return Summary::NotApplicable(reason.to_owned());
    }
    let mut samples: Vec<f64> = cell
        .results
        .iter()
        .filter_map(|r| r.get("samples").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    if samples.is_empty() {
        return Summary::Missing;
    }
    samples.sort_by(f64::total_cmp);
    let by_attribute = cell
        .results
        .iter()
        .any(|r| r.get("check").and_then(Value::as_str) == Some("module-attribute"));
    Summary::Timed {
        median: median(&samples),
        samples: samples.len(),
        by_attribute,
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn seconds(s: f64) -> String {
    if s < 0.001 {
        format!("{:.3} ms", s * 1e3)
    } else if s < 0.01 {
        format!("{:.2} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}x")
    } else {
        format!("{r:.1}x")
    }
}

/// Planning throughput (workload 9): limeade-plan's MB/s and ast.parse's, from limeade's cell.
fn planning_cell(cell: Option<&Cell>) -> Option<String> {
    let cell = cell?;
    let mut plan = Vec::new();
    let mut parse = Vec::new();
    let mut bytes = 0.0;
    for result in &cell.results {
        let samples = |v: Option<&Value>| -> Vec<f64> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default()
        };
        plan.extend(samples(result.get("samples")));
        let extra = result.get("extra");
        parse.extend(samples(extra.and_then(|e| e.get("ast_parse_samples"))));
        bytes = extra
            .and_then(|e| e.get("bytes"))
            .and_then(Value::as_f64)
            .unwrap_or(bytes);
    }
    if plan.is_empty() || parse.is_empty() || bytes == 0.0 {
        return None;
    }
    plan.sort_by(f64::total_cmp);
    parse.sort_by(f64::total_cmp);
    let plan_rate = bytes / 1e6 / median(&plan);
    let parse_rate = bytes / 1e6 / median(&parse);
    Some(format!(
        "limeade-plan {plan_rate:.1} MB/s vs CPython `ast.parse` {parse_rate:.1} MB/s: {}",
        ratio(plan_rate / parse_rate)
    ))
}

impl Report<'_> {
    /// The Markdown page: header, table, footnotes and notes.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let m = |key: &str| {
            self.machine
                .get(key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_else(|| "?".to_owned())
        };
        let d = &self.options.driver;
        let _ = writeln!(out, "# limeade side by side with the alternatives\n");
        let _ = writeln!(
            out,
            "`{}` ({:.0} min), {}: {} cores, {}, {} {} on {}, load average {} at the start.\n",
            self.command,
            self.elapsed.as_secs_f64() / 60.0,
            m("date"),
            m("cores"),
            m("cpu"),
            m("implementation"),
            m("python"),
            m("os"),
            m("load"),
        );
        let _ = writeln!(
            out,
            "{} rounds; in each, every workload runs once per system (systems interleaved, a \
             fresh process each) with {} timed edits after one untimed warm-up edit (fewer when \
             a system's edits pass {} s in a process); a timed operation running past {} s is \
             stopped. Cells are medians of every timed sample; the ratio is the alternative's \
             median over limeade's (above 1: limeade is faster). Every timed edit was checked \
             through objects made before it. Versions: `benches/peers.txt`.\n",
            self.options.rounds,
            d.runs,
            d.budget.as_secs(),
            d.cap.as_secs(),
        );
        let systems: Vec<_> = SYSTEMS
            .iter()
            .filter(|s| self.options.systems.iter().any(|o| o.name == s.name))
            .collect();
        let _ = write!(out, "| workload |");
        for system in &systems {
            let _ = write!(out, " {} |", system.label);
        }
        let _ = write!(out, "\n| --- |");
        for _ in &systems {
            let _ = write!(out, " --- |");
        }
        out.push('\n');
        let mut notes: Vec<String> = Vec::new();
        let mut attribute_used = false;
        for workload in WORKLOADS
            .iter()
            .filter(|w| self.options.workloads.iter().any(|o| o.name == w.name))
        {
            let title = if workload.name == "added" {
                format!("6. {} functions added to a module", thousands(d.added))
            } else {
                workload.title.to_owned()
            };
            let _ = write!(out, "| {title} |");
            if workload.name == "planning" {
                let text = planning_cell(self.cells.get(&(workload.name, "limeade")))
                    .unwrap_or_else(|| "no result".to_owned());
                let _ = write!(out, " {text} |");
                for _ in systems.iter().skip(1) {
                    let _ = write!(out, " - |");
                }
                out.push('\n');
                continue;
            }
            let base = match summarize(self.cells.get(&(workload.name, "limeade"))) {
                Summary::Timed { median, .. } => Some(median),
                _ => None,
            };
            for system in &systems {
                let cell = self.cells.get(&(workload.name, system.name));
                let text = match summarize(cell) {
                    Summary::Timed {
                        median,
                        samples,
                        by_attribute,
                    } => {
                        let mut text = seconds(median);
                        if by_attribute {
                            text.push_str(" †");
                            attribute_used = true;
                        }
                        if let (Some(base), true) = (base, system.name != "limeade") {
                            let _ = write!(text, " ({})", ratio(median / base));
                        }
                        if samples < 3 {
                            let _ = write!(text, " [n={samples}]");
                        }
                        text
                    }
                    Summary::Failing(why) => format!("fails: {}", why.replace('|', "/")),
                    Summary::Timeout => format!("> {} s (timeout)", d.cap.as_secs()),
                    Summary::NotApplicable(why) => format!("n/a ({why})"),
                    Summary::Missing => "-".to_owned(),
                };
                let _ = write!(out, " {text} |");
                if let Some(note) = cell.and_then(|c| cell_note(workload.name, c)) {
                    notes.push(format!("{} / {}: {note}", system.label, workload.title));
                }
            }
            out.push('\n');
        }
        if attribute_used {
            let _ = writeln!(
                out,
                "\n† `importlib.reload` fails the old-object check (old objects keep old code): \
                 timed with a check of the module's attributes instead, as the baseline people \
                 compare with."
            );
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "\nNotes:\n");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        let _ = writeln!(
            out,
            "\nWorkload 7 is the time from starting the tool (importing it, and installing its \
             hook or watcher) to the 500th module imported; `importlib.reload`'s column is the \
             same imports with no tool. Workload 8's time is the refresh latency while the \
             threads run; a torn call (new code with old defaults, or the reverse) fails the \
             cell."
        );
        out
    }
}

/// What the driver said about a cell beyond its time (threads: torn calls summed over rounds).
fn cell_note(workload: &str, cell: &Cell) -> Option<String> {
    if workload == "threads" {
        let sum = |key: &str| -> u64 {
            cell.results
                .iter()
                .filter_map(|r| r.get("extra")?.get(key)?.as_u64())
                .sum()
        };
        if cell.results.is_empty() {
            return None;
        }
        let mut text = format!(
            "{} torn of {} calls",
            sum("torn"),
            thousands(sum("calls") as usize)
        );
        if sum("errors") > 0 {
            let _ = write!(text, ", {} calls raised", sum("errors"));
        }
        return Some(text);
    }
    let mut seen: Vec<&str> = cell
        .results
        .iter()
        .filter_map(|r| r.get("note").and_then(Value::as_str))
        .collect();
    seen.dedup();
    (!seen.is_empty()).then(|| seen.join("; "))
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{median, ratio, seconds, thousands};

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(200_000), "200,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(seconds(0.000_031), "0.031 ms");
        assert_eq!(seconds(0.0066), "6.60 ms");
        assert_eq!(seconds(0.123), "123.0 ms");
        assert_eq!(seconds(4.5), "4.50 s");
        assert_eq!(ratio(14.6), "15x");
        assert_eq!(ratio(1.04), "1.0x");
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
    }
}
