"""Acting for a member at the counter, for members without a phone: with the member's card number
and PIN as consent, a shopkeeper or an administrator shows the member's balance and recent history
and prints it as a statement, and a coordinator (or an administrator) records a claim of hours
worked for the member; after a garden morning a coordinator records claims for several members at
once from an attendance list, vouching for their presence. Every act is stored as done by the
actor for the member."""
