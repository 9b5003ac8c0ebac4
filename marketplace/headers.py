"""Security headers on every response (docs/security.md, finding 6).

The Content-Security-Policy allows scripts, styles, images and fonts from this site only: no inline
<script>, no style="" attribute, no <style> block (the templates keep theirs in static/ files; a test walks
every page and checks). Pages may not be framed (frame-ancestors 'none', and X-Frame-Options for older
browsers); forms post to this site only. HSTS is sent when the cookies are Secure, i.e. behind HTTPS.
The Server header names no software version (the development server would say Werkzeug/x Python/y).
"""

from flask import Flask, Response

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        response.headers["Server"] = "SRX"
        return response
