"""The pages a member uses on the phone: signing in (with a password, or at the counter with a
member card and its PIN), the wallet, the language switch, claiming a reward from a claim QR and
paying a shop from a payment QR, each with its receipt, and the person's own account (a new
password, a card's new PIN). Every signed-in person has a wallet and
signs in here, so shopkeepers, coordinators and administrators pass through these pages too.

The application includes each module's router on its own: ``home``, ``account``, ``claiming``,
``paying``.
"""
