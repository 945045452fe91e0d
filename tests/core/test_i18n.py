"""Chinese by default, English on request: the problem+json bodies, the domain messages, the pages,
and a catalogue in which every message is translated."""

from __future__ import annotations

import ast
import dataclasses
import gettext
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from aftersales.core import errors
from aftersales.core.errors import ENTRY_CLOSED_REASONS, DomainError, WindowExpired
from tests.factories import make_order, sh

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


# --- the services' refusals, through the API ---------------------------------------------------------

I18N_ORDER = "SN-I18N-1"
APPLICATION = {"order_sn": I18N_ORDER, "type": "refund_only", "reason_code": "damaged"}
NEW_ORDER = {
    "order_sn": "SN-I18N-2",
    "buyer_id": "buyer-new",
    "receiver": {"name": "李四", "phone": "13900001111", "address": "北京市朝阳区 1 号"},
    "paid_at": "2026-11-10T09:00:00+08:00",
}
NEW_SKU = {"name": "手机壳", "price_fen": 1990, "stock": 5}
KNOWN_PLACEHOLDERS = "{buyer_name}, {order_sn}, {tracking_no}, {carrier}, {deadline}, {amount}, {case_id}"


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A bad request a service refuses with ``validation_error`` naming ``field``, and its detail in each
    language."""

    caller: str
    method: str
    path: str
    body: dict[str, Any] | None
    field: str
    chinese: str
    english: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


REFUSALS = [
    pytest.param(
        Refusal("buyer", "POST", "/api/v1/after-sales",
                {**APPLICATION, "reason_code": "felt_like_it", "items": [{"sku": "PHONE-CASE", "qty": 1}]},
                "reason_code", "未知的售后原因代码“felt_like_it”", "unknown reason_code 'felt_like_it'"),
        id="apply-with-an-unknown-reason",
    ),
    pytest.param(
        Refusal("buyer", "POST", "/api/v1/after-sales",
                {**APPLICATION, "items": [{"sku": "OTHER", "qty": 1}]},
                "items", f"订单 {I18N_ORDER} 中没有 SKU OTHER", f"SKU OTHER is not in order {I18N_ORDER}"),
        id="apply-for-an-item-not-in-the-order",
    ),
    pytest.param(
        Refusal("merchant", "POST", "/api/v1/orders",
                {**NEW_ORDER, "items": [{"sku": "NO-SUCH-SKU", "qty": 1, "unit_price_fen": 100}],
                 "paid_fen": 100},
                "items", "本店没有以下 SKU：NO-SUCH-SKU", "unknown SKU in this shop: NO-SUCH-SKU"),
        id="order-of-an-unknown-sku",
    ),
    pytest.param(
        Refusal("merchant", "POST", "/api/v1/orders",
                {**NEW_ORDER, "items": [{"sku": "PHONE-CASE", "qty": 1, "unit_price_fen": 1990}] * 2,
                 "paid_fen": 3980},
                "items", "每个 SKU 在一个订单中只能出现一次，请合并数量",
                "each SKU appears once per order; add up the quantities"),
        id="order-with-a-sku-twice",
    ),
    pytest.param(
        Refusal("merchant", "POST", "/api/v1/skus", {**NEW_SKU, "sku": "PHONE-CASE"},
                "sku", "本店已有 SKU PHONE-CASE", "SKU PHONE-CASE already exists in this shop"),
        id="sku-that-already-exists",
    ),
    pytest.param(
        Refusal("buyer", "POST", f"/api/v1/orders/{I18N_ORDER}/messages", {"text": "   "},
                "text", "消息长度须为 1 到 2000 个字符", "a message has 1 to 2000 characters"),
        id="chat-message-of-blanks",
    ),
    pytest.param(
        Refusal("merchant", "POST", "/api/v1/reply-templates", {"name": "问候", "body": "您好{buyer}"},
                "body", f"未知的占位符 {{buyer}}；可用的占位符：{KNOWN_PLACEHOLDERS}",
                f"unknown placeholders {{buyer}}; use {KNOWN_PLACEHOLDERS}"),
        id="template-with-an-unknown-placeholder",
    ),
    pytest.param(
        Refusal("merchant", "GET", "/api/v1/after-sales?state=bogus", None,
                "state", "未知的状态“bogus”", "unknown state 'bogus'"),
        id="queue-in-an-unknown-state",
    ),
    pytest.param(
        Refusal("merchant", "GET", "/api/v1/after-sales?cursor=not-a-cursor", None,
                "cursor", "cursor 无效，不是本接口返回的分页游标", "cursor is not one this API gave out"),
        id="queue-from-a-bad-cursor",
    ),
    pytest.param(
        Refusal("merchant", "POST", "/api/v1/skus", {**NEW_SKU, "sku": "NEW-SKU"},
                "Idempotency-Key", "Idempotency-Key 须为 1 到 200 个字符",
                "an Idempotency-Key has 1 to 200 characters", headers={"Idempotency-Key": "k" * 201}),
        id="idempotency-key-too-long",
    ),
]  # fmt: skip


def _refused(client: Any, refusal: Refusal, token: str, language: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", **refusal.headers}
    if language is not None:
        headers["Accept-Language"] = language
    body = json.dumps(refusal.body) if refusal.body is not None else ""
    response = client.generic(
        refusal.method, refusal.path, body, content_type="application/json", headers=headers
    )
    assert response.status_code == 422, response.content.decode()
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Content-Language"] == (language or "zh-hans")
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_service_refusal_is_in_chinese_by_default_and_in_english_on_request(
    client: Any, world: Any, frozen: Any, refusal: Refusal
) -> None:
    # given a shop with a signed-for order of one phone case
    buyer, buyer_token = world.buyer()
    make_order(world, buyer, order_sn=I18N_ORDER, signed_at=sh(2026, 11, 16, 10))
    token = buyer_token if refusal.caller == "buyer" else world.merchant_token
    # when the bad request comes without a language, and again in English
    chinese = _refused(client, refusal, token, None)
    english = _refused(client, refusal, token, "en")
    # then the code and the field are the same, and the detail is in the caller's language
    for body in (chinese, english):
        assert body["code"] == "validation_error", body
        assert body["field"] == refusal.field, body
    assert chinese["detail"] == refusal.chinese
    assert english["detail"] == refusal.english
    assert not _has_chinese(english["detail"])
    assert _has_chinese(chinese["title"])
    assert english["title"] == "The request is not valid"


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
