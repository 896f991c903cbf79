"""Seal keys in a PKCS#11 token (a 密码机 or USB key in production; SoftHSM2 in tests).

The key pair is generated inside the token (sensitive, never extractable); only its
public half leaves, for the CA to certify. Signing opens a session with the user PIN,
signs through pyHanko's PKCS#11 signer and closes it. The key file on disk holds
nothing but the token object's label and id.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from oa_client.errors import SignatureError
from oa_server.config import Settings
from oa_server.i18n import _

KEY_REF_FILE = "seal-key.pkcs11"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class KeyRef:
    """Where a key lives in the token: its label and id (written beside the certificate)."""

    label: str
    key_id: bytes

    def dump(self) -> bytes:
        """The reference as JSON (no secret in it)."""
        return json.dumps({"label": self.label, "id": self.key_id.hex()}).encode()

    @classmethod
    def load(cls, data: bytes) -> KeyRef:
        """Read a reference written by `dump`."""
        raw = json.loads(data)
        return cls(label=str(raw["label"]), key_id=bytes.fromhex(raw["id"]))


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class Pkcs11Token:
    """One token of a PKCS#11 module, opened with the user PIN for each operation."""

    def __init__(self, *, module: str, token_label: str, pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self._pin = pin

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        """A read-write session logged in as the user."""
        try:
            import pkcs11

            with _LOCK:
                lib = pkcs11.lib(self.module)
            token = lib.get_token(token_label=self.token_label)
            opened = token.open(user_pin=self._pin, rw=True)
        except Exception as exc:  # the module, the token or the PIN is wrong
            raise SignatureError(
                _("无法打开密码设备（PKCS#11）中的印章密钥库，请检查设备、令牌名称和口令"),
                module=Path(self.module).name,
            ) from exc
        with opened as session:
            yield session

    def generate_ec_key(self, *, label: str) -> tuple[KeyRef, ec.EllipticCurvePublicKey]:
        """Make a P-256 key pair inside the token; return where it is and its public key."""
        import pkcs11
        from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

        ref = KeyRef(label=label, key_id=secrets.token_bytes(16))
        with self.session() as session:
            params = session.create_domain_parameters(  # type: ignore[attr-defined]
                pkcs11.KeyType.EC,
                {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            public, _private = params.generate_keypair(
                store=True,
                label=label,
                id=ref.key_id,
                private_template={
                    pkcs11.Attribute.SENSITIVE: True,
                    pkcs11.Attribute.EXTRACTABLE: False,
                    pkcs11.Attribute.SIGN: True,
                    pkcs11.Attribute.PRIVATE: True,
                },
            )
            der = encode_ec_public_key(public)
        key = serialization.load_der_public_key(der)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return ref, key

    @contextlib.contextmanager
    def signer(
        self, *, ref: KeyRef, certificate: x509.Certificate, chain: list[x509.Certificate]
    ) -> Iterator[object]:
        """A pyHanko signer for the token key `ref`, valid while the block runs."""
        from pyhanko.sign.pkcs11 import PKCS11Signer

        with self.session() as session:
            yield PKCS11Signer(
                session,  # type: ignore[arg-type]
                key_label=ref.label,
                key_id=ref.key_id,
                signing_cert=_asn1(certificate),
                ca_chain=[_asn1(c) for c in chain],
                other_certs_to_pull=(),
                # CKM_ECDSA over a digest made here: every token has it (SoftHSM has no CKM_ECDSA_SHA256)
                use_raw_mechanism=True,
            )


def token_from_settings(settings: Settings) -> Pkcs11Token | None:
    """The configured seal token, or None when seal keys are files."""
    if not settings.pkcs11_module:
        return None
    if not settings.pkcs11_token or settings.pkcs11_pin is None:
        raise SignatureError(
            _("已配置密码设备模块，但缺少令牌名称或口令（OA_SERVER_PKCS11_TOKEN / OA_SERVER_PKCS11_PIN）")
        )
    return Pkcs11Token(module=settings.pkcs11_module, token_label=settings.pkcs11_token,
                       pin=settings.pkcs11_pin)
