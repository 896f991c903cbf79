"""Who acts on an approved request's output next: the 印章管理员 it names, then the applicant."""

from __future__ import annotations

from oa_client.domain.request_outputs import awaiting_seal, output_ready

KEEPER = "u-keeper"


def _request(**output) -> dict:
    return {"state": "approved", "audience_users": [KEEPER],
            "outputs": [{"name": "在职证明", "number": "普府办证〔2026〕1号", "sealed": True, **output}]}


def test_a_sealed_certificate_waits_for_the_keeper_it_names_and_only_him():
    rec = _request()
    assert awaiting_seal(rec, user_id=KEEPER, roles=["seal_keeper"])
    assert not output_ready(rec)  # the applicant cannot fetch it yet
    assert not awaiting_seal(rec, user_id="u-other-keeper", roles=["seal_keeper"])  # another unit's
    assert not awaiting_seal(rec, user_id=KEEPER, roles=["section_chief"])  # role taken away
    assert not awaiting_seal({**rec, "state": "in_review"}, user_id=KEEPER, roles=["seal_keeper"])


def test_once_issued_it_is_the_applicants_to_download():
    rec = _request(attachment_id="a-1")
    assert not awaiting_seal(rec, user_id=KEEPER, roles=["seal_keeper"])
    assert output_ready(rec)


def test_an_unsealed_output_is_made_when_the_applicant_asks():
    rec = _request(sealed=False)
    assert output_ready(rec) and not awaiting_seal(rec, user_id=KEEPER, roles=["seal_keeper"])
    assert not output_ready({"state": "approved", "outputs": []})
