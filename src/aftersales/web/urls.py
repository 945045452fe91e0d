from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from aftersales.core.bounds import MAX_ID
from aftersales.web.views import buyer, dashboard, merchant, merchant_case, platform, shared


class RowId:
    """A row's id in a path: digits that a key column can hold; any other path finds no page (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "id")

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", shared.home, name="home"),
    # The merchant's workbench
    path("workbench/", merchant.queue, name="merchant-queue"),
    path("workbench/bulk-agree/", merchant.bulk_agree, name="merchant-bulk-agree"),
    path("workbench/shipping/", merchant.shipping, name="merchant-shipping"),
    path("workbench/chats/", merchant.conversations, name="merchant-chats"),
    path("workbench/dashboard/", dashboard.merchant_dashboard, name="merchant-dashboard"),
    path("workbench/dashboard.csv", dashboard.merchant_csv, name="merchant-dashboard-csv"),
    path("workbench/cases/<id:case_id>/", merchant_case.case_detail, name="merchant-case"),
    path(
        "workbench/cases/<id:case_id>/<str:action>/", merchant_case.case_action, name="merchant-case-action"
    ),
    path("workbench/orders/<str:order_sn>/", merchant_case.order_detail, name="merchant-order"),
    path("workbench/orders/<str:order_sn>/chat/", merchant_case.order_chat, name="merchant-order-chat"),
    path(
        "workbench/orders/<str:order_sn>/reship/",
        merchant_case.propose_reship,
        name="merchant-propose-reship",
    ),
    # The buyer
    path("buyer/", buyer.orders, name="buyer-home"),
    path("buyer/orders/<str:order_sn>/", buyer.order_detail, name="buyer-order"),
    path("buyer/orders/<str:order_sn>/apply/", buyer.apply, name="buyer-apply"),
    path("buyer/orders/<str:order_sn>/chat/", buyer.order_chat, name="buyer-order-chat"),
    path("buyer/cases/<id:case_id>/", buyer.case_detail, name="buyer-case"),
    path("buyer/cases/<id:case_id>/rate/", buyer.rate, name="buyer-case-rate"),
    path("buyer/cases/<id:case_id>/<str:action>/", buyer.case_action, name="buyer-case-action"),
    # The platform
    path("platform/", platform.index, name="platform-home"),
    path("platform/dashboard/", dashboard.platform_dashboard, name="platform-dashboard"),
    path("platform/dashboard.csv", dashboard.platform_csv, name="platform-dashboard-csv"),
    path("platform/rankings/", dashboard.rankings, name="platform-rankings"),
    path("platform/cases/<id:case_id>/", platform.case_detail, name="platform-case"),
    path("platform/cases/<id:case_id>/<str:action>/", platform.case_action, name="platform-case-action"),
    path("platform/risk/<id:record_id>/reopen/", platform.reopen, name="platform-reopen"),
]
