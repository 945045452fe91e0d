"""Django's session, CSRF, login and message middleware for the web pages only. The API authenticates each
request by its bearer token and keeps no session, so for ``/api/`` these pass the request straight on: no
session store, no CSRF cookie, no user, no message storage to make and then look at on the way out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest
from django.middleware import csrf
from django.utils.deprecation import MiddlewareMixin

API_PREFIX = "/api/"


class _PagesOnly(MiddlewareMixin):
    def __call__(self, request: HttpRequest) -> Any:
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(_PagesOnly, sessions.SessionMiddleware):
    pass


class CsrfViewMiddleware(_PagesOnly, csrf.CsrfViewMiddleware):
    pass


class AuthenticationMiddleware(_PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_PagesOnly, messages.MessageMiddleware):
    pass
