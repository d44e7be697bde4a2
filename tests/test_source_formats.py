"""Source files as editors write them: line endings, encodings, odd characters, atomic saves."""

from __future__ import annotations

import inspect
import os
import traceback

import limeade
import pytest

BODY = [
    "def a():",
    "    return 1",
    "",
    "def f():",
    '    return "old"',
    "",
    "def g():",
    '    raise ValueError("g")',
]


def _check(live, data: bytes, old: bytes = b'"old"', new: bytes = b'"new"') -> None:
    live.write_bytes("m", data)
    m = live.load("m")
    f, g = m.f, m.g
    text = live.path("m").read_bytes()
    text = text.replace(old, new, 1)
    # Two comment lines above everything, with the file's own line ending.
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    start = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    text = text[:start] + b"# one" + newline + b"# two" + newline + text[start:]
    live.path("m").write_bytes(text)
    live.refresh()
    assert f() == "new"
    with pytest.raises(ValueError) as info:
        g()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    lines = text.decode("utf-8-sig").replace("\r\n", "\n").split("\n")
    assert frame.line == 'raise ValueError("g")'
    assert lines[frame.lineno - 1].strip() == 'raise ValueError("g")'
    assert inspect.getsource(g).splitlines()[0] == "def g():"


def test_crlf_line_endings(live):
    _check(live, "\r\n".join([*BODY, ""]).encode())


def test_utf8_bom(live):
    _check(live, b"\xef\xbb\xbf" + "\n".join([*BODY, ""]).encode())


def test_no_trailing_newline(live):
    _check(live, "\n".join(BODY).encode())


def test_tab_indentation(live):
    _check(live, "\n".join([*BODY, ""]).replace("    ", "\t").encode())


def test_non_ascii_identifiers_and_strings(live):
    body = [*BODY, "", "def café():", '    return "naïve ☕"', ""]
    _check(live, "\n".join(body).encode())
    assert live.module("m").café() == "naïve ☕"


def test_form_feed_line_between_definitions(live):
    # A form feed (page break) on its own line, as in many GNU-style and CPython sources.
    body = [*BODY[:3], "\x0c", *BODY[3:], ""]
    _check(live, "\n".join(body).encode())


def test_line_separator_character_inside_string(live):
    body = ["S = 'x\u2028y'", "", *BODY, ""]
    _check(live, "\n".join(body).encode())


def test_latin1_coding_cookie(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    live.write_bytes("m", b"# -*- coding: latin-1 -*-\ndef f():\n    return '\xe9'\n")
    live.refresh()
    assert f() == "\xe9"


def test_atomic_save_by_rename(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    path = live.path("m")
    for value in (2, 3):
        tmp = path.with_suffix(".py.swp")
        tmp.write_text(f"def f():\n    return {value}\n", encoding="utf-8")
        os.replace(tmp, path)
        live.refresh()
        assert f() == value


def test_edit_after_plan_is_seen_by_refresh(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    live.write("m", "def f():\n    return 2\n")
    assert limeade.plan().modules == [m.__name__]
    live.write("m", "def f():\n    return 3\n")
    live.refresh()
    assert f() == 3
