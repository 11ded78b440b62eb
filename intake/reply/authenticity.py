"""Is the sender who the From line says? Only then may a receipt carry the submission's details.

A forged From (a stranger writing as 江苏省质量协会's address) must not learn what the unit sent.
Two signals, both cheap and local:

- ``Authentication-Results`` (RFC 8601), trusted ONLY when added by the receiving server named in
  the config (``source.authserv_id``, e.g. 163.com's MX): anyone can write such a header into a
  message, so the authserv-id decides. A ``fail`` for DMARC, SPF or DKIM (DKIM only when no
  signature passed) makes the sender doubtful.
- the From domain disagreeing with the Sender or Return-Path domains (a relay writing on someone's
  behalf, or a spoofing tool).

A doubtful message is still recorded, read and checked as usual; only its receipt is reduced to
counts and an invitation to contact the office.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_RESULT = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*(\w+)", re.IGNORECASE)
_ADDR = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def _domain(value: str | None) -> str | None:
    m = _ADDR.search(value or "")
    return _base(m.group(1)) if m else None


def _base(domain: str) -> str:
    """The organisational part, roughly: mail.sina.com and sina.com are one sender (.com.cn kept whole)."""
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in ("com", "net", "org", "gov", "edu", "ac") else 2
    return ".".join(labels[-keep:])


def doubtful_sender(headers: Iterable[tuple[str, str]], authserv_id: str = "") -> str | None:
    """Why the sender cannot be trusted with the submission's details (Chinese, for staff), or None."""
    items = [(name.lower(), value) for name, value in headers]
    from_domain = _domain(next((v for n, v in items if n == "from"), None))
    if authserv_id:
        wanted = authserv_id.strip().lower()
        for name, value in items:
            if name != "authentication-results":
                continue
            server = value.split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""
            if server != wanted:
                continue  # written by someone else: says nothing
            results: dict[str, list[str]] = {}
            for method, verdict in _RESULT.findall(value):
                results.setdefault(method.lower(), []).append(verdict.lower())
            if "fail" in results.get("dmarc", []) or "fail" in results.get("spf", []):
                return f"接收服务器 {authserv_id} 的身份验证未通过（{value.split(';', 1)[-1].strip()[:120]}）"
            dkim = results.get("dkim", [])
            if "fail" in dkim and "pass" not in dkim:
                return f"接收服务器 {authserv_id} 的 DKIM 签名验证未通过"
            break  # the topmost header from our server is the one that counts
    for header in ("sender", "return-path"):
        other = _domain(next((v for n, v in items if n == header), None))
        if from_domain and other and other != from_domain:
            return f"发件人（{from_domain}）与 {header.title()}（{other}）的域名不一致"
    return None
