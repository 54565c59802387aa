"""PINs are hashed with a secret pepper that is not in the database: a copied database alone
does not check a PIN, and a PIN hashed before the pepper (plain argon2) still works and is
replaced by a peppered hash at its next right PIN, at a shop and at the counter."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from tests.integration.spending_support import PIN, WRONG_PIN, Shop, SpendingScene
from torekes.db import models as m
from torekes.domain import errors
from torekes.kit import security
from torekes.kit.unit_of_work import write
from torekes.spending import card_pins, card_sign_in


def _stored_hash(scene: SpendingScene, card_id: int) -> str:
    with scene.db.read_session() as session:
        card = session.get(m.MemberCard, card_id)
        assert card is not None
        return card.pin_hash


def _set_hash(scene: SpendingScene, card_id: int, pin_hash: str) -> None:
    with scene.db.write_session() as session:
        card = session.get(m.MemberCard, card_id)
        assert card is not None
        card.pin_hash = pin_hash
        session.commit()


def test_a_copied_database_alone_does_not_check_a_pin(scene: SpendingScene, shop: Shop) -> None:
    card = scene.card(scene.member().id)
    stored = _stored_hash(scene, card.id)
    assert stored.startswith(security.PEPPERED)
    argon2_part = stored.removeprefix(security.PEPPERED)
    with pytest.raises(VerificationError):
        PasswordHasher().verify(argon2_part, PIN)
    assert not security.verify_pin(b"another installation's pepper", stored, PIN)
    assert security.verify_pin(scene.settings.pin_pepper_key, stored, PIN)


def test_a_dedicated_pepper_setting_keys_the_pins(scene: SpendingScene) -> None:
    own = scene.settings.model_copy(update={"pin_pepper": "a pepper of its own, kept apart"})
    assert own.pin_pepper_key != scene.settings.pin_pepper_key
    same_secret = scene.settings.model_copy(update={"secret_key": "x" * 40})
    assert same_secret.pin_pepper_key != scene.settings.pin_pepper_key


def test_an_unpeppered_pin_hash_works_and_is_peppered_at_a_shop(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    legacy = security.hash_password(PIN)
    _set_hash(scene, card.id, legacy)
    with pytest.raises(errors.WrongPin):
        scene.charge(shop, card.number, WRONG_PIN)
    assert _stored_hash(scene, card.id) == legacy
    scene.charge(shop, card.number, PIN, 10)
    renewed = _stored_hash(scene, card.id)
    assert renewed.startswith(security.PEPPERED)
    assert not security.pin_needs_rehash(renewed)
    assert security.verify_pin(scene.settings.pin_pepper_key, renewed, PIN)
    assert scene.charge(shop, card.number, PIN, 10).amount == 10


def test_an_unpeppered_pin_hash_works_and_is_peppered_at_the_counter(
    scene: SpendingScene,
) -> None:
    card = scene.card(scene.member().id)
    _set_hash(scene, card.id, security.hash_password(PIN))
    issued = card_sign_in.sign_in_with_card(scene.db, scene.settings, card.number, PIN, "192.0.2.7")
    assert issued.access_token
    renewed = _stored_hash(scene, card.id)
    assert renewed.startswith(security.PEPPERED)
    assert security.verify_pin(scene.settings.pin_pepper_key, renewed, PIN)


def test_a_pin_reset_or_changed_is_peppered_too(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    reset = card_pins.NewPin.of(scene.settings, "1357")
    write(
        scene.db,
        scene.admin,
        lambda ctx: card_pins.reset_pin(ctx, scene.settings, card.id, reset),
    )
    assert _stored_hash(scene, card.id).startswith(security.PEPPERED)
    card_pins.change_pin(
        scene.db,
        scene.settings,
        holder.principal,
        card.id,
        "1357",
        "8642",
        lambda operation: write(scene.db, holder.principal, operation),
    )
    stored = _stored_hash(scene, card.id)
    assert stored.startswith(security.PEPPERED)
    assert security.verify_pin(scene.settings.pin_pepper_key, stored, "8642")
    assert not security.verify_password(stored.removeprefix(security.PEPPERED), "8642")
    scene.charge(shop, card.number, "8642", 5)
