"""Chat cards (domain.md section 7): each card appears exactly once, to the right side, when its change happens,
and never when the change is refused; each side sees only its own cards and the shared ones. Text messages
both ways; other shops and other buyers cannot see the conversation. Reply templates and their placeholders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.cases import services
from aftersales.catalog.models import Sku
from aftersales.chat.models import Message
from aftersales.chat.services import render_template
from aftersales.core.errors import ActionNotAllowed, InsufficientStock, InvalidTrackingNo, UnknownCarrier
from aftersales.orders.models import Order
from aftersales.timers.worker import run_due
from tests.acceptance.support import problem
from tests.conftest import postgres_only
from tests.factories import RETURN_ADDRESS, make_order, make_world, sh

SIGNED = sh(2026, 11, 16, 10)


def _cards(order: Order) -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(conversation__order=order)
        .exclude(card_type="")
        .order_by("id")
        .values_list("card_type", "to")
    )


class Cards:
    """Reads the cards an order's chat got since the last read (or since it was made)."""

    def __init__(self, order: Order) -> None:
        self.order = order
        self.seen = len(_cards(order))

    def new(self) -> list[tuple[str, str]]:
        cards = _cards(self.order)
        fresh, self.seen = cards[self.seen :], len(cards)
        return fresh

    def last(self, card_type: str) -> Message:
        return Message.objects.filter(conversation__order=self.order, card_type=card_type).get()


def _apply(buyer, order: Order, case_type: str, reason_code: str = "quality_issue", sku: str = "PHONE-CASE"):
    return services.apply(
        services.Application(
            order_sn=order.order_sn,
            type=case_type,
            reason_code=reason_code,
            items=[services.ItemRequest(sku, 1)],
        ),
        actor=buyer,
    )


def test_reship_cards_each_once_to_the_right_side(world, frozen):
    # given an order of 3 items and a SKU with nothing available
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    Sku.objects.filter(sku="SOCKS").update(stock=0)
    chat = Cards(order)

    # when the merchant proposes a reship
    case = services.propose_reship(
        services.Proposal(order_sn=order.order_sn, items=[("SOCKS", 1)], reason_code="missing_item"),
        actor=world.merchant,
    )
    # then the buyer gets reship_request, with confirm / decline
    assert chat.new() == [("reship_request", "buyer")]
    request = chat.last("reship_request")
    assert request.case_id == case.pk
    assert [b["action"] for b in request.card_data["buttons"]] == ["confirm", "decline"]
    assert request.card_data["address"]["address"] == order.receiver_address

    # when the buyer confirms
    services.confirm(case.pk, actor=buyer)
    # then the merchant gets reship_request_confirmed linking to the case
    assert chat.new() == [("reship_request_confirmed", "merchant")]
    assert chat.last("reship_request_confirmed").card_data["href"] == f"/workbench/cases/{case.pk}/"

    # when the merchant's agreement is refused for lack of stock
    with pytest.raises(InsufficientStock):
        services.agree(case.pk, actor=world.merchant)
    # then no card is posted
    assert chat.new() == []

    # when stock arrives and the merchant agrees
    Sku.objects.filter(sku="SOCKS").update(stock=5)
    services.agree(case.pk, actor=world.merchant)
    # then the buyer gets reship_in_progress
    assert chat.new() == [("reship_in_progress", "buyer")]

    # when the merchant's shipment is refused: a bad number, an unknown carrier
    with pytest.raises(InvalidTrackingNo):
        services.ship(case.pk, actor=world.merchant, carrier="ZTO", tracking_no="12345")
    with pytest.raises(UnknownCarrier):
        services.ship(case.pk, actor=world.merchant, carrier="DHL", tracking_no="1234567890")
    # then no tracking_number card is posted
    assert chat.new() == []

    # when the merchant ships
    services.ship(case.pk, actor=world.merchant, carrier="ZTO", tracking_no="773398765432")
    # then the buyer gets tracking_number with the carrier and the number
    assert chat.new() == [("tracking_number", "buyer")]
    tracking = chat.last("tracking_number").card_data
    assert (tracking["carrier"], tracking["tracking_no"]) == ("ZTO", "773398765432")

    # when the merchant ships again (not allowed any more)
    with pytest.raises(ActionNotAllowed):
        services.ship(case.pk, actor=world.merchant, carrier="ZTO", tracking_no="773398765433")
    # then no second tracking_number card
    assert chat.new() == []

    # when the buyer confirms receipt
    services.confirm_received(case.pk, actor=buyer)
    # then the buyer is asked to rate the service, once
    assert chat.new() == [("satisfaction_survey", "buyer")]
    assert chat.last("satisfaction_survey").card_data["scores"] == [1, 2, 3, 4, 5]
    assert {m.case_id for m in Message.objects.filter(conversation__order=order)} == {case.pk}


def test_return_refund_cards_return_address_refund_issued_and_succeeded(world, frozen):
    # given a return_refund for a quality problem
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    case = _apply(buyer, order, "return_refund")
    chat = Cards(order)
    assert chat.new() == []

    # when the merchant agrees with a return address
    case = services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    # then the buyer gets return_address, with the address and the deadline to ship
    assert chat.new() == [("return_address", "buyer")]
    card = chat.last("return_address").card_data
    assert card["address"] == RETURN_ADDRESS
    assert card["deadline_at"] == case.deadline_at.isoformat()
    assert case.deadline_at == frozen.now() + (sh(2026, 11, 25) - sh(2026, 11, 18))

    # when the buyer ships the goods back, paying 8.00 元 freight the merchant bears
    services.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123", freight_fen=800)
    # then no card
    assert chat.new() == []

    # when the merchant accepts the returned goods
    services.receive_return(case.pk, actor=world.merchant, accept=True)
    # then the buyer is told the money is on its way: the goods and the return freight
    assert chat.new() == [("refund_issued", "buyer")]
    issued = chat.last("refund_issued").card_data
    assert issued["amount_fen"] == 1990 + 800
    assert issued["due_by"]

    # when the refund settles
    with CaptureQueriesContext(connection) as seen:
        run_due()
    # then the buyer is told it arrived, and asked to rate the service, in that order, by one statement
    assert chat.new() == [("refund_succeeded", "buyer"), ("satisfaction_survey", "buyer")]
    posted = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("INSERT INTO chat_message")]
    assert len(posted) == 1
    assert chat.last("refund_succeeded").card_data["amount_fen"] == 2790

    # when the worker passes again
    run_due()
    # then nothing is posted twice
    assert chat.new() == []


def test_rejected_card_has_reason_and_options(world, frozen):
    # given a refund_only application
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    case = _apply(buyer, order, "refund_only", reason_code="damaged")
    chat = Cards(order)

    # when the merchant rejects it with a reason
    services.reject(case.pk, actor=world.merchant, reason="外观无损")
    # then the buyer gets rejected, with the reason and what they can do
    assert chat.new() == [("rejected", "buyer")]
    card = chat.last("rejected").card_data
    assert card["reason"] == "外观无损"
    assert card["options"] == ["reapply", "escalate"]

    # when the merchant rejects again
    with pytest.raises(ActionNotAllowed):
        services.reject(case.pk, actor=world.merchant, reason="再次驳回")
    # then no second card
    assert chat.new() == []


@pytest.mark.parametrize(
    ("decision", "cards"),
    [
        ("refund", [("platform_decision", "both"), ("refund_issued", "buyer")]),
        ("reject", [("platform_decision", "both")]),
    ],
)
def test_platform_decision_card_goes_to_both_sides(world, frozen, decision, cards):
    # given a rejected application the buyer escalated
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    case = _apply(buyer, order, "refund_only", reason_code="damaged")
    services.reject(case.pk, actor=world.merchant, reason="外观无损")
    services.escalate(case.pk, actor=buyer, reason="有照片为证")
    chat = Cards(order)

    # when the platform decides
    services.decide(case.pk, actor=world.platform, decision=decision, note="依据照片判定")
    # then both sides get platform_decision, with the decision and the note
    assert chat.new() == cards
    card = chat.last("platform_decision").card_data
    assert (card["decision"], card["note"]) == (decision, "依据照片判定")


def test_platform_deciding_a_return_sends_the_return_address(world, frozen):
    # given a rejected refund_only application the buyer escalated; no return address was ever given
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    case = _apply(buyer, order, "refund_only", reason_code="not_as_described")
    services.reject(case.pk, actor=world.merchant, reason="与描述一致")
    services.escalate(case.pk, actor=buyer, reason="颜色不同")
    chat = Cards(order)

    # when the platform decides the goods go back first
    case = services.decide(case.pk, actor=world.platform, decision="return", note="先退货再退款")

    # then both sides see the decision, and the buyer gets where to send the goods and by when
    assert case.state == "awaiting_return"
    assert sorted(chat.new()) == [("platform_decision", "both"), ("return_address", "buyer")]
    card = chat.last("return_address").card_data
    assert card["address"] == world.shop.default_return_address
    assert card["deadline_at"] == case.deadline_at.isoformat()


def test_refund_instead_of_a_reship_posts_refund_issued(world, frozen):
    # given an agreed reship
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    case = _apply(buyer, order, "reship", reason_code="missing_item", sku="SOCKS")
    services.agree(case.pk, actor=world.merchant)
    chat = Cards(order)

    # when the merchant refunds instead of shipping
    services.refund_instead(case.pk, actor=world.merchant)
    # then the buyer is told the money (what the item cost) is on its way
    assert chat.new() == [("refund_issued", "buyer")]
    assert chat.last("refund_issued").card_data["amount_fen"] == 990


def test_exchange_cards_return_address_then_tracking_number(world, frozen):
    # given an exchange of a shirt for another size
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SHIRT-M", 1, 9900), ("SHIRT-L", 1, 9900)], signed_at=SIGNED)
    case = services.apply(
        services.Application(
            order_sn=order.order_sn,
            type="exchange",
            reason_code="size_unsuitable",
            items=[services.ItemRequest("SHIRT-M", 1)],
            exchange_sku="SHIRT-L",
        ),
        actor=buyer,
    )
    chat = Cards(order)

    # when it runs its course
    services.agree(case.pk, actor=world.merchant)
    services.ship_return(case.pk, actor=buyer, carrier="YTO", tracking_no="YT1234567890123")
    services.receive_return(case.pk, actor=world.merchant, accept=True)
    services.ship(case.pk, actor=world.merchant, carrier="YD", tracking_no="1234567890123")
    services.confirm_received(case.pk, actor=buyer)

    # then the buyer got each card once, in order, and the shop's default return address
    assert chat.new() == [
        ("return_address", "buyer"),
        ("tracking_number", "buyer"),
        ("satisfaction_survey", "buyer"),
    ]
    assert chat.last("return_address").card_data["address"] == world.shop.default_return_address


def test_each_side_sees_its_own_cards_and_the_shared_ones(api, world, frozen):
    # given a merchant-proposed reship the buyer confirmed, and a platform decision on another case
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990), ("PHONE-CASE", 1, 1990)], signed_at=SIGNED)
    case = services.propose_reship(
        services.Proposal(order_sn=order.order_sn, items=[("SOCKS", 1)], reason_code="missing_item"),
        actor=world.merchant,
    )
    services.confirm(case.pk, actor=buyer)
    other = _apply(buyer, order, "refund_only", reason_code="damaged")
    services.reject(other.pk, actor=world.merchant, reason="外观无损")
    services.escalate(other.pk, actor=buyer, reason="有照片为证")
    services.decide(other.pk, actor=world.platform, decision="reject", note="证据不足")
    m, b = api(world.merchant_token), api(buyer_token)

    # when each side reads the conversation
    seen_by_buyer = b.ok(b.get(f"/orders/{order.order_sn}/messages"))["items"]
    seen_by_merchant = m.ok(m.get(f"/orders/{order.order_sn}/messages"))["items"]

    # then the buyer sees the buyer's cards and the shared one, the merchant the merchant's and the shared one
    assert [(x["card"]["type"], x["to"]) for x in seen_by_buyer] == [
        ("reship_request", "buyer"),
        ("rejected", "buyer"),
        ("platform_decision", "both"),
    ]
    assert [(x["card"]["type"], x["to"]) for x in seen_by_merchant] == [
        ("reship_request_confirmed", "merchant"),
        ("platform_decision", "both"),
    ]
    assert all(x["sender"]["role"] == "system" for x in seen_by_buyer + seen_by_merchant)
    decision = seen_by_buyer[-1]
    assert decision == seen_by_merchant[-1]
    assert decision["card"]["case_id"] == other.pk


def test_text_messages_go_both_ways(api, world, frozen):
    # given an order and its buyer
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    m, b = api(world.merchant_token), api(buyer_token)

    # when the buyer writes and the merchant answers
    asked = b.ok(b.post(f"/orders/{order.order_sn}/messages", {"text": "手机壳裂了怎么办？"}), 201)
    frozen.advance(minutes=3)
    answered = m.ok(m.post(f"/orders/{order.order_sn}/messages", {"text": "亲，请拍照给我们看看"}), 201)

    # then each message is addressed to the other side, from its sender
    assert (asked["sender"], asked["to"], asked["card"]) == (
        {"role": "buyer", "id": buyer.id},
        "merchant",
        None,
    )
    assert (answered["sender"], answered["to"]) == ({"role": "merchant", "id": "客服小王"}, "buyer")
    # and both sides read the same conversation, oldest first
    for client in (m, b):
        items = client.ok(client.get(f"/orders/{order.order_sn}/messages"))["items"]
        assert [x["text"] for x in items] == ["手机壳裂了怎么办？", "亲，请拍照给我们看看"]


def test_messages_of_another_shop_or_buyer_are_not_found(api, world, frozen):
    # given an order of this shop and buyer with one message
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    api(buyer_token).ok(api(buyer_token).post(f"/orders/{order.order_sn}/messages", {"text": "在吗"}), 201)
    other_shop = api(make_world().merchant_token)
    other_buyer = api(world.buyer()[1])

    # when another shop's merchant and another buyer read or write in it
    answers = [
        other_shop.get(f"/orders/{order.order_sn}/messages"),
        other_shop.post(f"/orders/{order.order_sn}/messages", {"text": "你好"}),
        other_buyer.get(f"/orders/{order.order_sn}/messages"),
        other_buyer.post(f"/orders/{order.order_sn}/messages", {"text": "你好"}),
        other_shop.get("/orders/NO-SUCH-ORDER/messages"),
    ]

    # then the order does not exist for them, and nothing was written
    for answer in answers:
        problem(answer, 404, "not_found")
    assert Message.objects.filter(conversation__order=order).count() == 1


@pytest.mark.parametrize("text", ["   ", "字" * 2001], ids=["blank", "too_long"])
def test_text_message_empty_or_too_long_is_refused(api, world, frozen, text):
    # given an order
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)

    # when the buyer sends a blank or too long message
    answer = api(buyer_token).post(f"/orders/{order.order_sn}/messages", {"text": text})

    # then it is refused and nothing is stored
    problem(answer, 422, "validation_error")
    assert not Message.objects.filter(conversation__order=order).exists()


def test_reply_template_with_known_placeholders_is_saved(api, world, frozen):
    # given a merchant
    m = api(world.merchant_token)
    body = "亲爱的{buyer_name}，您的补发包裹已由{carrier}寄出，单号{tracking_no}，请在{deadline}前确认。"

    # when they save a reply template, and save it again under the same name with a new body
    saved = m.ok(m.post("/reply-templates", {"name": "补发已发出", "body": body}), 201)
    m.ok(
        m.post("/reply-templates", {"name": "退款", "body": "退款{amount}元已原路退回，订单{order_sn}"}), 201
    )
    m.ok(m.post("/reply-templates", {"name": "补发已发出", "body": body + "{{谢谢}}"}), 201)

    # then the shop has both templates, the first with its new body; another shop has none
    assert saved == {"name": "补发已发出", "body": body}
    listed = m.ok(m.get("/reply-templates"))["items"]
    assert listed == [
        {"name": "补发已发出", "body": body + "{{谢谢}}"},
        {"name": "退款", "body": "退款{amount}元已原路退回，订单{order_sn}"},
    ] or listed == [
        {"name": "退款", "body": "退款{amount}元已原路退回，订单{order_sn}"},
        {"name": "补发已发出", "body": body + "{{谢谢}}"},
    ]
    other = api(make_world().merchant_token)
    assert other.ok(other.get("/reply-templates"))["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        "您好{buyer}，已处理",  # not a placeholder
        "您好{BUYER_NAME}",  # case matters
        "单号{0}",  # positional
        "单号{}",  # empty
        "您好{buyer_name.upper}",  # attribute access
        "优惠{ 还有",  # unbalanced brace
        "优惠} 还有",  # unbalanced brace
        "您好{buyer_name!x}",  # a conversion
        "退款{amount:>10}元",  # a format
    ],
    ids=[
        "unknown",
        "upper_case",
        "positional",
        "empty",
        "attribute",
        "open_brace",
        "close_brace",
        "conversion",
        "format",
    ],
)
def test_reply_template_with_an_unknown_or_broken_placeholder_is_refused(api, world, frozen, body):
    # given a merchant
    m = api(world.merchant_token)

    # when they save a template whose placeholder is unknown or broken
    answer = m.post("/reply-templates", {"name": "坏模板", "body": body})

    # then it is refused with validation_error and nothing is saved
    problem(answer, 422, "validation_error")
    assert m.ok(m.get("/reply-templates"))["items"] == []


def test_reply_templates_are_for_merchants_only(api, world, frozen):
    # given a buyer
    _, buyer_token = world.buyer()
    b = api(buyer_token)

    # when the buyer tries to keep a template
    answer = b.post("/reply-templates", {"name": "模板", "body": "你好"})

    # then the role is refused
    problem(answer, 403, "forbidden")


def test_render_template_fills_known_placeholders():
    # given a template with placeholders, some without a value
    body = "亲爱的{buyer_name}，{carrier}单号{tracking_no}，请在{deadline}前确认。{{原样}}"

    # when it is rendered with some values
    text = render_template(body, {"buyer_name": "张三", "carrier": "中通快递", "tracking_no": "773398765432"})

    # then the known ones are filled, the missing one stays visible, and escaped braces are literal
    assert text == "亲爱的张三，中通快递单号773398765432，请在{deadline}前确认。{原样}"


@postgres_only  # SQLite lets one transaction write at a time: the second would wait for the first one whole
@pytest.mark.django_db(transaction=True)
def test_the_first_cards_of_one_order_posted_at_the_same_moment_both_land_in_its_one_conversation(frozen):
    # given an order with no conversation yet
    import threading

    from django.db import transaction

    from aftersales.chat.cards import Card
    from aftersales.chat.models import Conversation
    from aftersales.chat.services import post_cards

    world = make_world("cards-race")
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=SIGNED)
    posted = threading.Event()
    failed: list[BaseException] = []

    def second() -> None:
        try:
            posted.wait(10)
            with transaction.atomic():  # meets the first one's conversation, not yet committed
                post_cards(shop_id=world.shop.pk, order_id=order.pk, case_id=None,
                           cards=[Card("refund_issued", "buyer")], at=frozen.now())  # fmt: skip
        except BaseException as exc:
            failed.append(exc)
        finally:
            connection.close()

    # when one transaction posts the order's first card and, before it commits, another posts one too
    other = threading.Thread(target=second)
    other.start()
    with transaction.atomic():
        post_cards(shop_id=world.shop.pk, order_id=order.pk, case_id=None,
                   cards=[Card("return_address", "buyer")], at=frozen.now())  # fmt: skip
        posted.set()
        other.join(0.5)  # the other waits for this one's conversation
    other.join(10)

    # then both cards are there, in the order's one conversation
    assert not failed, failed
    assert Conversation.objects.filter(order=order).count() == 1
    assert sorted(_cards(order)) == [("refund_issued", "buyer"), ("return_address", "buyer")]
