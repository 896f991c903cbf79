"""The encrypted local store: SQLCipher database, keys in the OS keyring, search, attachments."""
