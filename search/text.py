"""Text helpers shared by the backends: folding, tokenising, typo distance and highlighting."""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# A token is a run of letters and digits; this matches what FTS5's unicode61 tokenizer keeps.
TOKEN_RE = re.compile(r"[^\W_]+")
MAX_QUERY_TERMS = 16
MAX_TERM_LEN = 64
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
ELLIPSIS = "…"

# Letters NFKD does not decompose but users type without the accent.
_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch.translate(_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _FoldMap(dict[int, str]):
    """str.translate table that folds each character on first sight and remembers it."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _fold_char(chr(code))
        return out


class _SameLengthFoldMap(dict[int, str]):
    """Like _FoldMap, but one character in, one out, so offsets in the folded text match the original."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        out = self[code] = folded[0] if folded else chr(code)
        return out


_FOLD = _FoldMap()
_FOLD_SAME_LENGTH = _SameLengthFoldMap()


def fold(text: str) -> str:
    """Lowercase and strip diacritics: "Taalcafé" -> "taalcafe"."""
    if not text:
        return ""
    lowered = text.casefold()
    return lowered if lowered.isascii() else lowered.translate(_FOLD)


def fold_same_length(text: str) -> str:
    """fold() that keeps every character's offset (used to place highlights in the original text)."""
    lowered = text.lower()  # str.lower keeps length for practically all text, casefold does not (ß)
    if len(lowered) != len(text):
        lowered = text
    return lowered if lowered.isascii() else lowered.translate(_FOLD_SAME_LENGTH)


def tokens(text: str) -> list[str]:
    """Folded word tokens of a text, in order."""
    return TOKEN_RE.findall(fold(text))


def query_terms(text: str) -> list[str]:
    """Folded, de-duplicated query terms, capped in number and length so hostile input stays cheap."""
    seen: list[str] = []
    # Only look at a bounded prefix of the raw text: a 10 kB query is not a query.
    for tok in TOKEN_RE.findall(fold(text[:2000])):
        tok = tok[:MAX_TERM_LEN]
        if tok not in seen:
            seen.append(tok)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return seen


def ends_with_partial_word(text: str) -> bool:
    """True when the user is still typing the last word (no trailing separator)."""
    return bool(text) and bool(TOKEN_RE.match(text[-1]))


def max_typos(term: str) -> int:
    """Typo budget by word length, as Meilisearch's defaults: 1 from 5 letters, 2 from 9."""
    n = len(term)
    return 0 if n < 5 else 1 if n < 9 else 2


@lru_cache(maxsize=4096)
def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment); returns limit + 1 once it exceeds limit."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        best = cur[0]
        ca = a[i - 1]
        for j in range(1, lb + 1):
            cb = b[j - 1]
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[lb], limit + 1)


class TermMatcher:
    """Finds the words of a text that the query matched: exact (folded) terms or term prefixes."""

    def __init__(self, exact: Iterable[str] = (), prefixes: Iterable[str] = ()) -> None:
        self.exact = frozenset(t for t in exact if t)
        self.prefixes = frozenset(p for p in prefixes if p)
        self._re = _matcher_re(tuple(sorted(self.exact)), tuple(sorted(self.prefixes)))

    def __bool__(self) -> bool:
        return self._re is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) offsets of the matched words in the original text."""
        if self._re is None or not text:
            return []
        return [m.span() for m in self._re.finditer(fold_same_length(text))]


@lru_cache(maxsize=512)
def _matcher_re(exact: tuple[str, ...], prefixes: tuple[str, ...]) -> re.Pattern[str] | None:
    alts = sorted(
        [re.escape(t) for t in exact] + [re.escape(p) + r"[^\W_]*" for p in prefixes], key=len, reverse=True
    )
    if not alts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alts) + r")(?![^\W_])")


def highlight(text: str, matcher: TermMatcher) -> str:
    """The whole text, HTML-escaped, with matched words wrapped in <mark>."""
    if not text:
        return ""
    return _render(text, matcher.spans(text), 0, len(text))


def snippet(text: str, matcher: TermMatcher, *, chars: int = 220) -> str:
    """A short window of the text around the densest group of matches, HTML-escaped, matches in <mark>."""
    if not text:
        return ""
    spans = matcher.spans(text)
    if len(text) <= chars:
        return _render(text, spans, 0, len(text))
    if spans:
        starts = [s for s, _ in spans]
        best, best_n = starts[0], 0
        for i, s in enumerate(starts):
            n = bisect.bisect_left(starts, s + chars - 40) - i
            if n > best_n:
                best, best_n = s, n
        start = max(0, best - 50)
    else:
        start = 0
    end = min(len(text), start + chars)
    if end == len(text):
        start = max(0, end - chars)
    # Snap to word boundaries so no word is cut in half.
    if start > 0:
        m = _WORD_START.search(text, start)
        start = m.start() if m and m.start() < end else start
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    inner = [(s, e) for s, e in spans if s >= start and e <= end]
    body = _render(text, inner, start, end)
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


_WORD_START = re.compile(r"(?<![^\W_])[^\W_]")


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for s, e in spans:
        out.append(html.escape(text[pos:s], quote=False))
        out.append(MARK_OPEN + html.escape(text[s:e], quote=False) + MARK_CLOSE)
        pos = e
    out.append(html.escape(text[pos:end], quote=False))
    return "".join(out).strip()


def escape_marked(text: str, pre: str, post: str) -> str:
    """HTML-escape text that carries raw pre/post markers, turning the markers into <mark> tags."""
    escaped = html.escape(text or "", quote=False)
    return escaped.replace(html.escape(pre, quote=False), MARK_OPEN).replace(
        html.escape(post, quote=False), MARK_CLOSE
    )
