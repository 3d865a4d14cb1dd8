#!/bin/sh
# Generates the development PKI of docker-compose.yml in deploy/certs:
#   ca.crt, ca.key      a CA signing the node certificate
#   node.crt, node.key  one certificate for every OpenWit node (serverAuth and
#                       clientAuth, every service name of docker-compose.yml
#                       and localhost in its subject alternative names)
#   token.key           the key signing Flight SQL bearer tokens
# The nodes use it for mutual TLS (search service, gossip-found workers, the
# proxy's TLS to the gateways) and TLS to clients. Keys are made readable by
# the containers' openwit user (0644): fine on a laptop, not elsewhere.
# Usage: sh deploy/gen-certs.sh   (from the repository root; overwrites)
set -eu
dir=$(dirname "$0")/certs
mkdir -p "$dir"
cd "$dir"
names="proxy gateway-1 gateway-2 ingest-1 ingest-2 storage-1 indexer-1 search-1 search-2 cache-1 control-1 localhost"
san=""
for n in $names; do san="${san:+$san,}DNS:$n"; done
san="$san,IP:127.0.0.1"

openssl req -x509 -new -nodes -newkey rsa:2048 -days 825 -sha256 \
	-keyout ca.key -out ca.crt -subj "/CN=OpenWit development CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -nodes -newkey rsa:2048 -keyout node.key -out node.csr -subj "/CN=openwit-node"
cat > node.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EXT
openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
	-extfile node.ext -out node.crt
openssl rand -hex 32 > token.key
rm -f node.csr node.ext ca.srl
chmod 644 node.key token.key
chmod 600 ca.key
echo "wrote $(pwd): ca.crt node.crt node.key token.key"
