"""The after-sales case (售后单) and its timeline. Fields and intent methods only: no queries, no clock reads.

Only ``AfterSale.apply`` assigns ``state``; it looks the edge up in ``transitions.py`` and returns the one
event that records the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import models

from aftersales.accounts.models import Buyer, Shop
from aftersales.cases import transitions
from aftersales.core.actors import Actor
from aftersales.orders.models import Order, OrderItem

# Far-future sort key for cases without a deadline, so the queue can be ordered and paged by one index.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

TYPE_CHOICES = [(t, t) for t in transitions.TYPES]
STATE_CHOICES = [(s, s) for s in transitions.STATES]


class AfterSale(models.Model):
    # No index of its own: every index of the case table below starts with the shop.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_index=False)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="cases", db_index=False
    )  # covered by case_order, which starts with the shop: an order's cases are read with its shop
    order_sn = models.CharField(max_length=64)
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, db_index=False
    )  # covered by an index below that starts with it
    type = models.CharField(max_length=16, choices=TYPE_CHOICES)
    state = models.CharField(max_length=32, choices=STATE_CHOICES)
    close_reason = models.CharField(max_length=32, blank=True)
    waiting_on = models.CharField(max_length=16, blank=True)
    reason_code = models.CharField(max_length=32)
    merchant_fault = models.BooleanField()
    return_freight_payer = models.CharField(max_length=16)
    refund_fen = models.BigIntegerField(default=0)
    freight_refund_fen = models.BigIntegerField(default=0)
    exchange_sku = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)
    return_address = models.JSONField(null=True, blank=True)
    initiated_by = models.CharField(max_length=16)
    counts_as_application = models.BooleanField(default=True)
    refund_decided_by = models.CharField(max_length=16, blank=True)
    merchant_liable = models.BooleanField(default=False)
    deadline_at = models.DateTimeField(null=True, blank=True)
    due_sort = models.DateTimeField(default=NO_DEADLINE)
    version = models.PositiveIntegerField(default=1)
    event_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["shop", "waiting_on", "due_sort", "id"], name="case_queue_waiting"),
            models.Index(fields=["shop", "state", "due_sort", "id"], name="case_queue_state"),
            models.Index(fields=["shop", "due_sort", "id"], name="case_queue_all"),
            models.Index(fields=["shop", "created_at", "id"], name="case_created"),
            # Both also hold what the risk flags of a queue page ask of a buyer's cases (an order's case types;
            # whether a recent case of the shop counts as an application), so those reads stay in the index.
            models.Index(fields=["shop", "order", "type"], name="case_order"),
            models.Index(
                fields=["buyer", "created_at", "shop", "counts_as_application"], name="case_buyer_created"
            ),
        ]

    @property
    def is_final(self) -> bool:
        return self.state in transitions.FINAL_STATES

    def apply(
        self,
        action: str,
        *,
        actor: Actor,
        at: datetime,
        data: dict[str, Any] | None = None,
        deadline: Callable[[str], datetime | None],
    ) -> CaseEvent:
        """Take ``action`` (an edge of the table) and return the event recording it, unsaved.

        Raises ``ActionNotAllowed`` when the table has no such edge for this state, type and actor."""
        edge = transitions.edge_for(self.state, action, self.type, actor.role)
        before = self.state
        self.state = edge.target(self.type)
        self.close_reason = edge.close_reason or ""
        self.waiting_on = transitions.WAITING_ON[self.state]
        self.deadline_at = None if self.state in transitions.FINAL_STATES else deadline(self.state)
        self.due_sort = self.deadline_at or NO_DEADLINE
        return self._event(action, actor=actor, at=at, before=before, data=data)

    def move_deadline(self, deadline_at: datetime) -> None:
        """An outside fact (a carrier's delivery scan) brings the current state's deadline forward."""
        self.deadline_at = deadline_at
        self.due_sort = deadline_at

    def note(
        self, action: str, *, actor: Actor, at: datetime, data: dict[str, Any] | None = None
    ) -> CaseEvent:
        """Record something that happened to the case without a change of state (a refund failing, an alert)."""
        return self._event(action, actor=actor, at=at, before=self.state, data=data)

    def _event(
        self, action: str, *, actor: Actor, at: datetime, before: str, data: dict[str, Any] | None
    ) -> CaseEvent:
        self.version += 1
        self.event_seq += 1
        self.updated_at = at
        return CaseEvent(
            shop_id=self.shop_id,
            case=self,
            seq=self.event_seq,
            at=at,
            action=action,
            actor_role=actor.role,
            actor_id=actor.id,
            from_state=before,
            to_state=self.state,
            data=data or {},
        )


class CaseItem(models.Model):
    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_constraint=False)
    # Its index is the one below that starts with it.
    case = models.ForeignKey(AfterSale, on_delete=models.CASCADE, related_name="items", db_index=False)
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT)
    sku_code = models.CharField(max_length=64)
    qty = models.PositiveIntegerField()

    class Meta:
        # Rule 8's count reads a case's SKUs from the index alone.
        indexes = [models.Index(fields=["case", "sku_code"], name="caseitem_case_sku")]


class CaseEvent(models.Model):
    """One change of a case. Never updated, never deleted."""

    # Both covered by the indexes below that start with them.
    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    case = models.ForeignKey(AfterSale, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    action = models.CharField(max_length=32)
    actor_role = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique")]
        indexes = [models.Index(fields=["shop", "at"], name="event_shop_at")]
        ordering = ["seq"]
