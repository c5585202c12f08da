#!/usr/bin/env bash
# Installs the Fabric binaries this project runs (peer, orderer, osnadmin, configtxgen,
# cryptogen, configtxlator) and Fabric's default core.yaml and orderer.yaml, pinned to the
# v3.1.5 commit, through the Go module proxy, into FABRIC_HOME (default
# /opt/hyperledger/fabric: bin/ and config/, the layout of Fabric's release tarball, where the
# network scripts look). Skips the build when that version is already installed. Where the
# proxy does not serve Fabric, it says what to do instead and exits 1.
#
# The chaincode-as-a-service builder is the project's own (network/ccaas-builder); nothing of
# Fabric's is installed into the repository.
set -euo pipefail

FABRIC_COMMIT="${FABRIC_COMMIT:-86c1172bec37e6590c6b1ae6f847833df48d65fc}"
FABRIC_VERSION="${FABRIC_VERSION:-3.1.5}"
FABRIC_HOME="${FABRIC_HOME:-/opt/hyperledger/fabric}"
bin_dir="${FABRIC_BIN_DIR:-$FABRIC_HOME/bin}"
cfg_dir="${FABRIC_CFG_DIR:-$FABRIC_HOME/config}"
tools=(peer orderer osnadmin configtxgen cryptogen configtxlator)

instead() {
  cat >&2 <<EOF
fabric: $1
fabric: install Fabric $FABRIC_VERSION another way, then run 'npm run network:up':
  - with internet access: download hyperledger-fabric-linux-amd64-$FABRIC_VERSION.tar.gz from the
    v$FABRIC_VERSION release of github.com/hyperledger/fabric and unpack it into $FABRIC_HOME
    (it holds bin/ and config/): mkdir -p $FABRIC_HOME && tar -xzf <tarball> -C $FABRIC_HOME
  - or put the binaries anywhere and set FABRIC_BIN_DIR and FABRIC_CFG_DIR.
EOF
  exit 1
}

installed_version() {
  [[ -x "$bin_dir/peer" ]] || return 1
  "$bin_dir/peer" version 2>/dev/null | sed -n 's/^ *Version: *v\{0,1\}//p' | head -1
}

all_present() {
  local t
  for t in "${tools[@]}"; do [[ -x "$bin_dir/$t" ]] || return 1; done
  [[ -f "$cfg_dir/core.yaml" && -f "$cfg_dir/orderer.yaml" ]] || return 1
  [[ "$(installed_version)" == "$FABRIC_VERSION" ]]
}

if all_present; then
  echo "fabric: $FABRIC_VERSION already installed in $bin_dir (config: $cfg_dir)"
  exit 0
fi

command -v go >/dev/null 2>&1 || instead "the Go toolchain is not on PATH"
mkdir -p "$bin_dir" "$cfg_dir" || instead "cannot create $bin_dir and $cfg_dir (run as a user who may, or set FABRIC_HOME)"

export CGO_ENABLED=0
ldflags="-X github.com/hyperledger/fabric/common/metadata.Version=$FABRIC_VERSION"
start=$(date +%s)
i=0
for t in "${tools[@]}"; do
  i=$((i + 1))
  echo "fabric: [$i/${#tools[@]}] building $t at $FABRIC_COMMIT ($(($(date +%s) - start))s elapsed)"
  if ! GOBIN="$bin_dir" go install -trimpath -ldflags "$ldflags" "github.com/hyperledger/fabric/cmd/$t@$FABRIC_COMMIT"; then
    instead "the Go module proxy did not serve github.com/hyperledger/fabric@$FABRIC_COMMIT"
  fi
done

# Fabric's default core.yaml and orderer.yaml ship in the module's sampleconfig.
module_version="$(go list -m -f '{{.Version}}' "github.com/hyperledger/fabric@$FABRIC_COMMIT")"
modroot="$(go env GOMODCACHE)/github.com/hyperledger/fabric@$module_version"
cp "$modroot/sampleconfig/core.yaml" "$modroot/sampleconfig/orderer.yaml" "$cfg_dir/" ||
  instead "no sampleconfig in $modroot"
chmod u+w "$cfg_dir"/*.yaml
echo "fabric: installed $FABRIC_VERSION into $bin_dir and $cfg_dir in $(($(date +%s) - start))s"
