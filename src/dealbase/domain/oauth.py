"""OAuth 2 for apps (pure rules): lifetimes, secret shapes, PKCE, redirect URIs, and the
error every refusal of the OAuth endpoints carries (RFC 6749 §5.2).

Pipedrive's OAuth (reference/pipedrive-api.md §2): the authorization-code grant with
HTTP Basic client authentication, form bodies, refresh tokens; codes live 5 minutes,
access tokens an hour (``expires_in`` 3599), refresh tokens 60 days from their last use.
dealbase adds PKCE (RFC 7636, S256 only; required of public clients) and revocation
(RFC 7009).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlsplit

from .errors import DealbaseError, Reason

CODE_SECONDS = 300
ACCESS_SECONDS = 3599
REFRESH_SECONDS = 60 * 86_400
ACCESS_PREFIX = "v1u:"  # as Pipedrive's access tokens begin; how a bearer is told from an API token
REFRESH_PREFIX = "v1r:"
CLIENT_ID_BYTES = 8
MAX_REDIRECT_URIS = 10
MAX_URI = 2000
MAX_NAME = 255
MAX_PARAM = 4096  # any OAuth parameter longer than this is refused

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


class OAuthError(DealbaseError):
    """A refusal of an OAuth endpoint: ``error`` (RFC 6749's code), a description, and the
    HTTP status (400; 401 for ``invalid_client``)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, reason=Reason.UNAUTHENTICATED if status == 401
                         else Reason.INVALID)
        self.error, self.status = error, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.message}


def challenge_of(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str, method: str) -> None:
    """An authorization request's PKCE challenge, or OAuthError (invalid_request)."""
    if method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not _CHALLENGE.fullmatch(challenge):
        raise OAuthError("invalid_request",
                         "code_challenge must be the 43-character base64url SHA-256 of the "
                         "code_verifier")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` (43 to 128 unreserved characters) hashes to ``challenge``;
    compared in constant time."""
    if not _VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(challenge_of(verifier), challenge)


def redirect_uri_problem(uri: object) -> str | None:
    """Why ``uri`` cannot be an app's redirect URI (None: it can): an absolute http(s)
    URI without a fragment; plain http only for loopback hosts (RFC 8252)."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI:
        return f"a redirect URI is an absolute URI of at most {MAX_URI} characters"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri!r} is not a URI"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{uri!r} is not an absolute http(s) URI"
    if parts.fragment or "#" in uri:
        return f"{uri!r} has a fragment"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{uri!r}: plain http is allowed for loopback hosts only"
    if any(c.isspace() for c in uri):
        return f"{uri!r} contains white space"
    return None


__all__ = ["ACCESS_PREFIX", "ACCESS_SECONDS", "CODE_SECONDS", "MAX_PARAM", "MAX_REDIRECT_URIS",
           "OAuthError", "REFRESH_PREFIX", "REFRESH_SECONDS", "challenge_of", "check_challenge",
           "redirect_uri_problem", "verifier_matches"]
