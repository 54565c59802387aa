"""Running an installation: backing up and restoring the database, and the demo community."""
