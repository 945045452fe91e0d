"""The HTTP API at ``/api/v1``: one NinjaAPI, the routers of each app, errors mapped once."""

from __future__ import annotations

from ninja import NinjaAPI

from aftersales.accounts.api import router as accounts_router
from aftersales.analytics.api import router as analytics_router
from aftersales.api import problems
from aftersales.api.auth import TokenAuth
from aftersales.api.rendering import RENDERER
from aftersales.cases.api import router as cases_router
from aftersales.catalog.api import router as catalog_router
from aftersales.chat.api import router as chat_router
from aftersales.logistics.api import router as logistics_router
from aftersales.orders.api import router as orders_router
from aftersales.refunds.api import router as refunds_router
from aftersales.reviews.api import router as reviews_router
from aftersales.timers.api import router as timers_router

api = NinjaAPI(
    title="aftersales",
    version="1",
    description="After-sales service (售后) for e-commerce shops on Pinduoduo's rules. Money is integer fen.",
    auth=TokenAuth(),
    renderer=RENDERER,
    urls_namespace="api",
)
problems.install(api)
api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", orders_router)
api.add_router("", cases_router)
api.add_router("", refunds_router)
api.add_router("", chat_router)
api.add_router("", logistics_router)
api.add_router("", timers_router)
api.add_router("", reviews_router)
api.add_router("", analytics_router)
