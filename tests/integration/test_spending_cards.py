"""Member cards on the real database: issuing, the PIN and its lockout, unlocking, blocking and
replacing a lost card, and the per-shop limit on wrong PINs.

Every refusal is checked to change nothing but the PIN attempt counters: the journal, the
accounts, the payments, the requests and the cards (their failure counters aside) are the same
row for row before and after. The attempt window moves the test's clock instead of sleeping.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from tests.integration.spending_support import (
    PIN,
    WRONG_PIN,
    Shop,
    SpendingScene,
    assert_refused,
)
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.cards import card_number
from torekes.kit.unit_of_work import write
from torekes.settings import Settings
from torekes.spending import cards
from torekes.spending.read_models import CardView

WINDOW = 3600


def wrong_pin(scene: SpendingScene, shop: Shop, card: str, pin: str = WRONG_PIN) -> errors.WrongPin:
    return assert_refused(
        scene.db, errors.WrongPin, lambda: scene.charge(shop, card, pin), pins=True
    )


# --- the PIN and the lockout ------------------------------------------------------------------


def test_five_wrong_pins_in_a_row_count_down_and_lock_the_card(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)

    left = [wrong_pin(scene, shop, card.number).extra for _ in range(5)]

    assert [extra["tries_left"] for extra in left] == [4, 3, 2, 1, 0]
    assert [extra["locked"] for extra in left] == [False, False, False, False, True]
    assert scene.card_state(card.id) == ("active", 5, True)
    assert scene.attempts(card_id=card.id) == {"wrong": 5}
    # Locked: the right PIN is refused without being tried, and no attempt is counted.
    assert_refused(scene.db, errors.CardLocked, lambda: scene.charge(shop, card.number, PIN))
    assert_refused(scene.db, errors.CardLocked, lambda: scene.charge(shop, card.code, WRONG_PIN))
    view = cards.get_card(scene.db, scene.settings, scene.admin, card.id)
    assert (view.locked, view.tries_left) == (True, 0)
    assert scene.balance(holder.account_id) == 100


def test_a_right_pin_resets_the_count_of_wrong_ones(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    for _ in range(4):
        wrong_pin(scene, shop, card.number)

    receipt = scene.charge(shop, card.number, PIN, 25)

    assert receipt.amount == 25
    assert receipt.channel == "card"
    assert scene.card_state(card.id) == ("active", 0, False)
    assert scene.attempts(card_id=card.id) == {"wrong": 4, "right": 1}
    assert wrong_pin(scene, shop, card.number).extra["tries_left"] == 4
    assert scene.balance(holder.account_id) == 75


def test_a_pin_that_cannot_be_right_counts_as_a_wrong_one(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    card = scene.card(holder.id)

    for typed in ("12", "abcd", "1234567", ""):
        wrong_pin(scene, shop, card.code, typed)

    assert scene.card_state(card.id) == ("active", 4, False)


def test_an_admin_unlocks_a_locked_card_and_it_works_again(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    refused = assert_refused(
        scene.db, errors.CardNotLocked, lambda: scene.unlock(scene.admin, card.id)
    )
    assert refused.extra == {"card_id": card.id}
    for _ in range(5):
        wrong_pin(scene, shop, card.number)
    assert_refused(scene.db, errors.RoleNotAllowed, lambda: scene.unlock(holder.principal, card.id))
    assert_refused(scene.db, errors.RoleNotAllowed, lambda: scene.unlock(shop.keeper, card.id))

    unlocked = scene.unlock(scene.admin, card.id)

    assert (unlocked.locked, unlocked.tries_left) == (False, 5)
    assert scene.card_state(card.id) == ("active", 0, False)
    assert scene.charge(shop, card.number, PIN, 10).amount == 10
    assert_refused(scene.db, errors.CardNotLocked, lambda: scene.unlock(scene.admin, card.id))


def test_a_card_without_money_enough_is_refused_after_its_right_pin(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member(15)
    card = scene.card(holder.id)
    wrong_pin(scene, shop, card.number)

    assert_refused(
        scene.db,
        errors.InsufficientFunds,
        lambda: scene.charge(shop, card.number, PIN, 20),
        pins=True,
    )

    assert scene.card_state(card.id) == ("active", 0, False)
    assert scene.balance(holder.account_id) == 15


def test_a_card_is_charged_by_its_code_its_url_or_its_number_however_typed(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    digits = card.number.replace(" ", "")

    for sent in (card.code, card.url, card.number, digits, f"{digits[:5]}-{digits[5:]}"):
        receipt = scene.charge(shop, sent, PIN, 10)
        assert receipt.card_number == f"••• ••• {digits[-4:]}"
        assert receipt.payer.account_id == holder.account_id

    assert scene.balance(holder.account_id) == 50
    assert scene.balance(shop.account_id) == 50


# --- who charges and for which shop -----------------------------------------------------------


def test_a_shopkeeper_charges_cards_only_for_their_own_shop(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    other = scene.shop()
    posing = Shop(other.keeper, shop.account_id)
    member_posing = Shop(holder.principal, shop.account_id)

    # Refused before any PIN is tried: no attempt is counted anywhere.
    assert_refused(scene.db, errors.NotAccountOwner, lambda: scene.charge(posing, card.code, PIN))
    assert_refused(
        scene.db, errors.RoleNotAllowed, lambda: scene.charge(member_posing, card.code, PIN)
    )
    # An administrator may take a payment for any shop.
    admin_at_till = Shop(scene.admin, shop.account_id)
    assert scene.charge(admin_at_till, card.code, PIN, 5).shop.account_id == shop.account_id


def test_a_frozen_shop_takes_no_card_payment(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    scene.set_status(shop.account_id, "freeze")

    assert_refused(scene.db, errors.AccountFrozen, lambda: scene.charge(shop, card.code, PIN))


def test_a_card_of_a_member_with_no_account_in_the_shops_currency_pays_nothing(
    scene: SpendingScene, shop: Shop
) -> None:
    (holder,) = scene.people(Role.MEMBER)
    card = scene.card(holder.user_id)

    assert_refused(
        scene.db, errors.NoMemberAccount, lambda: scene.charge(shop, card.code, PIN), pins=True
    )
    assert scene.card_state(card.id) == ("active", 0, False)


# --- issuing, blocking, replacing ----------------------------------------------------------


def test_a_card_is_issued_once_to_a_member_and_only_by_an_admin(scene: SpendingScene) -> None:
    holder = scene.member()
    (keeper,) = scene.people(Role.SHOPKEEPER)

    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: write(
            scene.db, keeper, lambda ctx: cards.issue_card(ctx, scene.settings, holder.id, PIN)
        ),
    )
    card = scene.card(holder.id)
    assert card.status == "active"
    assert (card.locked, card.tries_left, card.replaces_id) == (False, 5, None)
    assert card.url.endswith(f"/k/{card.code}")
    assert PIN not in (card.code, card.url, card.number)
    assert_refused(scene.db, errors.MemberHasCard, lambda: scene.card(holder.id))
    assert_refused(scene.db, errors.NotAMember, lambda: scene.card(keeper.user_id))
    assert_refused(scene.db, errors.NotAMember, lambda: scene.card(scene.admin.user_id))
    assert_refused(scene.db, errors.UserNotFound, lambda: scene.card(999_999))


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", " 1234", "١٢٣٤"])
def test_a_pin_of_other_than_four_to_six_digits_is_refused_at_issue_and_replacement(
    scene: SpendingScene, pin: str
) -> None:
    holder = scene.member()
    assert_refused(scene.db, errors.InvalidPin, lambda: scene.card(holder.id, pin))
    card = scene.card(holder.id, "123456")

    assert_refused(scene.db, errors.InvalidPin, lambda: scene.replace(card.id, pin))
    assert scene.card_state(card.id) == ("active", 0, False)


def test_a_blocked_card_is_refused_by_code_and_by_number(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    stranger = scene.member()
    assert_refused(
        scene.db, errors.RoleNotAllowed, lambda: scene.block(stranger.principal, card.id)
    )

    blocked = scene.block(holder.principal, card.id, "lost it on the tram")

    assert (blocked.status, blocked.block_reason) == ("blocked", "lost it on the tram")
    for sent in (card.code, card.url, card.number):
        assert_refused(scene.db, errors.CardBlocked, partial(scene.charge, shop, sent, PIN))
    assert_refused(scene.db, errors.CardBlocked, lambda: scene.block(scene.admin, card.id))
    assert_refused(scene.db, errors.CardBlocked, lambda: scene.unlock(scene.admin, card.id))
    assert scene.attempts(card_id=card.id) == {}
    assert scene.balance(holder.account_id) == 100


def test_a_lost_card_is_replaced_by_a_new_one_and_the_balance_is_untouched(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    old = scene.card(holder.id)
    scene.charge(shop, old.number, PIN, 30)
    wrong_pin(scene, shop, old.number)

    new = scene.replace(old.id, "97531", "lost")

    assert new.id != old.id
    assert new.replaces_id == old.id
    assert new.code != old.code
    assert new.number != old.number
    assert (new.status, new.locked, new.tries_left) == ("active", False, 5)
    assert scene.card_state(old.id)[0] == "blocked"
    assert cards.get_card(scene.db, scene.settings, scene.admin, old.id).block_reason == "lost"
    assert scene.balance(holder.account_id) == 70
    for sent in (old.code, old.number):
        assert_refused(scene.db, errors.CardBlocked, partial(scene.charge, shop, sent, "97531"))
    # The new card has its own PIN; the old one is wrong on it.
    assert wrong_pin(scene, shop, new.number, PIN).extra["tries_left"] == 4
    assert scene.charge(shop, new.code, "97531", 20).payer.account_id == holder.account_id
    assert scene.balance(holder.account_id) == 50
    # Replacing the old card again would give the member a second active card.
    assert_refused(scene.db, errors.MemberHasCard, lambda: scene.replace(old.id))


def test_a_card_blocked_first_can_still_be_replaced(scene: SpendingScene, shop: Shop) -> None:
    holder = scene.member()
    old = scene.card(holder.id)
    scene.block(scene.admin, old.id, "stolen")

    new = scene.replace(old.id, "4321", "")

    assert new.replaces_id == old.id
    assert cards.get_card(scene.db, scene.settings, scene.admin, old.id).block_reason == "stolen"
    assert scene.charge(shop, new.number, "4321", 10).amount == 10
    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: write(
            scene.db,
            holder.principal,
            lambda ctx: cards.replace_card(ctx, scene.settings, new.id, "1111", "mine"),
        ),
    )


def test_members_see_only_their_own_cards(scene: SpendingScene) -> None:
    holder, other = scene.members(2)
    card = scene.card(holder.id)
    scene.card(other.id)

    assert cards.get_card(scene.db, scene.settings, holder.principal, card.id).id == card.id
    with pytest.raises(errors.RoleNotAllowed):
        cards.get_card(scene.db, scene.settings, other.principal, card.id)
    listed = cards.list_cards(scene.db, scene.settings, holder.principal, None, None, None, 50)
    assert [view.id for view in listed.items] == [card.id]
    with pytest.raises(errors.RoleNotAllowed):
        cards.list_cards(scene.db, scene.settings, holder.principal, other.id, None, None, 50)


# --- the per-shop window --------------------------------------------------------------------


def strict_settings(scene: SpendingScene, failures: int = 3) -> Settings:
    return scene.settings.model_copy(
        update={"pin_shop_max_failures": failures, "pin_window_seconds": WINDOW}
    )


def test_too_many_wrong_pins_at_one_shop_stop_it_for_the_window(
    scene: SpendingScene, shop: Shop
) -> None:
    strict = strict_settings(scene)
    holders = scene.members(4)
    issued: list[CardView] = [scene.card(holder.id) for holder in holders]
    other = scene.shop()

    for card in issued[:3]:
        assert_refused(
            scene.db,
            errors.WrongPin,
            partial(scene.charge, shop, card.number, WRONG_PIN, settings=strict),
            pins=True,
        )
        scene.clock.advance(timedelta(minutes=10))

    # Three failures within the hour: even a right PIN on a fresh card is refused, uncounted.
    limited = assert_refused(
        scene.db,
        errors.RateLimited,
        lambda: scene.charge(shop, issued[3].number, PIN, settings=strict),
    )
    assert limited.retry_after == WINDOW - 30 * 60 + 1
    assert scene.attempts(shop=shop) == {"wrong": 3}
    # Another shop is not affected.
    assert scene.charge(other, issued[3].number, PIN, 10, settings=strict).amount == 10
    # A second before the first failure is an hour old the shop still waits; after the
    # seconds it is told to wait, one more try is allowed.
    scene.clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
    limited = assert_refused(
        scene.db,
        errors.RateLimited,
        lambda: scene.charge(shop, issued[3].number, PIN, settings=strict),
    )
    assert 1 <= limited.retry_after <= 2
    scene.clock.advance(timedelta(seconds=limited.retry_after))
    assert scene.charge(shop, issued[3].number, PIN, 10, settings=strict).amount == 10


def test_right_pins_do_not_count_against_the_shop(scene: SpendingScene, shop: Shop) -> None:
    strict = strict_settings(scene, failures=2)
    holder = scene.member()
    card = scene.card(holder.id)

    for _ in range(5):
        scene.charge(shop, card.number, PIN, 1, settings=strict)
    assert_refused(
        scene.db,
        errors.WrongPin,
        lambda: scene.charge(shop, card.number, WRONG_PIN, settings=strict),
        pins=True,
    )
    scene.charge(shop, card.number, PIN, 1, settings=strict)

    assert scene.attempts(shop=shop) == {"right": 6, "wrong": 1}


def test_naming_cards_that_do_not_exist_counts_against_the_shop(
    scene: SpendingScene, shop: Shop
) -> None:
    strict = strict_settings(scene)
    holder = scene.member()
    card = scene.card(holder.id)
    unknown = [card_number(123_456_789), "not-a-card-code", card.code[:-2] + "xx"]

    for sent in unknown:
        with pytest.raises(errors.CardNotFound):
            scene.charge(shop, sent, PIN, settings=strict)

    assert scene.attempts(shop=shop) == {"wrong": 3}
    limited = assert_refused(
        scene.db, errors.RateLimited, lambda: scene.charge(shop, card.number, PIN, settings=strict)
    )
    assert limited.retry_after == WINDOW + 1
    # The card itself was never tried.
    assert scene.card_state(card.id) == ("active", 0, False)


def test_a_mistyped_card_number_is_refused_before_any_pin_is_tried_or_counted(
    scene: SpendingScene, shop: Shop
) -> None:
    holder = scene.member()
    card = scene.card(holder.id)
    digits = card.number.replace(" ", "")
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)  # the check digit no longer fits

    assert_refused(scene.db, errors.CardNumberMistyped, lambda: scene.charge(shop, typo, PIN))

    assert scene.attempts(shop=shop) == {}
    assert scene.attempts(card_id=card.id) == {}
