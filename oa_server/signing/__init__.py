"""The server's signing service: its CA, officials' certificates and unit seals (用印).

Keys live in the data directory (`ca/`, `seals/<unit id>/`), encrypted with a key
derived from the server secret; the seal keys never leave the server.
"""
