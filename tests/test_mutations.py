"""The commit's mutation list (:class:`limeade._mutations.Mutations`): what it answers about a
commit before it happens must follow every way the list is built or rewritten, and what it
builds is what ``limeade._native.commit`` applies."""

from __future__ import annotations

import types

from limeade import _native
from limeade._mutations import DELETED, Mutations


def test_questions_follow_the_list_as_it_is_built_and_rewritten() -> None:
    namespace = {"a": 1, "b": 2}
    holder = types.SimpleNamespace(x=1)
    m = Mutations()
    m.setitem(namespace, "a", 10)
    m.delitem(namespace, "b")
    m.setattr(holder, "x", "old")
    assert m.touched(namespace, "a") and m.touched(namespace, "b")
    assert not m.touched(namespace, "c") and not m.touched({"a": 1}, "a")
    assert m.post_commit(namespace) == {"a": 10}
    assert m.attribute_changes(holder) == {"x": "old"}

    m.replace_values(lambda v: "new" if v == "old" else v)
    assert m.attribute_changes(holder) == {"x": "new"}
    assert m.item_changes(namespace) == {"a": 10, "b": DELETED}
    # Nothing happened yet: the commit applies what the list says, in order.
    assert namespace == {"a": 1, "b": 2} and holder.x == 1
    log = _native.commit(m)
    assert namespace == {"a": 10} and holder.x == "new"
    log.rollback()
    assert namespace == {"a": 1, "b": 2} and holder.x == 1


def test_replace_values_leaves_deletions_and_unchanged_values_alone() -> None:
    namespace = {"a": 1, "b": 2}
    kept = object()
    m = Mutations()
    m.setitem(namespace, "a", kept)
    m.delitem(namespace, "b")
    before = list(m)
    m.replace_values(lambda v: v)
    assert list(m) == before and m[0][3] is kept
