"""Domain errors: a stable code, an HTTP status, and a message in the caller's language.

Services raise these; the API maps them once to problem+json and the pages to a message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    title = gettext_lazy("The request cannot be carried out")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.code)

    def detail(self) -> str:
        return str(self.title)

    def extra(self) -> dict[str, Any]:
        """Fields added to the problem+json body: machine-readable, never translated."""
        tz = ZoneInfo(str(self.params["time_zone"])) if "time_zone" in self.params else None
        return {
            k: (v.astimezone(tz).isoformat() if tz else v.isoformat()) if isinstance(v, datetime) else v
            for k, v in self.params.items()
        }


def _local_text(at: datetime, tz: str, *, end_of_day: bool = False) -> str:
    """``11月15日 10:00`` / ``Nov 15 10:00``; with ``end_of_day`` the midnight that ends a day is written
    as 24:00 of that day, the way Chinese shops state a deadline."""
    local = at.astimezone(ZoneInfo(tz))
    hour = local.strftime("%H:%M")
    if end_of_day and local.hour == 0 and local.minute == 0:
        local = local - timedelta(days=1)
        hour = "24:00"
    if (get_language() or "zh-hans").startswith("zh"):
        return f"{local.month}月{local.day}日 {hour}"
    return f"{local.strftime('%b')} {local.day} {hour}"


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    title = gettext_lazy("The request is not valid")

    def detail(self) -> str:
        message = self.params.get("message")
        return str(message) if message else str(self.title)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = gettext_lazy("Not found")

    def detail(self) -> str:
        what = str(self.params.get("what", "resource"))
        return _("No %(what)s with this identifier exists for you.") % {
            "what": NOT_FOUND_WHAT.get(what, what)
        }


class NoSuchPath(NotFound):
    """A path the API does not have (``path``), answered as any other ``not_found``."""

    def detail(self) -> str:
        return _("The API has no %(path)s; its paths are listed at /api/v1/docs.") % {
            "path": self.params.get("path", "")
        }


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    title = gettext_lazy("Method not allowed")

    def detail(self) -> str:
        return _("%(method)s is not accepted here; this path takes %(allowed)s.") % {
            "method": self.params.get("method", ""),
            "allowed": ", ".join(self.params.get("allowed_methods", [])),
        }


NOT_FOUND_WHAT = {
    "order": gettext_lazy("order"),
    "SKU": gettext_lazy("SKU"),
    "after-sales case": gettext_lazy("after-sales case"),
    "shop": gettext_lazy("shop"),
    "refund": gettext_lazy("refund"),
    "resource": gettext_lazy("resource"),
}


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title = gettext_lazy("Authentication required")

    def detail(self) -> str:
        return _("Send a valid API token as 'Authorization: Bearer <token>'.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = gettext_lazy("Not allowed for your role")

    def detail(self) -> str:
        return _("This action is for %(roles)s; your token is for %(role)s.") % {
            "roles": ", ".join(self.params.get("allowed_roles", [])),
            "role": self.params.get("role", ""),
        }


class ActionNotAllowed(DomainError):
    code = "action_not_allowed"
    status = 409
    title = gettext_lazy("Action not allowed now")

    def detail(self) -> str:
        allowed = ", ".join(self.params.get("allowed_actions", [])) or _("none")
        return _("'%(action)s' is not allowed in state '%(state)s'. Allowed now: %(allowed)s.") % {
            "action": self.params.get("action", ""),
            "state": self.params.get("state", ""),
            "allowed": allowed,
        }


class StaleVersion(DomainError):
    code = "stale_version"
    status = 409
    title = gettext_lazy("The case has changed")

    def detail(self) -> str:
        return _("You sent version %(sent)s but the case is at version %(current)s; reload it and retry.") % {
            "sent": self.params.get("sent_version"),
            "current": self.params.get("current_version"),
        }


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 409
    title = gettext_lazy("Idempotency key reused")

    def detail(self) -> str:
        return _("This Idempotency-Key was already used with a different request.")


class OrderExists(DomainError):
    code = "order_exists"
    status = 409
    title = gettext_lazy("Order already exists")

    def detail(self) -> str:
        return _("Order %(order_sn)s already exists.") % {"order_sn": self.params.get("order_sn")}


ENTRY_CLOSED_REASONS = {
    "suspected_abuse": gettext_lazy("suspected abuse (repeated applications for the same item)"),
    "platform": gettext_lazy("closed by the platform"),
    "max_applications_reached": gettext_lazy("all applications for this order have been used"),
    "window_expired": gettext_lazy("the after-sales period has ended"),
}


class EntryClosed(DomainError):
    code = "entry_closed"
    status = 422
    title = gettext_lazy("After-sales entry closed")

    def detail(self) -> str:
        reason = self.params.get("entry_closed_reason", "")
        label = ENTRY_CLOSED_REASONS.get(reason, reason)
        return _(
            "The after-sales entry of this order is closed: %(reason)s. Only the platform can reopen it."
        ) % {"reason": label}


class CaseAlreadyOpen(DomainError):
    code = "case_already_open"
    status = 422
    title = gettext_lazy("A case is already open")

    def detail(self) -> str:
        return _("Case %(case_id)s is still open on this order item; finish or cancel it first.") % {
            "case_id": self.params.get("case_id")
        }


class MaxApplicationsReached(DomainError):
    code = "max_applications_reached"
    status = 422
    title = gettext_lazy("No applications left")

    def detail(self) -> str:
        return _("This order has had %(used)s after-sales applications; at most %(max)s are allowed.") % {
            "used": self.params.get("applications_used"),
            "max": self.params.get("max_applications"),
        }


class WindowExpired(DomainError):
    code = "window_expired"
    status = 422
    title = gettext_lazy("After-sales period ended")

    def detail(self) -> str:
        tz = str(self.params.get("time_zone", "Asia/Shanghai"))
        return _("Signed for on %(signed)s; after-sales could be requested until %(end)s.") % {
            "signed": _local_text(self.params["signed_at"], tz),
            "end": _local_text(self.params["window_ends_at"], tz, end_of_day=True),
        }


class NoReasonReturnExcluded(DomainError):
    code = "no_reason_return_excluded"
    status = 422
    title = gettext_lazy("No-reason return not available")

    def detail(self) -> str:
        return _(
            "%(sku)s is excluded from no-reason returns by law; choose a reason that describes a fault."
        ) % {"sku": self.params.get("sku")}


class AmountExceedsRefundable(DomainError):
    code = "amount_exceeds_refundable"
    status = 422
    title = gettext_lazy("Amount above what can be refunded")

    def detail(self) -> str:
        from aftersales.core.money import fen_to_yuan

        return _("You asked for %(requested)s yuan; at most %(refundable)s yuan can be refunded.") % {
            "requested": fen_to_yuan(int(self.params.get("requested_fen", 0))),
            "refundable": fen_to_yuan(int(self.params.get("refundable_fen", 0))),
        }


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 422
    title = gettext_lazy("Not enough stock")

    def detail(self) -> str:
        return _("%(sku)s has %(available)s available; %(needed)s needed.") % {
            "sku": self.params.get("sku"),
            "available": self.params.get("available"),
            "needed": self.params.get("needed"),
        }


class UnknownCarrier(DomainError):
    code = "unknown_carrier"
    status = 422
    title = gettext_lazy("Unknown carrier")

    def detail(self) -> str:
        return _("'%(carrier)s' is not a known carrier code. Known: %(known)s.") % {
            "carrier": self.params.get("carrier"),
            "known": ", ".join(self.params.get("known_carriers", [])),
        }


class InvalidTrackingNo(DomainError):
    code = "invalid_tracking_no"
    status = 422
    title = gettext_lazy("Invalid tracking number")

    def detail(self) -> str:
        return _("'%(tracking_no)s' does not fit the format of %(carrier)s (%(format)s).") % {
            "tracking_no": self.params.get("tracking_no"),
            "carrier": self.params.get("carrier"),
            "format": self.params.get("format"),
        }


class NotShipped(DomainError):
    code = "not_shipped"
    status = 422
    title = gettext_lazy("Order not shipped")

    def detail(self) -> str:
        return _("This order has not been shipped; only a refund-only application is possible.")


class AlreadyRated(DomainError):
    code = "already_rated"
    status = 409
    title = gettext_lazy("Already rated")

    def detail(self) -> str:
        return _("The service on case %(case_id)s has already been rated; a case is rated once.") % {
            "case_id": self.params.get("case_id")
        }
