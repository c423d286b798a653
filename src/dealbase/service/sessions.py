"""The web app's credentials: sign-in sessions and invitations.

A session is a random 256-bit token stored only as its hash, like an API token, of kind
``session``; it expires (``SESSION_DAYS``) and ends at sign-out, when its user is
deactivated or deleted, and when their password changes (which also spends their
invitations). Its cookie carries the token signed with the installation's key
(HMAC-SHA256), so a forged or altered cookie is refused before any lookup. A request
presents it as ``Credentials(token, "session")`` and reaches the records as that user,
with their role and what they see: the same door as the API.

CSRF tokens are derived from the session (HMAC of its hash under the installation's key):
nothing to store, and they die with it.

An invitation is a token of kind ``invite`` (``INVITE_DAYS``) for a user without a
password: its link lets them choose one, which signs them in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from ..domain.errors import NotFound
from .accounts import INVITE_KIND, SESSION_KIND, Accounts, hash_secret
from .permissions import Permissions
from .records import Context

SESSION_DAYS = 14
INVITE_DAYS = 7
MAX_COOKIE = 200


@dataclass(frozen=True)
class Choice:
    """A company a sign-in's email and password open (more than one: the user picks)."""

    company_id: int
    company_name: str
    user_id: int


@dataclass(frozen=True)
class Invitation:
    """Who an invitation link is for."""

    company_id: int
    company_name: str
    user_id: int
    email: str
    name: str


class Sessions:
    """Sign-in, sessions, CSRF tokens and invitations (``service.sessions``)."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts

    # ---- cookies ---------------------------------------------------------------------

    def _sign(self, token: str) -> str:
        key = self._accounts.key("web")
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def _token(self, cookie: str | None) -> str | None:
        """The session token a cookie carries, if its signature holds."""
        if not cookie or len(cookie) > MAX_COOKIE or not cookie.isascii():
            return None
        token, _, signature = cookie.rpartition(".")
        if not token or not hmac.compare_digest(signature, self._sign(token)):
            return None
        return token

    def token_of(self, cookie: str | None) -> str | None:
        """The session token to present as ``Credentials(token, "session")``, or None when
        the cookie is missing, forged or altered (whether the session lives is decided
        where the credentials are checked)."""
        return self._token(cookie)

    def csrf(self, cookie: str) -> str:
        """The CSRF token of a session's forms and fetches."""
        token = self._token(cookie) or ""
        key = self._accounts.key("web")
        return hmac.new(key, b"csrf\x1f" + hash_secret(token).encode(),
                        hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str | None, presented: str | None) -> bool:
        """Whether ``presented`` is the CSRF token of the session the cookie carries."""
        if not presented or self._token(cookie) is None or len(presented) > 128:
            return False
        return hmac.compare_digest(presented, self.csrf(cookie or ""))

    # ---- sign-in and out ---------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> list[Choice]:
        """The companies where a live, active user has this email and password (argon2:
        run it off the event loop). None known: one password check's time all the same."""
        email = email.strip()
        if not email or len(email) > 255 or len(password) > 1024 or "\x00" in email \
                or not email.isprintable():
            return []
        accounts = self._accounts
        found = accounts.users_by_email(email)
        if not found:
            accounts.password_matches(0, 0, password)  # (the time tells nothing)
            return []
        names = {c.id: c.name for c in accounts.every_company()}
        return [Choice(company_id, names.get(company_id, ""), user_id)
                for company_id, user_id in found
                if accounts.password_matches(company_id, user_id, password)]

    def start(self, company_id: int, user_id: int, now: dt.datetime) -> str:
        """A new session for a user: its cookie's value."""
        token = self._accounts.issue(company_id, user_id, SESSION_KIND,
                                     now + dt.timedelta(days=SESSION_DAYS))
        return f"{token}.{self._sign(token)}"

    def end(self, cookie: str | None) -> None:
        """Sign out: the session stops working at once, in every process."""
        token = self._token(cookie)
        if token is not None:
            self._accounts.drop(token, SESSION_KIND)

    # ---- invitations -----------------------------------------------------------------

    def invite(self, ctx: Context, user_id: int, now: dt.datetime) -> str:
        """An invitation token for a user of the admin's company (shown once, as a link)."""
        Permissions.admin(ctx, "invite users")
        return self._accounts.issue(ctx.company_id, user_id, INVITE_KIND,
                                    now + dt.timedelta(days=INVITE_DAYS))

    def invitation(self, token: str) -> Invitation | None:
        """Who a live invitation is for, or None."""
        held = self._accounts.holder(token, INVITE_KIND)
        if held is None:
            return None
        company_id, user_id = held
        user = self._accounts.user_card(company_id, user_id)
        if user is None:
            return None
        return Invitation(company_id, user[0], user_id, user[1], user[2])

    def accept(self, token: str, password: str, now: dt.datetime) -> str:
        """Set the invited user's password, spend the invitation and sign them in: the
        session cookie's value. NotFound for an unknown, spent or expired invitation."""
        held = self._accounts.holder(token, INVITE_KIND)
        if held is None:
            raise NotFound("This invitation is unknown, used or expired")
        company_id, user_id = held
        self._accounts.set_password(company_id, user_id, password)  # (ValidationError)
        self._accounts.drop(token, INVITE_KIND)
        return self.start(company_id, user_id, now)


__all__ = ["Choice", "INVITE_DAYS", "Invitation", "SESSION_DAYS", "Sessions"]
