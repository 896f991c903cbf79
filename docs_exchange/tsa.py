"""The server's own RFC 3161 time-stamping authority, in process.

A seal's signature carries a time-stamp token over its signature value: proof
that the signature existed at that moment, so it still verifies after the seal
certificate has expired, and revocation is judged as of that moment. The TSA's
certificate is issued by the server CA (EKU timeStamping, critical); its key
signs TSTInfo structures with the clock the server uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from asn1crypto import cms, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docs_exchange.pki import Clock, Credential, utc_now
from oa_client.errors import SignatureError
from oa_client.i18n import _

#: the TSA policy: an OID under the UUID arc (ITU-T X.667), minted once for this product
TSA_POLICY_OID = "2.25.171840212442359180573405101745624913478"
DIGEST = "sha256"


def _asn1(cert: object) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))  # type: ignore[attr-defined]


class TimestampAuthority(TimeStamper):
    """Answers time-stamp requests itself: TSTInfo at the clock's time, signed by the TSA key."""

    def __init__(
        self,
        credential: Credential,
        *,
        clock: Clock = utc_now,
        cms_signer: signers.Signer | None = None,
    ) -> None:
        super().__init__(include_nonce=True)
        if cms_signer is None:
            if credential.private_key is None:
                raise SignatureError(_("时间戳服务的私钥不可用，无法加盖时间戳"))
            key_der = credential.private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            cms_signer = signers.SimpleSigner(
                signing_cert=_asn1(credential.certificate),
                signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
                cert_registry=SimpleCertificateStore.from_certs(
                    [_asn1(c) for c in credential.chain]
                ),
            )
        self.credential = credential
        self._signer = cms_signer
        self._clock: Callable[[], object] = clock
        self._name = _asn1(credential.certificate).subject

    @property
    def certificate(self) -> object:
        """The TSA certificate (cryptography object)."""
        return self.credential.certificate

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Grant a request: a token over its message imprint, at the clock's time."""
        info: dict[str, object] = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": req["message_imprint"],
            "serial_number": secrets.randbits(63) | 1,
            "gen_time": self._clock(),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._name),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        content = cms.EncapsulatedContentInfo(
            {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(tsp.TSTInfo(info).dump()),
            }
        )
        token = await self._signer.async_sign_general_data(
            content, DIGEST, detached=False, use_cades=True
        )
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
