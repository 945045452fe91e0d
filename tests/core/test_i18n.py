"""Chinese by default, English on request: the problem+json bodies, the domain messages, the pages,
and a catalogue in which every message is translated."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from aftersales.core import errors
from aftersales.core.errors import ENTRY_CLOSED_REASONS, DomainError, WindowExpired

CATALOGUE_DIR = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "django.po"
MO_FILE = CATALOGUE_DIR / "django.mo"

CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _has_chinese(text: str) -> bool:
    return bool(CJK.search(text))


# --- the API ---------------------------------------------------------------------------------------


def test_problem_is_in_chinese_by_default(client: Any, db: Any) -> None:
    response = client.get("/api/v1/after-sales")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert _has_chinese(body["title"]), body
    assert _has_chinese(body["detail"]), body
    assert "Authorization: Bearer <token>" in body["detail"]
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("accept_language", ["en", "en-US,en;q=0.9"])
def test_problem_is_in_english_on_request(client: Any, db: Any, accept_language: str) -> None:
    response = client.get("/api/v1/after-sales", headers={"Accept-Language": accept_language})

    assert response.status_code == 401
    body = response.json()
    assert body["title"] == "Authentication required"
    assert body["detail"] == "Send a valid API token as 'Authorization: Bearer <token>'."
    assert not _has_chinese(body["title"] + body["detail"])
    assert response["Content-Language"] == "en"


# --- domain messages ---------------------------------------------------------------------------------

# 2026-11-15 10:00 and 2026-11-23 00:00 in Asia/Shanghai (UTC+8), given in UTC as they are stored.
SIGNED_AT = datetime(2026, 11, 15, 2, 0, tzinfo=UTC)
WINDOW_ENDS_AT = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def _window_expired() -> WindowExpired:
    return WindowExpired(signed_at=SIGNED_AT, window_ends_at=WINDOW_ENDS_AT, time_zone="Asia/Shanghai")


def test_window_expired_in_chinese() -> None:
    with translation.override("zh-hans"):
        error = _window_expired()
        assert str(error.title) == "已超过售后期"
        assert error.detail() == "签收于 11月15日 10:00，可申请售后至 11月22日 24:00。"


def test_window_expired_in_english() -> None:
    with translation.override("en"):
        error = _window_expired()
        assert str(error.title) == "After-sales period ended"
        detail = error.detail()
    assert "Nov 15 10:00" in detail
    assert "Nov 22 24:00" in detail
    assert detail == "Signed for on Nov 15 10:00; after-sales could be requested until Nov 22 24:00."


def test_window_expired_defaults_to_shop_time_in_chinese() -> None:
    with translation.override("zh-hans"):
        detail = WindowExpired(signed_at=SIGNED_AT, window_ends_at=WINDOW_ENDS_AT).detail()
    assert "11月15日 10:00" in detail
    assert "11月22日 24:00" in detail


def test_reason_labels_in_chinese() -> None:
    from aftersales.cases.reasons import REASONS

    with translation.override("zh-hans"):
        labels = {code: str(reason.label) for code, reason in REASONS.items()}
    assert labels == {
        "quality_issue": "质量问题",
        "missing_item": "少件/漏发",
        "wrong_item": "发错货",
        "damaged": "破损",
        "not_as_described": "与描述不符",
        "not_received": "未收到货",
        "no_longer_needed": "不想要了",
        "ordered_by_mistake": "拍错/多拍",
        "size_unsuitable": "尺码不合适",
    }


def _domain_errors() -> list[type[DomainError]]:
    return [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, DomainError) and obj.__module__ == errors.__name__
    ]


@pytest.mark.parametrize("error_class", _domain_errors(), ids=lambda cls: cls.__name__)
def test_every_error_title_is_translated(error_class: type[DomainError]) -> None:
    with translation.override("zh-hans"):
        assert _has_chinese(str(error_class.title)), error_class
    with translation.override("en"):
        assert not _has_chinese(str(error_class.title)), error_class


@pytest.mark.parametrize("reason", sorted(ENTRY_CLOSED_REASONS))
def test_entry_closed_reason_reads_as_one_chinese_sentence(reason: str) -> None:
    with translation.override("zh-hans"):
        detail = errors.EntryClosed(entry_closed_reason=reason).detail()
    assert detail.startswith("该订单的售后入口已关闭：")
    assert not re.search(r"[A-Za-z]", detail), detail


# --- pages ------------------------------------------------------------------------------------------


def test_login_page_is_in_chinese_by_default(client: Any, db: Any) -> None:
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<h1>登录</h1>" in html
    assert "用户名" in html
    assert "密码" in html
    assert "Log in" not in html


def test_login_page_in_english_on_request(client: Any, db: Any) -> None:
    response = client.get("/accounts/login/", headers={"Accept-Language": "en"})

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert not _has_chinese(html.split("<body>", 1)[1])


# --- the catalogue ----------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    value = ast.literal_eval(line)
    assert isinstance(value, str)
    return value


def _parse_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a ``.po`` file: ``msgid``, ``msgid_plural``, ``msgstr`` (a list, one per plural
    form), ``msgctxt`` and ``flags``. Obsolete (``#~``) entries are skipped."""
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    field: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal entry, field
        if "msgid" in entry:
            entries.append(entry)
        entry, field = {}, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            if "msgid" in entry and not line.startswith("#~"):
                finish()
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, text = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword in ("msgctxt", "msgid") and "msgid" in entry:
                finish()
            if keyword == "msgstr":
                position = int(index) if index is not None else 0
                strings = entry.setdefault("msgstr", [])
                strings.extend([""] * (position + 1 - len(strings)))
                strings[position] = text
                field = ("msgstr", position)
            else:
                entry[keyword] = text
                field = (keyword, None)
            continue
        assert line.startswith('"') and field is not None, f"unexpected line in {path.name}: {raw!r}"
        name, position = field
        if position is None:
            entry[name] += _unquote(line)
        else:
            entry[name][position] += _unquote(line)
    finish()
    for item in entries:
        item.setdefault("flags", set())
        item.setdefault("msgstr", [""])
    return entries


def _messages() -> list[dict[str, Any]]:
    return [e for e in _parse_po(PO_FILE) if e["msgid"]]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_catalogue_header_is_final() -> None:
    header = next(e for e in _parse_po(PO_FILE) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Content-Type: text/plain; charset=UTF-8" in header["msgstr"][0]
    assert "Language: zh_Hans" in header["msgstr"][0]


def test_catalogue_has_the_known_messages() -> None:
    msgids = {e["msgid"] for e in _messages()}
    assert len(msgids) == len(_messages()), "a msgid appears twice"
    for expected in (
        "Authentication required",
        "Signed for on %(signed)s; after-sales could be requested until %(end)s.",
        "Quality problem",
        "Log in",
    ):
        assert expected in msgids


def test_every_message_is_translated_and_keeps_its_placeholders() -> None:
    problems = []
    for entry in _messages():
        msgid = entry["msgid"]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {msgid!r}")
        for msgstr in entry["msgstr"]:
            if not msgstr.strip():
                problems.append(f"untranslated: {msgid!r}")
            elif not _has_chinese(msgstr):
                problems.append(f"not Chinese: {msgid!r} -> {msgstr!r}")
            if _placeholders(msgstr) != _placeholders(msgid):
                problems.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
            if "python-format" in entry["flags"]:
                values = dict.fromkeys(_placeholders(msgid), "x")
                try:
                    msgstr % values
                except (TypeError, ValueError, KeyError) as exc:
                    problems.append(f"does not format ({exc}): {msgstr!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_matches_the_po_file() -> None:
    assert MO_FILE.exists(), "run compilemessages"
    with MO_FILE.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for entry in _messages():
        assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]
