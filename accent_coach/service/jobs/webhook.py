"""Job-completion webhooks: JSON POST signed with HMAC-SHA256 of the API key, retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Accent-Coach-Signature"


def sign(body: bytes, key: str | None) -> str:
    """``sha256=<hex>`` of ``body`` keyed by the API key (receivers recompute and compare)."""
    return "sha256=" + hmac.new((key or "").encode(), body, hashlib.sha256).hexdigest()


def deliver(
    url: str, payload: dict[str, Any], key: str | None, *, attempts: int = 5,
    backoff: float = 0.5, timeout: float = 10.0,
) -> str:
    """POST ``payload`` until a 2xx answer, waiting backoff·2ⁿ between tries; says how it went."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, key)}
    last = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return f"delivered ({response.status}) on attempt {attempt}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return f"failed after {attempts} attempts: {last}"[:200]
