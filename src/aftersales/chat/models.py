"""One conversation per order between buyer and merchant: text messages and the system's cards."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Shop
from aftersales.orders.models import Order


class Conversation(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="conversation")
    created_at = models.DateTimeField()


class Message(models.Model):
    """Never edited. A card message has a ``card_type`` (domain.md section 7) and is addressed ``to`` one side
    or both; a text message is from its sender to the other side."""

    # The shop is the conversation's: the conversation's own key to the shop holds it. No check of its own,
    # which on PostgreSQL would lock the shop's row with every card, a lock all the shop's commands share.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, db_index=False, db_constraint=False
    )  # covered by an index below that starts with it
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )  # covered by message_conversation_at: a conversation's messages are read with its shop
    at = models.DateTimeField()
    sender_role = models.CharField(max_length=16)
    sender_id = models.CharField(max_length=64)
    to = models.CharField(max_length=16, help_text="buyer, merchant or both")
    text = models.TextField(blank=True)
    card_type = models.CharField(max_length=32, blank=True)
    # Which case a card is about, shown with the card; no read looks cards up by their case, so no index
    # (one less to write with every card).
    case = models.ForeignKey(
        "cases.AfterSale",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cards",
        db_index=False,
    )
    card_data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "conversation", "at"], name="message_conversation_at")]


class ReplyTemplate(models.Model):
    """A merchant's canned reply (话术) with placeholders like ``{buyer_name}`` or ``{tracking_no}``."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="reply_template_unique_name")]
