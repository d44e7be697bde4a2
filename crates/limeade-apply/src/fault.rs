//! Fault injection for tests: make the k-th mutation of the next refreshes fail, to prove that
//! rollback restores every kind of mutation.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static FAIL_AT: AtomicI64 = AtomicI64::new(-1);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Fail the mutation with index `k` (counted from 0 across commits from now on); `None` turns
/// injection off.
pub fn set_fail_at(k: Option<u64>) {
    COUNTER.store(0, Ordering::SeqCst);
    FAIL_AT.store(k.map_or(-1, |k| k as i64), Ordering::SeqCst);
}

/// Count one mutation; `Some(index)` when it must fail.
pub(crate) fn should_fail() -> Option<u64> {
    let target = FAIL_AT.load(Ordering::SeqCst);
    if target < 0 {
        return None;
    }
    let index = COUNTER.fetch_add(1, Ordering::SeqCst);
    (index as i64 == target).then_some(index)
}

/// Mutations counted since injection was last configured.
pub fn mutation_count() -> u64 {
    COUNTER.load(Ordering::SeqCst)
}
