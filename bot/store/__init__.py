"""The encrypted, pseudonymised store: models, crypto, keys and migrations."""
