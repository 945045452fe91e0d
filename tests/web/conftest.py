"""Logins for the pages: a merchant of the world's shop, a buyer, platform staff, each with a test client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from aftersales.accounts.services import create_user
from aftersales.core.actors import BUYER, Actor
from tests.factories import World

PASSWORD = "correct-horse-42"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Hash the test logins' passwords cheaply; the real hasher's cost is for real passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Logins:
    merchant: Client
    buyer: Client
    platform: Client
    buyer_actor: Actor


@pytest.fixture
def logins(world: World, frozen: Any) -> Logins:
    create_user("m-xiaowang", password=PASSWORD, role="merchant", shop=world.shop)
    create_user("p-xiaoli", password=PASSWORD, role="platform")
    membership = create_user("b-zhangsan", password=PASSWORD, role="buyer", buyer_id="buyer-zhangsan")
    assert membership.buyer is not None
    clients = []
    for username in ("m-xiaowang", "b-zhangsan", "p-xiaoli"):
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        clients.append(client)
    buyer = Actor(role=BUYER, id="buyer-zhangsan", buyer_id=membership.buyer.pk)
    return Logins(merchant=clients[0], buyer=clients[1], platform=clients[2], buyer_actor=buyer)


def page(response: Any) -> str:
    """The body of a page as text, after checking it is HTML."""
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    text: str = response.content.decode()
    return text
