"""A small FerroHSM REST client using only Python's standard library.

TLS: the server's CA file is trusted explicitly (never "verify=False"); with a client
certificate and key the connection is mutual TLS. Every call sends an X-Request-Id
(one per logical operation, kept across retries) that FerroHSM echoes and records in
the audit entry, so a caller can find its own operations in the audit log.

Errors: every error code of the API contract maps to one exception class; 429
(rate_limited) and 503 (unavailable, audit_unavailable) are retried after the
server's Retry-After, a bounded number of times.
"""

import base64
import json
import secrets
import ssl
import time
import urllib.error
import urllib.request


class FerroHsmError(Exception):
    """An error answer of the API: its HTTP status, stable code and message."""

    retryable = False

    def __init__(self, status, code, message, request_id, retry_after=None):
        super().__init__(f"{code} ({status}): {message} [request {request_id}]")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.retry_after = retry_after


class InvalidRequest(FerroHsmError):
    """400 invalid_request: fix the request; retrying the same one will not help."""


class Unauthenticated(FerroHsmError):
    """401 unauthenticated: the token is missing, expired or not bound to this certificate."""


class Forbidden(FerroHsmError):
    """403 forbidden: the token's roles do not allow the action."""


class PolicyDenied(FerroHsmError):
    """403 policy_denied: a policy script refused; the message carries its reason."""


class NotFound(FerroHsmError):
    """404 not_found."""


class Conflict(FerroHsmError):
    """409 conflict: a concurrent change or a pending approval; re-read, then decide."""


class InvalidState(FerroHsmError):
    """409 invalid_state: the key's state forbids the operation (revoked, staged...)."""


class PayloadTooLarge(FerroHsmError):
    """413 payload_too_large: bodies are limited to 1 MiB."""


class IntegrityError(FerroHsmError):
    """422 integrity_error: stored or supplied sealed data failed verification."""


class RateLimited(FerroHsmError):
    """429 rate_limited: retried after Retry-After."""

    retryable = True


class AuditUnavailable(FerroHsmError):
    """503 audit_unavailable: the operation was refused because it could not be audited."""

    retryable = True


class Unavailable(FerroHsmError):
    """503 unavailable: overloaded or starting; retried after Retry-After."""

    retryable = True


class InternalError(FerroHsmError):
    """500 internal."""


ERRORS = {
    "invalid_request": InvalidRequest,
    "unauthenticated": Unauthenticated,
    "forbidden": Forbidden,
    "policy_denied": PolicyDenied,
    "not_found": NotFound,
    "conflict": Conflict,
    "invalid_state": InvalidState,
    "payload_too_large": PayloadTooLarge,
    "integrity_error": IntegrityError,
    "rate_limited": RateLimited,
    "audit_unavailable": AuditUnavailable,
    "unavailable": Unavailable,
    "internal": InternalError,
}


def b64(data):
    return base64.b64encode(data).decode()


class FerroHsmClient:
    """Calls the FerroHSM API at `url` with a bearer `token`."""

    def __init__(self, url, token, ca_file=None, cert_file=None, key_file=None, max_retries=5, log=print):
        self.url = url.rstrip("/")
        self.token = token
        self.max_retries = max_retries
        self.log = log
        self.retries = 0
        self.request_ids = []
        if url.startswith("https:"):
            self.context = ssl.create_default_context(cafile=ca_file)
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2
            if cert_file:
                self.context.load_cert_chain(cert_file, key_file)
        else:
            self.context = None

    def call(self, method, path, body=None, operation="call"):
        """One logical operation: retried on 429/503, always under the same request id."""
        request_id = f"example-py-{operation}-{secrets.token_hex(6)}"
        self.request_ids.append(request_id)
        for attempt in range(self.max_retries + 1):
            try:
                return self._once(method, path, body, request_id)
            except FerroHsmError as err:
                if not err.retryable or attempt == self.max_retries:
                    raise
                wait = err.retry_after if err.retry_after is not None else 2 ** attempt
                self.retries += 1
                self.log(f"{err.code}: retrying {operation} in {wait}s (request {request_id})")
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, method, path, body, request_id):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "X-Request-Id": request_id}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=30) as res:
                echoed = res.headers.get("X-Request-Id")
                if echoed != request_id:
                    raise AssertionError(f"request id not echoed: {echoed}")
                return json.loads(res.read() or b"null")
        except urllib.error.HTTPError as res:
            raise self._error(res, request_id) from None

    @staticmethod
    def _error(res, request_id):
        try:
            error = json.loads(res.read())["error"]
            code, message = error["code"], error["message"]
        except (ValueError, KeyError, TypeError):
            code, message = "internal", f"unexpected answer with status {res.code}"
        retry_after = res.headers.get("Retry-After")
        cls = ERRORS.get(code, FerroHsmError)
        return cls(res.code, code, message, request_id, int(retry_after) if retry_after and retry_after.isdigit() else None)

    # The operations the example uses.

    def create_key(self, name, algorithm):
        return self.call("POST", "/api/v1/keys", {"name": name, "algorithm": algorithm}, "create")

    def get_key(self, key_id):
        return self.call("GET", f"/api/v1/keys/{key_id}", None, "read")

    def encrypt(self, key_id, plaintext, aad=None):
        body = {"plaintext": b64(plaintext)}
        if aad is not None:
            body["aad"] = b64(aad)
        return self.call("POST", f"/api/v1/keys/{key_id}/encrypt", body, "encrypt")["ciphertext"]

    def decrypt(self, key_id, ciphertext, aad=None):
        body = {"ciphertext": ciphertext}
        if aad is not None:
            body["aad"] = b64(aad)
        answer = self.call("POST", f"/api/v1/keys/{key_id}/decrypt", body, "decrypt")
        return base64.b64decode(answer["plaintext"])

    def sign(self, key_id, message):
        answer = self.call("POST", f"/api/v1/keys/{key_id}/sign", {"message": b64(message)}, "sign")
        return base64.b64decode(answer["signature"])

    def verify(self, key_id, message, signature):
        body = {"message": b64(message), "signature": b64(signature)}
        return self.call("POST", f"/api/v1/keys/{key_id}/verify", body, "verify")["valid"]
