"""Text helpers: folding, query words, typo distance, highlighting."""

from __future__ import annotations

import pytest

from search import fold
from search.text import (
    TermMatcher,
    edit_distance,
    ends_with_partial_word,
    escape_marked,
    highlight,
    max_typos,
    query_terms,
    snippet,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Taalcafé", "taalcafe"),
        ("Súdwest-Fryslân", "sudwest-fryslan"),
        ("CAFÉ Crème", "cafe creme"),
        ("Ærø Øresund", "aero oresund"),
        ("straße", "strasse"),
        ("e\u0301", "e"),  # decomposed accent
        ("", ""),
    ],
)
def test_fold_lowercases_and_strips_diacritics(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_query_terms_are_folded_deduplicated_and_capped() -> None:
    assert query_terms("Taalcafé taalcafe, De BRUG!") == ["taalcafe", "de", "brug"]
    assert query_terms("a_b 'quoted' \"x\" (y) NEAR/2 *z*") == [
        "a",
        "b",
        "quoted",
        "x",
        "y",
        "near",
        "2",
        "z",
    ]
    assert len(query_terms(" ".join(f"w{i}" for i in range(500)))) == 16
    assert query_terms("x" * 10_000) == ["x" * 64]
    assert query_terms("🙂 ✨ -- ;") == []


def test_partial_last_word() -> None:
    assert ends_with_partial_word("voedsel")
    assert not ends_with_partial_word("voedsel ")
    assert not ends_with_partial_word("")


def test_typo_budget_and_distance() -> None:
    assert [max_typos(w) for w in ("kast", "brugs", "voedselb", "voedselbank")] == [0, 1, 1, 2]
    assert edit_distance("voedselbnk", "voedselbank") == 1
    assert edit_distance("taalcfae", "taalcafe") == 1  # transposition counts once
    assert edit_distance("kringlop", "kringloop") == 1
    assert edit_distance("abc", "xyzabc", 2) == 3  # beyond the limit


def test_highlight_escapes_and_marks_whole_words_only() -> None:
    m = TermMatcher(exact=["taalcafe", "brug"], prefixes=["voedsel"])
    html = highlight('Taalcafé <De Brug> & "voedselbank", bruggen', m)
    assert (
        html == '<mark>Taalcafé</mark> &lt;De <mark>Brug</mark>&gt; &amp; "<mark>voedselbank</mark>", bruggen'
    )
    assert highlight("<b>niets</b>", TermMatcher()) == "&lt;b&gt;niets&lt;/b&gt;"


def test_snippet_is_short_centred_on_matches_and_escaped() -> None:
    text = " ".join(["vulling"] * 80) + " de <voedselbank> helpt " + " ".join(["einde"] * 80)
    s = snippet(text, TermMatcher(prefixes=["voedsel"]))
    assert s.startswith("…") and s.endswith("…")
    assert "&lt;<mark>voedselbank</mark>&gt;" in s
    assert len(s) < 300
    assert snippet("kort", TermMatcher()) == "kort"


def test_escape_marked_turns_markers_into_marks() -> None:
    assert escape_marked("a \ue000<b>\ue001 & c", "\ue000", "\ue001") == "a <mark>&lt;b&gt;</mark> &amp; c"
