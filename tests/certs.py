"""Real X.509 certificates for the deploy checks, made on the spot (no PEM fixture to rot or leak)."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def self_signed(*names: str, days: int = 90, expired: bool = False) -> tuple[str, str]:
    """``(certificate PEM, private key PEM)`` for ``names`` (subjectAltName DNS entries; CN = the first)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    start, end = (
        (now - dt.timedelta(days=days + 1), now - dt.timedelta(days=1))
        if expired
        else (
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=days),
        )
    )
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()
