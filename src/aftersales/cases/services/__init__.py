"""Case commands, one function each. Entry points (API, pages, CLI, worker) call these and nothing below."""

from aftersales.cases.services.apply import Application, ItemRequest, apply
from aftersales.cases.services.buyer import cancel, escalate, reapply, ship_return
from aftersales.cases.services.goods import (
    Proposal,
    confirm,
    confirm_received,
    decline,
    propose_reship,
    refund_instead,
    ship,
)
from aftersales.cases.services.merchant import agree, receive_return, reject
from aftersales.cases.services.payment import record_refund_outcome
from aftersales.cases.services.platform import decide

__all__ = [
    "Application",
    "ItemRequest",
    "Proposal",
    "agree",
    "apply",
    "cancel",
    "confirm",
    "confirm_received",
    "decide",
    "decline",
    "escalate",
    "propose_reship",
    "reapply",
    "receive_return",
    "record_refund_outcome",
    "refund_instead",
    "reject",
    "ship",
    "ship_return",
]
