#!/usr/bin/env python3
"""Writes the auth fixtures of this folder, with real tokens.

Tokens are signed with the test keys in `keys/` (TEST KEYS, never use them
elsewhere); the fixtures carry the public keys. Success tokens expire in 2100.
RS*/HS* signatures are deterministic; ES*/PS* ones change on every run.

    python3 testing_data/auth/generate.py        # needs the `cryptography` package
"""

import base64
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
SECRET = "fixture-secret-do-not-use-in-production"
FAR = 4102444800  # 2100-01-01
PAST = 1600000000  # 2020-09-13
ISS = "https://auth.example.com"
AUD = "https://api.example.com"
UNAUTHORIZED = "https://spikard.dev/errors/unauthorized"
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
SHA = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def private_key(name: str):
    return serialization.load_pem_private_key((KEYS / f"{name}_private.pem").read_bytes(), password=None)


def public_pem(name: str) -> str:
    return (KEYS / f"{name}_public.pem").read_text()


def key_for(alg: str) -> str:
    return {"RS": "rsa", "PS": "rsa", "ES": "ec_p256" if alg == "ES256" else "ec_p384"}[alg[:2]]


def sign(alg: str, message: bytes, secret: str = SECRET) -> bytes:
    family, bits = alg[:2], alg[2:]
    if family == "HS":
        return hmac.new(secret.encode(), message, SHA[bits]).digest()
    key = private_key(key_for(alg))
    if family == "RS":
        return key.sign(message, padding.PKCS1v15(), HASHES[bits]())
    if family == "PS":
        pss = padding.PSS(mgf=padding.MGF1(HASHES[bits]()), salt_length=HASHES[bits]().digest_size)
        return key.sign(message, pss, HASHES[bits]())
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(HASHES[bits]())))
    size = 32 if alg == "ES256" else 48
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def token(claims, alg="HS256", header=None, secret=SECRET) -> str:
    head = part(header or {"alg": alg, "typ": "JWT"})
    body = part(claims)
    return f"{head}.{body}.{b64(sign(alg, f'{head}.{body}'.encode(), secret))}"


def jwt_config(alg="HS256", **extra):
    config = {"enabled": True, "algorithm": alg}
    if alg.startswith("HS"):
        config["secret"] = SECRET
    else:
        config["public_key"] = public_pem(key_for(alg))
    config.update(extra)
    return config


def claims(**extra):
    return {"sub": "user123", "exp": FAR, "iat": 1700000000, **extra}


def problem(title, detail, status=401, kind=UNAUTHORIZED):
    return {"type": kind, "title": title, "status": status, "detail": detail}


def bearer_challenge(error=None, description=None, realm="api"):
    value = f'Bearer realm="{realm}"'
    if error:
        value += f', error="{error}", error_description="{description}"'
    return value


FIXTURES = []


def fixture(
    name,
    description,
    middleware,
    request_headers,
    status,
    body,
    headers=None,
    path="/protected",
    parameters=None,
    tags=(),
):
    handler = {"route": path.split("?")[0], "method": "GET", "middleware": middleware}
    if parameters:
        handler["parameters"] = {"headers": parameters}
    expected = {"status_code": status, "body": body}
    if headers:
        expected["headers"] = headers
    FIXTURES.append(
        (
            name,
            {
                "name": description.split(":")[0],
                "description": description,
                "category": "auth",
                "source": {"framework": "spikard"},
                "handler": handler,
                "request": {"method": "GET", "path": path, **({"headers": request_headers} if request_headers else {})},
                "expected_response": expected,
                "tags": ["auth", *tags],
            },
        )
    )


def jwt_refusal(name, description, tok, title, detail, config=None, scheme="Bearer"):
    fixture(
        name,
        description,
        {"jwt_auth": config or jwt_config()},
        {"Authorization": f"{scheme} {tok}"},
        401,
        problem(title, detail),
        {"WWW-Authenticate": bearer_challenge("invalid_token", detail)},
        tags=("jwt", "refusal"),
    )


GRANTED = {"message": "Access granted", "user_id": "user123"}
AUTH_PARAM = {"Authorization": {"type": "string", "required": True}}
VALID = token(claims(aud=[AUD], iss=ISS))


def jwt_fixtures():
    fixture(
        "01_jwt_hs256_valid",
        "JWT HS256: a valid token with matching audience and issuer is accepted",
        {"jwt_auth": jwt_config(audience=[AUD], issuer=ISS)},
        {"Authorization": f"Bearer {VALID}"},
        200,
        GRANTED,
        {"WWW-Authenticate": "<<absent>>"},
        parameters=AUTH_PARAM,
        tags=("jwt", "success"),
    )
    fixture(
        "02_jwt_missing_header",
        "JWT: no Authorization header is refused before parameter validation",
        {"jwt_auth": jwt_config()},
        None,
        401,
        problem("Missing or invalid Authorization header", "Expected 'Authorization: Bearer <token>'"),
        {"WWW-Authenticate": bearer_challenge()},
        parameters=AUTH_PARAM,
        tags=("jwt", "refusal"),
    )
    fixture(
        "03_jwt_wrong_scheme",
        "JWT: a Basic credential is not a bearer token",
        {"jwt_auth": jwt_config()},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        401,
        problem(
            "Missing or invalid Authorization header", "Authorization header must use Bearer scheme: 'Bearer <token>'"
        ),
        {"WWW-Authenticate": bearer_challenge()},
        tags=("jwt", "refusal"),
    )
    jwt_refusal(
        "04_jwt_expired",
        "JWT: an expired token is refused",
        token(claims(exp=PAST)),
        "JWT validation failed",
        "Token has expired",
    )
    head, _, sig = VALID.split(".")
    tampered = f"{head}.{part(claims(aud=[AUD], iss=ISS, sub='admin'))}.{sig}"
    jwt_refusal(
        "05_jwt_tampered_payload",
        "JWT: a payload changed after signing fails the signature",
        tampered,
        "JWT validation failed",
        "Token signature is invalid",
        jwt_config(audience=[AUD], issuer=ISS),
    )
    jwt_refusal(
        "06_jwt_wrong_secret",
        "JWT: a token signed with another secret fails the signature",
        token(claims(), secret="another-secret"),
        "JWT validation failed",
        "Token signature is invalid",
    )
    jwt_refusal(
        "07_jwt_wrong_audience",
        "JWT: a token for another audience is refused (401 invalid_token)",
        token(claims(aud=["https://other.example.com"])),
        "JWT validation failed",
        "Token audience is invalid",
        jwt_config(audience=[AUD]),
    )
    jwt_refusal(
        "08_jwt_wrong_issuer",
        "JWT: a token from another issuer is refused",
        token(claims(iss="https://evil.example.com")),
        "JWT validation failed",
        "Token issuer is invalid",
        jwt_config(issuer=ISS),
    )
    jwt_refusal(
        "09_jwt_not_before_future",
        "JWT: a token whose nbf is in the future is refused",
        token(claims(nbf=4070908800)),
        "JWT validation failed",
        "JWT not valid yet, not before claim is in the future",
    )
    jwt_refusal(
        "10_jwt_two_parts",
        "JWT: a token of two parts is malformed",
        "abc.def",
        "Malformed JWT token",
        "Malformed JWT token: expected 3 parts separated by dots, found 2",
    )
    jwt_refusal(
        "11_jwt_header_not_base64",
        "JWT: a header that is not base64url is malformed",
        "%%%.e30.sig",
        "Malformed JWT token",
        "Malformed JWT token: header is not valid base64url",
    )
    bad_payload = f"{part({'alg': 'HS256'})}.{b64(b'not json')}.c2ln"
    jwt_refusal(
        "12_jwt_payload_not_json",
        "JWT: a payload that is not a JSON object is malformed",
        bad_payload,
        "Malformed JWT token",
        "Malformed JWT token: payload is not a valid JSON object",
    )
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims())}."
    jwt_refusal(
        "13_jwt_alg_none",
        "JWT: an unsigned token (alg none) is refused",
        unsigned,
        "JWT validation failed",
        "Unsigned tokens (alg 'none') are not accepted",
    )
    confused = token(claims(), alg="HS256", secret=public_pem("rsa"))
    jwt_refusal(
        "14_jwt_algorithm_confusion",
        "JWT: an HS256 token signed with the RSA public key is refused by an RS256 configuration",
        confused,
        "JWT validation failed",
        "Token algorithm 'HS256' does not match the expected algorithm 'RS256'",
        jwt_config("RS256"),
    )
    jwt_refusal(
        "15_jwt_missing_exp",
        "JWT: a token without exp is refused (require_exp defaults to true)",
        token({"sub": "user123"}),
        "JWT validation failed",
        "Token has no expiration time ('exp' claim)",
    )
    jwt_refusal(
        "16_jwt_audience_not_configured",
        "JWT: a token naming an audience is refused where none is configured (RFC 7519 4.1.3)",
        token(claims(aud="https://api.example.com")),
        "JWT validation failed",
        "Token audience is invalid",
    )
    detail = "Required claims 'role' and 'permissions' missing from JWT"
    fixture(
        "17_jwt_required_claims_missing",
        "JWT: a valid token lacking the route's required claims gets 403",
        {"jwt_auth": jwt_config(required_claims=["role", "permissions"])},
        {"Authorization": f"Bearer {token(claims())}"},
        403,
        problem("Forbidden", detail, 403, "https://spikard.dev/errors/forbidden"),
        {"WWW-Authenticate": bearer_challenge("insufficient_scope", detail)},
        tags=("jwt", "refusal"),
    )
    fixture(
        "18_jwt_required_claims_present",
        "JWT: a token carrying the required claims is accepted",
        {"jwt_auth": jwt_config(required_claims=["role"])},
        {"Authorization": f"Bearer {token(claims(role='admin'))}"},
        200,
        GRANTED,
        tags=("jwt", "success"),
    )
    fixture(
        "19_jwt_multiple_audiences",
        "JWT: one of the token's audiences matching one configured is enough",
        {"jwt_auth": jwt_config(audience=["https://admin.example.com", AUD])},
        {"Authorization": f"Bearer {token(claims(aud=['https://other.example.com', AUD]))}"},
        200,
        GRANTED,
        tags=("jwt", "success"),
    )
    fixture(
        "20_jwt_custom_header",
        "JWT: the bearer token is read from a configured header",
        {"jwt_auth": jwt_config(header_name="X-Auth-Token", realm="internal")},
        {"X-Auth-Token": f"bearer {token(claims())}"},
        200,
        GRANTED,
        tags=("jwt", "success"),
    )
    fixture(
        "21_jwt_custom_header_missing",
        "JWT: the configured header and realm name the challenge",
        {"jwt_auth": jwt_config(header_name="X-Auth-Token", realm="internal")},
        {"Authorization": f"Bearer {token(claims())}"},
        401,
        problem("Missing or invalid Authorization header", "Expected 'X-Auth-Token: Bearer <token>'"),
        {"WWW-Authenticate": bearer_challenge(realm="internal")},
        tags=("jwt", "refusal"),
    )
    for n, alg in enumerate(["HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384", "PS512"]):
        fixture(
            f"{22 + n}_jwt_{alg.lower()}_valid",
            f"JWT {alg}: a valid token is accepted",
            {"jwt_auth": jwt_config(alg)},
            {"Authorization": f"Bearer {token(claims(), alg)}"},
            200,
            GRANTED,
            tags=("jwt", alg.lower(), "success"),
        )
    jwt_refusal(
        "32_jwt_es256_wrong_key",
        "JWT ES256: a token signed by another P-256 key is refused",
        token(claims(), "ES256"),
        "JWT validation failed",
        "Token signature is invalid",
        jwt_config("ES256", public_key=public_pem("ec_p256_other")),
    )
    jwt_refusal(
        "33_jwt_rs256_token_for_ps256",
        "JWT: an RS256 token is refused by a PS256 configuration",
        token(claims(), "RS256"),
        "JWT validation failed",
        "Token algorithm 'RS256' does not match the expected algorithm 'PS256'",
        jwt_config("PS256"),
    )


KEYS_CONFIG = {"enabled": True, "keys": ["sk_live_current_0001", "sk_live_partner_0002"], "header_name": "X-API-Key"}
DATA = {"message": "Access granted", "data": "sensitive information"}
KEY_CHALLENGE = 'ApiKey realm="api", header="X-API-Key"'


def api_key_fixtures():
    key_param = {"X-API-Key": {"type": "string", "required": True}}
    fixture(
        "40_api_key_valid",
        "API key: a configured key in the header is accepted",
        {"api_key_auth": KEYS_CONFIG},
        {"X-API-Key": "sk_live_partner_0002"},
        200,
        DATA,
        {"X-API-Key-Deprecated": "<<absent>>"},
        path="/api/data",
        parameters=key_param,
        tags=("api_key", "success"),
    )
    fixture(
        "41_api_key_invalid",
        "API key: an unknown key is refused",
        {"api_key_auth": KEYS_CONFIG},
        {"X-API-Key": "sk_live_current_0003"},
        401,
        problem("Invalid API key", "The provided API key is not valid"),
        {"WWW-Authenticate": KEY_CHALLENGE},
        path="/api/data",
        parameters=key_param,
        tags=("api_key", "refusal"),
    )
    fixture(
        "42_api_key_missing",
        "API key: no key is refused before parameter validation",
        {"api_key_auth": KEYS_CONFIG},
        None,
        401,
        problem("Missing API key", "Expected 'X-API-Key' header with valid API key"),
        {"WWW-Authenticate": KEY_CHALLENGE},
        path="/api/data",
        parameters=key_param,
        tags=("api_key", "refusal"),
    )
    fixture(
        "43_api_key_query_not_configured",
        "API key: a key in the query is ignored unless query_param is set",
        {"api_key_auth": KEYS_CONFIG},
        None,
        401,
        problem("Missing API key", "Expected 'X-API-Key' header with valid API key"),
        {"WWW-Authenticate": KEY_CHALLENGE},
        path="/api/data?api_key=sk_live_current_0001",
        tags=("api_key", "refusal"),
    )
    with_query = {**KEYS_CONFIG, "query_param": "api_key"}
    fixture(
        "44_api_key_query_param",
        "API key: a key in the configured query parameter is accepted",
        {"api_key_auth": with_query},
        None,
        200,
        DATA,
        path="/api/data?api_key=sk_live_current_0001",
        tags=("api_key", "success"),
    )
    fixture(
        "45_api_key_query_missing",
        "API key: the missing-key detail names the configured query parameter",
        {"api_key_auth": with_query},
        None,
        401,
        problem("Missing API key", "Expected 'X-API-Key' header or 'api_key' query parameter with valid API key"),
        {"WWW-Authenticate": KEY_CHALLENGE + ', query="api_key"'},
        path="/api/data?apikey=sk_live_current_0001",
        tags=("api_key", "refusal"),
    )
    rotation = {**KEYS_CONFIG, "keys": ["sk_live_new_0003"], "deprecated_keys": ["sk_live_old_0001"]}
    fixture(
        "46_api_key_deprecated_key",
        "API key rotation: a deprecated key is accepted and flagged",
        {"api_key_auth": rotation},
        {"X-API-Key": "sk_live_old_0001"},
        200,
        DATA,
        {"X-API-Key-Deprecated": "true"},
        path="/api/data",
        tags=("api_key", "rotation", "success"),
    )
    fixture(
        "47_api_key_new_key",
        "API key rotation: the new key is accepted without the flag",
        {"api_key_auth": rotation},
        {"X-API-Key": "sk_live_new_0003"},
        200,
        DATA,
        {"X-API-Key-Deprecated": "<<absent>>"},
        path="/api/data",
        tags=("api_key", "rotation", "success"),
    )
    fixture(
        "48_api_key_custom_header",
        "API key: the key is read from a configured header",
        {"api_key_auth": {**KEYS_CONFIG, "header_name": "X-API-Token"}},
        {"X-API-Token": "sk_live_current_0001"},
        200,
        DATA,
        path="/api/data",
        tags=("api_key", "success"),
    )
    fixture(
        "49_api_key_wrong_header",
        "API key: a key in the default header is ignored when another is configured",
        {"api_key_auth": {**KEYS_CONFIG, "header_name": "X-API-Token"}},
        {"X-API-Key": "sk_live_current_0001"},
        401,
        problem("Missing API key", "Expected 'X-API-Token' header with valid API key"),
        {"WWW-Authenticate": 'ApiKey realm="api", header="X-API-Token"'},
        path="/api/data",
        tags=("api_key", "refusal"),
    )


def combined_fixtures():
    both = {"jwt_auth": jwt_config(audience=[AUD], issuer=ISS), "api_key_auth": KEYS_CONFIG}
    fixture(
        "60_both_schemes_jwt",
        "JWT and API key configured: a valid bearer token suffices",
        both,
        {"Authorization": f"Bearer {VALID}"},
        200,
        GRANTED,
        tags=("jwt", "api_key", "success"),
    )
    fixture(
        "61_both_schemes_api_key",
        "JWT and API key configured: a valid API key suffices",
        both,
        {"X-API-Key": "sk_live_current_0001"},
        200,
        DATA,
        tags=("jwt", "api_key", "success"),
    )
    fixture(
        "62_both_schemes_none",
        "JWT and API key configured: no credential is refused with both challenges",
        both,
        None,
        401,
        problem(
            "Missing credentials", "Expected 'Authorization: Bearer <token>' or 'X-API-Key' header with valid API key"
        ),
        {"WWW-Authenticate": bearer_challenge()},
        tags=("jwt", "api_key", "refusal"),
    )
    expired = token(claims(aud=[AUD], iss=ISS, exp=PAST))
    fixture(
        "63_both_schemes_bad_jwt_wins",
        "JWT and API key configured: a bearer token is verified even when a valid API key is also sent",
        both,
        {"Authorization": f"Bearer {expired}", "X-API-Key": "sk_live_current_0001"},
        401,
        problem("JWT validation failed", "Token has expired"),
        {"WWW-Authenticate": bearer_challenge("invalid_token", "Token has expired")},
        tags=("jwt", "api_key", "refusal"),
    )


def main():
    jwt_fixtures()
    api_key_fixtures()
    combined_fixtures()
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, body in FIXTURES:
        (HERE / f"{name}.json").write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {len(FIXTURES)} fixtures")


if __name__ == "__main__":
    main()
