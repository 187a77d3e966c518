from __future__ import annotations

import unicodedata

import pytest

from rules.text_forms import (
    deal_id_key,
    fold_case,
    fold_text,
    join_cjk_words,
    normalize_text,
    owner_key,
    quote_showing_invisible,
    tidy_spaces,
)

INVISIBLE_MARKS = {
    "soft-hyphen": "\u00ad",
    "arabic-letter-mark": "\u061c",
    "zero-width-space": "\u200b",
    "left-to-right-mark": "\u200e",
    "right-to-left-mark": "\u200f",
    "left-to-right-embedding": "\u202a",
    "right-to-left-embedding": "\u202b",
    "pop-directional-formatting": "\u202c",
    "left-to-right-override": "\u202d",
    "right-to-left-override": "\u202e",
    "word-joiner": "\u2060",
    "left-to-right-isolate": "\u2066",
    "right-to-left-isolate": "\u2067",
    "first-strong-isolate": "\u2068",
    "pop-directional-isolate": "\u2069",
    "byte-order-mark": "\ufeff",
}


@pytest.mark.parametrize(
    "mark", list(INVISIBLE_MARKS.values()), ids=list(INVISIBLE_MARKS)
)
def test_normalize_text_drops_invisible_mark(mark: str) -> None:
    assert normalize_text(f"{mark}Ana Li{mark}ma{mark}") == "Ana Lima"


@pytest.mark.parametrize(
    "joiner", ["\u200c", "\u200d"], ids=["zero-width-non-joiner", "zero-width-joiner"]
)
def test_normalize_text_keeps_joiners(joiner: str) -> None:
    # The Persian word "mikhaham" (I want) has a non-joiner after its prefix.
    word = f"\u0645\u06cc{joiner}\u062e\u0648\u0627\u0647\u0645"

    assert normalize_text(word) == word


def test_fold_text_drops_direction_mark() -> None:
    assert fold_text("Lead\u200f") == "lead"


@pytest.mark.parametrize(
    "spelling",
    [
        "Ana Lima",
        "ana lima",
        " ANA  LIMA ",
        "AnaLima",
        "Ana\u00a0Lima",
        "Ana\u3000Lima",
        "Ana\tLima\n",
        "Ana Lima\u200f",
        "Ａｎａ Ｌｉｍａ",
    ],
    ids=[
        "entry",
        "lower-case",
        "padded",
        "no-space",
        "no-break-space",
        "ideographic-space",
        "tab-and-newline",
        "direction-mark",
        "full-width",
    ],
)
def test_owner_key_ignores_case_and_spaces(spelling: str) -> None:
    assert owner_key(spelling) == "analima"


def test_owner_key_of_padded_chinese_name() -> None:
    assert owner_key("王\u3000芳") == owner_key("王芳")


def test_owner_key_keeps_other_names_apart() -> None:
    assert owner_key("Ana Lima") != owner_key("Ana Lim")


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [
        (" D-1 ", "D-1"),
        ("D-1\u200f", "D-1"),
        ("\u200eD-1 \u200f", "D-1"),
        ("\ufeff D-1", "D-1"),
        ("d-1", "d-1"),
        ("Ｄ-1", "Ｄ-1"),
        ("\u200f", ""),
    ],
    ids=[
        "spaces",
        "mark-after",
        "marks-around-space",
        "byte-order-mark-then-space",
        "case-kept",
        "full-width-kept",
        "only-a-mark",
    ],
)
def test_deal_id_key_drops_spaces_and_marks(deal_id: str, expected: str) -> None:
    assert deal_id_key(deal_id) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A-1", "'A-1'"),
        ("A-1\ufeff", "'A-1' (with an invisible U+FEFF at the end)"),
        ("\u200fA-1", "'A-1' (with an invisible U+200F at the start)"),
        ("A\u00ad-1", "'A-1' (with an invisible U+00AD after 'A')"),
        (
            "\u2066A-1\u200e\u2069",
            "'A-1' (with an invisible U+2066 at the start, U+200E U+2069 at the end)",
        ),
    ],
    ids=["no-marks", "end", "start", "inside", "runs"],
)
def test_quote_showing_invisible_names_marks(text: str, expected: str) -> None:
    assert quote_showing_invisible(text) == expected


@pytest.mark.parametrize(
    ("typed", "tidied"),
    [
        (" Ana  Lima ", "Ana Lima"),
        ("Ana\u00a0Lima\u200b", "Ana Lima"),
        ("Ana\nLima", "Ana Lima"),
        ("王\u3000芳", "王\u3000芳"),
        ("王\u3000\u3000芳\u3000", "王\u3000\u3000芳"),
        ("王 \u3000芳", "王 芳"),
    ],
    ids=[
        "runs",
        "nbsp-and-mark",
        "line-break",
        "ideographic",
        "two-ideographic",
        "mixed",
    ],
)
def test_tidy_spaces_keeps_ideographic_runs(typed: str, tidied: str) -> None:
    assert tidy_spaces(typed) == tidied


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("商机 编号", "商机编号"),
        ("下次跟进 日期 (ID)", "下次跟进日期 (ID)"),
        ("お客様 名", "お客様名"),
        ("deal id", "deal id"),
        ("id 编号", "id编号"),
        ("商机\nid", "商机id"),
        ("阶段 2", "阶段2"),
        ("고객 이름", "고객 이름"),
        ("고객 id", "고객 id"),
    ],
    ids=[
        "chinese",
        "chinese-then-latin",
        "japanese",
        "ascii",
        "latin-then-chinese",
        "chinese-break-latin",
        "chinese-then-digit",
        "korean",
        "korean-then-latin",
    ],
)
def test_join_cjk_words_drops_gaps_between_cjk(text: str, joined: str) -> None:
    assert join_cjk_words(text) == joined


@pytest.mark.parametrize(
    ("capitals", "lower"),
    [
        ("IŞIK", "ışık"),
        ("İLKER", "ilker"),
        ("Işık", "ışık"),
        ("KAZANILDI", "kazanıldı"),
    ],
    ids=["dotless", "dotted", "title-case", "stage"],
)
def test_fold_case_joins_turkish_i(capitals: str, lower: str) -> None:
    assert fold_case(capitals) == fold_case(lower)


def test_fold_text_joins_decomposed_dotted_i() -> None:
    assert fold_text("I\u0307LGI\u0307LI\u0307") == fold_text("ilgili")
    assert fold_text("İlgili".lower()) == "ilgili"


def test_deal_id_key_composes_accents() -> None:
    decomposed = unicodedata.normalize("NFD", "MÜN-001")

    assert deal_id_key(decomposed) == "MÜN-001"
