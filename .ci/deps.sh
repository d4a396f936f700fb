# Sourced by .ci/run and packaging/dev.sh: the Debian 12 packages the project needs, and a function
# that installs whichever of them are missing (through sudo when not root).

# Build and run the agent (packaging/dev.sh needs only these).
BUILD_PACKAGES=(cmake ninja-build g++ qt6-base-dev libqt6sql6-sqlite qt6-websockets-dev libssl-dev curl ca-certificates
  qt6-tools-dev qt6-l10n-tools fonts-dejavu-core fonts-thai-tlwg)  # second line: conclave-gui (translations, offscreen fonts, Thai)
# Everything CI needs on top: GUI and translations, fuzzing, DNS and benchmark tools.
CI_PACKAGES=("${BUILD_PACKAGES[@]}" clang libclang-rt-14-dev qt6-tools-dev qt6-l10n-tools dnsutils dnsperf unbound wrk etcd-server)

install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "deps: all $# packages already installed"
    return 0
  fi
  echo "deps: installing ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
