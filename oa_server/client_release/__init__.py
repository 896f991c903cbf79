"""Client releases the server hands out: an admin publishes a package, clients update from it.

`oa-server client publish FILE --version X --platform linux-amd64` copies the package into
the data directory (`client-releases/<platform>/<version>/`), hashes it and signs the release
manifest (`oa_client.domain.release.manifest_bytes`: version, platform, file name, size,
SHA-256). The signature is made with a one-off key that the server CA certifies for code
signing just then (`signer`); the key is thrown away, the certificate travels with the
release, so a client checks both against the CA root it synced and needs nothing else.
`GET /api/v1/client/release?platform=…` answers the current release; the package is
downloaded with ranges (resume) from `GET /api/v1/client/packages/{platform}/{version}/{file}`.
"""
