"""Security headers on every response: pages, error pages, redirects, static files and the API.

The Content-Security-Policy allows scripts and styles from this site's own files only: no
inline script, no inline event handlers and no ``style`` attributes (the SVG charts use
presentation attributes and classes). Strict-Transport-Security is sent only in production,
where a reverse proxy terminates TLS; PROXY_FIX_HOPS makes the app trust that proxy's
X-Forwarded-For and X-Forwarded-Proto.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Powerful browser features the app never uses, turned off for it and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def strict_transport_security(seconds: int) -> str:
    return f"max-age={seconds}; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if current_app.config.get("ENVIRONMENT") == "production":
        response.headers["Strict-Transport-Security"] = strict_transport_security(
            current_app.config["HSTS_SECONDS"]
        )
    return response


def trust_reverse_proxy(app: Flask) -> None:
    """Take the client address and scheme from X-Forwarded-For/-Proto, set by this many proxies.

    Behind a reverse proxy every request otherwise seems to come from the proxy, and the
    per-address sign-in limit would refuse everyone at once. Never set it without a proxy:
    then a client could choose its own address.
    """
    hops = int(app.config.get("PROXY_FIX_HOPS", 0) or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    trust_reverse_proxy(app)
