//! Statement matching: the non-definition statements of one scope compared in order, so only
//! changed and added statements run again.

use crate::plan::{StatementChange, StatementStatus};
use crate::tree::{Origin, Statement, StatementKind};

/// The statements of one scope in one version, with the origin of the top-level statement that
/// holds them (`None` at module level: their spans are absolute).
pub(crate) type Scope<'a> = (&'a [Statement], Option<Origin>);

/// Compare the non-definition statements of one scope in order (longest common subsequence of
/// fingerprints), pairing a removed and an added statement that bind a common name as "changed".
pub(crate) fn diff_statements(
    scope: &str,
    (old, old_origin): Scope<'_>,
    (new, new_origin): Scope<'_>,
) -> Vec<StatementChange> {
    let old: Vec<&Statement> = old.iter().filter(|s| is_other(s)).collect();
    let new: Vec<&Statement> = new.iter().filter(|s| is_other(s)).collect();
    let origins = (old_origin, new_origin);
    let pairs = lcs_pairs(&old, &new);

    let mut out = Vec::new();
    let mut oi = 0;
    let mut ni = 0;
    let emit_gap =
        |old_gap: &[&Statement], new_gap: &[&Statement], out: &mut Vec<StatementChange>| {
            let mut old_used = vec![false; old_gap.len()];
            for n in new_gap {
                let n_binds = n.binds();
                // A statement that binds a name pairs with one that bound it; one that binds
                // nothing (an `if __name__ == "__main__":` block, a call) with the next old one
                // of its kind that binds nothing either: an edit of it is one change.
                let partner = old_gap.iter().enumerate().position(|(i, o)| {
                    !old_used[i]
                        && if n_binds.is_empty() {
                            o.binds().is_empty() && same_label(o, n)
                        } else {
                            o.binds().iter().any(|b| n_binds.contains(b))
                        }
                });
                match partner {
                    Some(i) => {
                        old_used[i] = true;
                        out.push(statement_change(
                            scope,
                            origins,
                            StatementStatus::Changed,
                            Some(old_gap[i]),
                            Some(n),
                        ));
                    }
                    None => out.push(statement_change(
                        scope,
                        origins,
                        StatementStatus::Added,
                        None,
                        Some(n),
                    )),
                }
            }
            for (i, o) in old_gap.iter().enumerate() {
                if !old_used[i] {
                    out.push(statement_change(
                        scope,
                        origins,
                        StatementStatus::Removed,
                        Some(o),
                        None,
                    ));
                }
            }
        };
    for (po, pn) in pairs {
        emit_gap(&old[oi..po], &new[ni..pn], &mut out);
        out.push(statement_change(
            scope,
            origins,
            StatementStatus::Unchanged,
            Some(old[po]),
            Some(new[pn]),
        ));
        oi = po + 1;
        ni = pn + 1;
    }
    emit_gap(&old[oi..], &new[ni..], &mut out);
    out
}

/// How changes name the `if __name__ == "__main__":` block.
pub const MAIN_GUARD_NAME: &str = "<__main__ block>";

/// Both statements are of the same kind (`if`, `expression`, ...), and both or neither is the
/// `__main__` guard: an edit keeps the kind.
fn same_label(a: &Statement, b: &Statement) -> bool {
    match (&a.kind, &b.kind) {
        (StatementKind::Other(a), StatementKind::Other(b)) => {
            a.label == b.label && a.is_main_guard == b.is_main_guard
        }
        _ => false,
    }
}

pub(crate) fn is_other(s: &Statement) -> bool {
    matches!(s.kind, StatementKind::Other(_))
}

/// Index pairs of a longest common subsequence of statement fingerprints. Equal prefixes and
/// suffixes are matched directly so the quadratic part only sees the edited middle.
fn lcs_pairs(old: &[&Statement], new: &[&Statement]) -> Vec<(usize, usize)> {
    let prefix = old
        .iter()
        .zip(new)
        .take_while(|(a, b)| a.fingerprint == b.fingerprint)
        .count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a.fingerprint == b.fingerprint)
        .count();
    let (om, nm) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut pairs: Vec<(usize, usize)> = (0..prefix).map(|i| (i, i)).collect();
    // Dynamic programming on the middle; it is small for real edits. Guard pathological sizes by
    // falling back to no matches in the middle (still a correct, if pessimistic, plan).
    if !om.is_empty() && !nm.is_empty() && om.len().saturating_mul(nm.len()) <= 4_000_000 {
        let (n, m) = (om.len(), nm.len());
        let mut table = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                table[i * (m + 1) + j] = if om[i].fingerprint == nm[j].fingerprint {
                    table[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    table[(i + 1) * (m + 1) + j].max(table[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if om[i].fingerprint == nm[j].fingerprint {
                pairs.push((prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    let (ot, nt) = (old.len() - suffix, new.len() - suffix);
    pairs.extend((0..suffix).map(|k| (ot + k, nt + k)));
    pairs
}

fn statement_change(
    scope: &str,
    (old_origin, new_origin): (Option<Origin>, Option<Origin>),
    status: StatementStatus,
    old: Option<&Statement>,
    new: Option<&Statement>,
) -> StatementChange {
    let shown = new.or(old);
    let (label, makes_functions) = match shown.map(|s| &s.kind) {
        Some(StatementKind::Other(o)) => (o.label, o.makes_functions),
        _ => ("statement", false),
    };
    let binds = shown.map(Statement::binds).unwrap_or_default();
    let prefix = if scope.is_empty() {
        String::new()
    } else {
        format!("{scope}.")
    };
    let name = if binds.is_empty() {
        format!("{prefix}<{label}>")
    } else {
        binds
            .iter()
            .map(|b| format!("{prefix}{b}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let main_guard = scope.is_empty()
        && matches!(shown.map(|s| &s.kind), Some(StatementKind::Other(o)) if o.is_main_guard);
    // The block that starts the program is named as such, not by the names its loop binds.
    let name = if main_guard {
        MAIN_GUARD_NAME.to_owned()
    } else {
        name
    };
    StatementChange {
        scope: scope.to_owned(),
        in_function: scope.contains(".<locals>."),
        name,
        status,
        label: label.to_owned(),
        binds,
        main_guard,
        makes_functions,
        old_span: old.map(|s| placed(s, old_origin)),
        new_span: new.map(|s| placed(s, new_origin)),
    }
}

/// A statement's span in absolute positions.
fn placed(stmt: &Statement, origin: Option<Origin>) -> crate::tree::Span {
    match origin {
        Some(origin) => stmt.span.at(origin),
        None => stmt.span,
    }
}
