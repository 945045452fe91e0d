"""The landing page: who you are, and where your work is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftersales.accounts.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = (
        Membership.objects.select_related("shop", "buyer").filter(user_id=int(request.user.pk or 0)).first()
    )
    return render(request, "web/home.html", {"membership": membership})
