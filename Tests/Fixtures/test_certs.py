"""Throwaway test PKI: a CA, a server leaf for DNS:localhost signed by it, and an unrelated CA."""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder):
    now = datetime.datetime.now(datetime.timezone.utc)
    return builder.not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))


def _make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False), critical=True))
    return key, _validity(builder).sign(key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def work_directory(prefix):
    """FIXTURE_WORKDIR when the test provides one (the test removes it, even after SIGKILL),
    else a fresh temporary directory."""
    import tempfile
    return os.environ.get("FIXTURE_WORKDIR") or tempfile.mkdtemp(prefix=prefix)


def make_pki(directory):
    """Writes ca.pem, other_ca.pem, server.pem and server.key; returns their paths and PEM bytes."""
    ca_key, ca_cert = _make_ca("zerobus-edge test CA")
    _, other_ca_cert = _make_ca("unrelated test CA")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
               .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    leaf_cert = _validity(builder).sign(ca_key, hashes.SHA256())
    leaf_key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    files = {
        "ca": (os.path.join(directory, "ca.pem"), _pem(ca_cert)),
        "other_ca": (os.path.join(directory, "other_ca.pem"), _pem(other_ca_cert)),
        "cert": (os.path.join(directory, "server.pem"), _pem(leaf_cert)),
        "key": (os.path.join(directory, "server.key"), leaf_key_pem),
    }
    for path, data in files.values():
        with open(path, "wb") as handle:
            handle.write(data)
    return files


def exit_when_stdin_closes(temporary_directory=None):
    """The test holds our stdin; when it closes it (or the test dies) or sends SIGTERM, we remove
    our temporary directory and exit."""
    import shutil
    import signal
    import sys
    import threading

    def leave(*_):
        if temporary_directory:
            shutil.rmtree(temporary_directory, ignore_errors=True)
        os._exit(0)

    def watch():
        sys.stdin.buffer.read()
        leave()

    # We may have been spawned with signals blocked (Foundation's Process does that).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, leave)
    threading.Thread(target=watch, daemon=True).start()
