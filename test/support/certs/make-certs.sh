#!/usr/bin/env bash
# Generates the PEM files the Devo sender tests read. Run from anywhere; outputs land next to this script.
# Tests only read the resulting PEM files, so openssl is needed only to regenerate them.
#
#   ca.pem                 test CA that signs the server and the good client certificate
#   server.pem/.key        server certificate for localhost, 127.0.0.1 and ::1
#   client.pem/.key        client certificate signed by ca.pem (the "Devo domain certificate")
#   other-ca.pem           unrelated CA (a chain that did not sign the server)
#   other-client.pem/.key  client certificate signed by other-ca.pem (refused by the server)
#   client.p12             client.pem + client.key as a PKCS#12 bundle, passphrase "test-passphrase" (DEVO_PFX)
#   client-with-ca.p12     the same, with ca.pem inside the bundle too (Node trusts CA certificates of a bundle)
#   client-spaced.p12      the same as client.p12, passphrase " spaced passphrase " (spaces at both ends)
#   expired.p12            self-signed certificate valid only in the year 2000, as a bundle ("test-passphrase")
#   weak-rsa1024.pem/.key  self-signed 1024-bit RSA certificate: loads at security level 1, not at 2
#
# CA private keys are deleted after signing: the outputs are test material, never reused for anything else.
set -euo pipefail

cd "$(dirname "$0")"
DAYS=36500 # 100 years: tests must not start failing because a fixture expired
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_ca() { # name, subject
  new_key "$WORK/$1.key"
  openssl req -x509 -new -key "$WORK/$1.key" -sha256 -days "$DAYS" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

make_leaf() { # name, ca, subject, extension text
  new_key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$WORK/$1.csr"
  printf '%s\n' "$4" >"$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$2.pem" -CAkey "$WORK/$2.key" -CAcreateserial -CAserial "$WORK/$2.srl" \
    -sha256 -days "$DAYS" -extfile "$WORK/$1.ext" -out "$1.pem" 2>/dev/null
}

make_ca ca "/O=o365-devo-functions tests/CN=Test Devo CA"
make_ca other-ca "/O=Unrelated tests/CN=Unrelated CA"

make_leaf server ca "/O=o365-devo-functions tests/CN=localhost" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
make_leaf client ca "/O=o365-devo-functions tests/CN=test-domain" "$CLIENT_EXT"
make_leaf other-client other-ca "/O=Unrelated tests/CN=unrelated-domain" "$CLIENT_EXT"

# AES-256 and a SHA-256 MAC: OpenSSL 3 and Node refuse the legacy RC2/3DES + SHA-1 defaults of older tools.
openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 -passout pass:test-passphrase \
  -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256
openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -out client-with-ca.p12 \
  -passout pass:test-passphrase -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256
openssl pkcs12 -export -in client.pem -inkey client.key -out client-spaced.p12 -passout "pass: spaced passphrase " \
  -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256

# `openssl ca` is the one subcommand that sets dates in the past.
touch "$WORK/index.txt"
echo 01 >"$WORK/serial"
printf '%s\n' '[ca]' 'default_ca=d' '[d]' "database=$WORK/index.txt" "serial=$WORK/serial" "new_certs_dir=$WORK" \
  'default_md=sha256' 'policy=p' '[p]' 'commonName=supplied' >"$WORK/ca.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/expired.key" \
  -out "$WORK/expired.csr" -subj "/CN=expired-domain" 2>/dev/null
openssl ca -batch -config "$WORK/ca.cnf" -selfsign -keyfile "$WORK/expired.key" -in "$WORK/expired.csr" \
  -startdate 20000101000000Z -enddate 20010101000000Z -out "$WORK/expired.pem" 2>/dev/null
openssl pkcs12 -export -in "$WORK/expired.pem" -inkey "$WORK/expired.key" -out expired.p12 \
  -passout pass:test-passphrase -certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256

openssl req -x509 -newkey rsa:1024 -nodes -keyout weak-rsa1024.key -out weak-rsa1024.pem -sha256 -days "$DAYS" \
  -subj "/O=o365-devo-functions tests/CN=weak-key" 2>/dev/null

chmod 644 ./*.pem ./*.key ./*.p12
openssl verify -CAfile ca.pem server.pem client.pem >/dev/null
openssl verify -CAfile other-ca.pem other-client.pem >/dev/null
echo "certificates written to $(pwd)"
