#include <mbedtls/version.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/error.h>
#include <mbedtls/debug.h>

// Everything that differs between mbedTLS 2.28 (Debian 12) and 3.6 (Debian 13) is decided here,
// at build time, by the headers found; Swift (GRPCTransport/IO/TLSChannel.swift) calls only these
// zb_tls_* helpers for it and never sees a version-specific name.
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

/// Process-wide set-up before the first handshake: 3.x runs TLS 1.3 key exchange and hashing
/// through PSA, which fails with BAD_STATE until psa_crypto_init() (idempotent) has run.
static inline int zb_tls_global_init(void) {
#if MBEDTLS_VERSION_MAJOR >= 3 && (defined(MBEDTLS_USE_PSA_CRYPTO) || defined(MBEDTLS_SSL_PROTO_TLS1_3))
    return psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
    return 0;
#endif
}

/// TLS 1.2 is the floor; the ceiling is the newest version this build of mbedTLS has.
static inline void zb_tls_conf_min_tls12(mbedtls_ssl_config *conf) {
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

/// 1 when this build can negotiate TLS 1.3 (Debian's 2.28 leaves the experimental 1.3 code out).
static inline int zb_tls_has_tls13(void) {
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
    return 1;
#else
    return 0;
#endif
}

/// mbedtls_ssl_read/handshake may report a TLS 1.3 NewSessionTicket (3.x with session tickets):
/// not an error, just "call again". 2.28 never returns it, so 0 stands in (never an error code).
static inline int zb_tls_err_new_session_ticket(void) {
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    return MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET;
#else
    return 0;
#endif
}
