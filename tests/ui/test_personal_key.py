"""An official's key: made on the device, certified by the server CA, kept in the keyring,
used for 签发; the signed PDF verifies against the server's root."""

from __future__ import annotations

from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import render_pdf
from docs_exchange.verify import verify_pdf
from oa_client.domain.ids import new_id
from sync.transport import MemoryTokenStore, Transport
from ui.personal_key import SERVICE, ensure_personal_credential, sign_off


def test_sign_off_with_a_device_key_certified_by_the_server(demo_server, file_keyring):
    transport = Transport(demo_server.url, device_id=new_id(), tokens=MemoryTokenStore())
    me = transport.login("chenzhiqiang", "Demo@2026")  # 市长
    cred = ensure_personal_credential(transport=transport, profile_id="p1",
                                      keyring_backend=file_keyring, name=me["name"],
                                      unit=me["unit"]["name"])
    assert cred.subject_name == "陈志强"
    assert file_keyring.get_password(SERVICE, "p1:signing-key").startswith("-----BEGIN PRIVATE KEY")
    again = ensure_personal_credential(transport=transport, profile_id="p1",
                                       keyring_backend=file_keyring, name=me["name"],
                                       unit=me["unit"]["name"])
    assert again.certificate.serial_number == cred.certificate.serial_number  # kept, not re-made

    doc = OfficialDocument.model_validate({
        "kind": "通知", "issuer_mark": "普宁市人民政府文件", "doc_number": "普府〔2026〕8号",
        "title": "普宁市人民政府关于做好冬季防火工作的通知", "main_to": "各镇人民政府",
        "body": ["各镇人民政府：", "现就做好冬季防火工作通知如下。"],
        "issuer_name": "普宁市人民政府", "date": "2026-11-22"})
    signed = sign_off(render_pdf(doc).pdf, cred)
    report = verify_pdf(signed, trust_roots=[transport.ca_root()])
    assert report.ok, report.text()
    assert report.signatures[0].signer.name == "陈志强"
