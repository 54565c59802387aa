"""Use cases. Each write runs in one database transaction that ends in an explicit commit
(``torekes.services.unit_of_work``); reads open a read session of their own."""
