"""The server's signing service: its CA and CRL, its time-stamping authority, officials' certificates
and the units' seals (用印).

Keys live in the data directory (`ca/`, `seals/<unit id>/`, `tsa/`), encrypted with a key derived
from the server keys (oa_server.keys, outside the database), or — seal keys — in a PKCS#11 token;
the seal keys never leave the server.
"""
