"""Claim codes on the real database: their shape and randomness, the forgiving short code a
volunteer types, revocation, and that no code is ever stored in a form that could be used."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import text

from tests.integration.earning_support import (
    Scene,
    all_text,
    assert_earning_consistent,
    make_scene,
    scalar,
)
from tests.support import Ledger
from torekes.domain import errors
from torekes.earning import claim_codes
from torekes.earning.read_models import CodeView
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings

CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{27}")
SHORT_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def scene(ledger: Ledger, settings: Settings, trk: CurrencyView) -> Scene:
    return make_scene(ledger, settings, funding=10_000)


def test_codes_are_url_safe_carry_at_least_128_bits_and_are_all_different(scene: Scene) -> None:
    first = scene.activity()
    second = scene.activity(title="Sweeping")
    codes = [*scene.codes(first.id, 60), *scene.codes(first.id, 20), *scene.codes(second.id, 20)]
    codes.append(scene.multi(second.id, max_uses=10))
    for code in codes:
        assert CODE_SHAPE.fullmatch(code.code), code.code
        raw = base64.urlsafe_b64decode(code.code + "=")
        assert len(raw) * 8 >= 128
        assert SHORT_SHAPE.fullmatch(code.short_code), code.short_code
        assert code.url == f"{scene.settings.public_base_url.rstrip('/')}/c/{code.code}"
        assert (code.uses, code.revoked) == (0, False)
    assert len({code.code for code in codes}) == len(codes)
    assert len({code.short_code for code in codes}) == len(codes)
    # The bits look random: over 80 codes of 160 bits, about half of them are set.
    bits = "".join(
        f"{byte:08b}" for code in codes for byte in base64.urlsafe_b64decode(code.code + "=")
    )
    assert 0.45 < bits.count("1") / len(bits) < 0.55


def test_a_batch_shows_the_same_codes_again_for_reprinting(scene: Scene) -> None:
    activity = scene.activity()
    made = scene.codes(activity.id, 5)
    again = claim_codes.get_batch(scene.db, scene.settings, scene.coordinator, made[0].batch_id)
    assert [(c.id, c.code, c.short_code) for c in again.codes] == [
        (c.id, c.code, c.short_code) for c in made
    ]
    single = claim_codes.get_code(scene.db, scene.settings, scene.coordinator, made[3].id)
    assert (single.code, single.short_code, single.position) == (
        made[3].code,
        made[3].short_code,
        4,
    )


def _with_char(codes: list[CodeView], char: str) -> CodeView:
    found = [code for code in codes if char in code.short_code]
    assert found, f"no short code holds {char!r}"  # 80 codes of 12 characters: practically never
    return found[0]


def test_the_short_code_is_forgiving_of_how_it_is_typed(scene: Scene) -> None:
    activity = scene.activity()
    codes = scene.codes(activity.id, 80)
    with_zero = _with_char(codes, "0")
    with_one = _with_char([c for c in codes if c is not with_zero], "1")
    with_one_too = _with_char([c for c in codes if c not in (with_zero, with_one)], "1")
    rest = [c for c in codes if c not in (with_zero, with_one, with_one_too)]
    typed = {
        with_zero.id: with_zero.short_code.replace("0", "O").lower(),
        with_one.id: with_one.short_code.replace("1", "I"),
        with_one_too.id: with_one_too.short_code.replace("1", "l"),
        rest[0].id: rest[0].short_code.lower(),
        rest[1].id: rest[1].short_code.replace("-", " "),
        rest[2].id: rest[2].short_code.replace("-", ""),
        rest[3].id: " " + rest[3].short_code.lower().replace("-", "  ") + " ",
        rest[4].id: rest[4].short_code,
    }
    volunteers = scene.members(len(typed))
    for volunteer, (code_id, sent) in zip(volunteers, typed.items(), strict=True):
        claimed = scene.claim(volunteer.principal, sent)
        assert claimed.code_id == code_id, sent
        assert claimed.status == "paid"
    # Each typed form used its code: the code itself is now used.
    (late,) = scene.members(1)
    for code in (with_zero, with_one, rest[0]):
        with pytest.raises(errors.CodeAlreadyUsed):
            scene.claim(late.principal, code.code)
    assert_earning_consistent(scene.db)


def test_near_misses_of_a_code_are_not_found(scene: Scene) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    (member,) = scene.members(1)
    flip = "A" if code.code[5] != "A" else "B"
    near = [
        code.code[:5] + flip + code.code[6:],
        code.code[:-1],
        code.code + "A",
        code.short_code[:-1],
        code.short_code + "0",
        scene.settings.public_base_url + "/c/" + code.code[:-1],
    ]
    if code.code.swapcase() != code.code:
        near.append(code.code.swapcase())  # the full code is exact: no case folding
    for sent in near:
        with pytest.raises(errors.CodeNotFound):
            scene.claim(member.principal, sent)
    assert scalar(scene.db, "SELECT uses FROM claim_codes WHERE id = :c", c=code.id) == 0
    scene.claim(member.principal, code.code)


def test_a_revoked_code_fails_however_it_is_sent_and_revoking_twice_changes_nothing(
    scene: Scene,
) -> None:
    activity = scene.activity()
    code, other = scene.codes(activity.id, 2)
    (member,) = scene.members(1)

    def revoke() -> CodeView:
        return write(
            scene.db,
            scene.coordinator,
            lambda ctx: claim_codes.revoke_code(ctx, scene.settings, code.id),
        )

    first = revoke()
    revoked_at = scalar(scene.db, "SELECT revoked_at FROM claim_codes WHERE id = :c", c=code.id)
    assert first.revoked
    assert revoke().revoked
    assert scalar(scene.db, "SELECT revoked_at FROM claim_codes WHERE id = :c", c=code.id) == (
        revoked_at
    )
    for sent in (code.code, code.short_code, code.short_code.lower().replace("-", " ")):
        with pytest.raises(errors.CodeRevoked):
            scene.claim(member.principal, sent)
    # The other code of the batch still works.
    assert scene.claim(member.principal, other.short_code).status == "paid"


def test_no_code_is_stored_in_the_database(scene: Scene) -> None:
    activity = scene.activity()
    codes = [*scene.codes(activity.id, 10), scene.multi(activity.id, max_uses=3)]
    volunteers = scene.members(3)
    scene.claim(volunteers[0].principal, codes[0].code)
    scene.claim(volunteers[1].principal, codes[1].short_code.lower())
    scene.claim(volunteers[2].principal, codes[-1].code)
    write(
        scene.db,
        scene.coordinator,
        lambda ctx: claim_codes.revoke_code(ctx, scene.settings, codes[2].id),
    )

    stored = all_text(scene.db)
    assert len(stored) > 100
    haystack = "\n".join(stored)
    for code in codes:
        for secret in (code.code, code.short_code, code.short_code.replace("-", "")):
            assert secret not in haystack, secret
            assert secret.lower() not in haystack.lower(), secret
    assert scene.settings.secret_key not in haystack
    with scene.db.read_engine.connect() as connection:
        digests = connection.execute(
            text("SELECT id, code_hash, short_hash FROM claim_codes ORDER BY id")
        ).all()
    assert len(digests) == len(codes)
    for (_, code_hash, short_hash), code in zip(digests, codes, strict=True):
        assert code_hash != code.code
        assert short_hash != code.short_code
        assert re.fullmatch(r"[0-9a-f]{64}", code_hash)
        assert re.fullmatch(r"[0-9a-f]{64}", short_hash)
