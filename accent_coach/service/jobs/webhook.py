"""Job-completion webhooks: JSON POST signed with HMAC-SHA256 of the API key, retried.

A webhook makes the server send a request to an address a client chose, so it must
not become a way into the server's own network (SSRF): a job's webhook once ran
``POST /v1/cache/clear`` on its own server, and its status told "Connection refused"
from "HTTP 500" — a port scanner. So:

* the host is resolved and *every* address must be public (not loopback, private,
  link-local, multicast, reserved or unspecified) unless it lies in an operator's
  ``ACCENT_COACH_WEBHOOK_ALLOW`` network — checked at submit and again at send time,
  and the connection goes to the address that was checked (no second DNS answer);
* redirects are not followed (``http.client`` never follows them; a 3xx is a failure);
* the recorded status is "delivered (2xx) on attempt N" or one generic failure line;
  the cause goes to the server log only;
* a webhook needs ``ACCENT_COACH_API_KEY``, which signs it: without a key the HMAC
  would have an empty key that anyone can forge.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from accent_coach.errors import WebhookRefused

SIGNATURE_HEADER = "X-Accent-Coach-Signature"
MAX_URL = 2000
log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def sign(body: bytes, key: str) -> str:
    """``sha256=<hex>`` of ``body`` keyed by the API key (receivers recompute and compare)."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_target(url: str, allow: tuple[str, ...]) -> tuple[str, int, str, str]:
    """``(scheme, port, host, address to connect to)``, or WebhookRefused.

    The same generic refusal for a private address and an unresolvable name, so the
    answer says nothing about the server's network.
    """
    if len(url) > MAX_URL:
        raise WebhookRefused(f"webhook_url is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("webhook_url is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("webhook_url must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise WebhookRefused("webhook_url must not carry a user name or password.")
    networks = [ipaddress.ip_network(n) for n in allow]
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos]
    except (OSError, UnicodeError, ValueError):
        addresses = []
    usable = addresses and all(
        _public(a) or any(a in n for n in networks) for a in addresses)
    if not usable:
        raise WebhookRefused(
            "webhook_url must resolve to public addresses only; loopback, private, "
            "link-local and multicast receivers need the operator's "
            "ACCENT_COACH_WEBHOOK_ALLOW."
        )
    return parts.scheme, port, parts.hostname, str(addresses[0])


def check_webhook(url: str, key: str | None, allow: tuple[str, ...]) -> None:
    """At submit: the URL is usable and the server can sign (WebhookRefused otherwise)."""
    if not key:
        raise WebhookRefused(
            "Webhooks need ACCENT_COACH_API_KEY set on the server: it signs each "
            "delivery (X-Accent-Coach-Signature), and without it anyone could forge one."
        )
    check_target(url, allow)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str], allow: tuple[str, ...],
          timeout: float) -> int:
    """One POST to the re-checked address; the HTTP status (no redirect is followed)."""
    scheme, port, host, address = check_target(url, allow)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = kind(host, port, address, timeout)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        conn.close()


def deliver(
    url: str, payload: dict[str, Any], key: str | None, *, allow: tuple[str, ...] = (),
    attempts: int = 5, backoff: float = 0.5, timeout: float = 10.0,
) -> str:
    """POST ``payload`` until a 2xx answer, waiting backoff·2ⁿ between tries; a status
    line that tells a client whether it arrived, never why not."""
    if not key:
        return "not sent: the server has no API key to sign it"
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, key)}
    for attempt in range(1, attempts + 1):
        try:
            status = _post(url, body, headers, allow, timeout)
            if 200 <= status < 300:
                return f"delivered ({status}) on attempt {attempt}"
            cause = f"HTTP {status}"
        except WebhookRefused:
            cause = "address refused at send time"
        except (OSError, http.client.HTTPException) as exc:
            cause = f"{type(exc).__name__}: {exc}"
        log.info("webhook to %s, attempt %d: %s", url, attempt, cause)  # operators only
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return f"failed after {attempts} attempts"
