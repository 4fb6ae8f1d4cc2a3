"""Exports of carebot's records for a hospital's own systems (FHIR R4: `fhir_*` modules).

Layer 3, beside `bot.report`: it reads the store and decrypts, and never writes to it except
the audit event of the access.
"""
