#!/bin/bash
# Build a Raspberry Pi OS Lite 64-bit image for one terminal role with pi-gen, then write its
# SHA-256, .bmap, .xz and Raspberry Pi Imager entry. Needs the Raspberry Pi package repository and
# Docker (pi-gen's build-docker.sh) or a Debian host as root (BUILD=native).
#
#   images/build.sh --role kiosk|dropbox --ssh-key KEY.pub [--readonly-root] [--kiosk-display eglfs]
#                   [--out DIR] [--url-base URL]
#
# There is no default password (the first user's is locked); the key given is the only way in over SSH.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "${here}")
python=${PYTHON:-${repo}/.venv/bin/python}
pi_gen_url=${PI_GEN_URL:-https://github.com/RPi-Distro/pi-gen.git}
# pi-gen's arm64 branch builds the 64-bit Raspberry Pi OS (Bookworm).
pi_gen_ref=${PI_GEN_REF:-arm64}
build=${BUILD:-docker}
role="" ssh_key="" readonly_root=0 kiosk_display=cage out="${repo}/deploy" url_base=""

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --role) role=${2:-}; shift 2 ;;
        --ssh-key) ssh_key=${2:-}; shift 2 ;;
        --readonly-root) readonly_root=1; shift ;;
        --kiosk-display) kiosk_display=${2:-}; shift 2 ;;
        --out) out=${2:-}; shift 2 ;;
        --url-base) url_base=${2:-}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "build.sh: unknown option $1" >&2; usage ;;
    esac
done
case ${role} in kiosk|dropbox) ;; *) echo "build.sh: --role kiosk or --role dropbox is required" >&2; exit 2 ;; esac
if [ -z "${ssh_key}" ] || ! grep -q '^ssh-' "${ssh_key}" 2>/dev/null; then
    echo "build.sh: --ssh-key must name a public key file (ssh-ed25519 ...): SSH takes keys only, and there is no password" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/service-terminals-image.XXXXXX")
echo "build.sh: working in ${work}" >&2
git clone --quiet --depth 1 --branch "${pi_gen_ref}" "${pi_gen_url}" "${work}/pi-gen"
stage="${work}/pi-gen/stage-service-terminals"
cp -a "${here}/pi-gen/stage-service-terminals" "${stage}"
payload_args=(--role "${role}" --kiosk-display "${kiosk_display}" --out "${stage}/00-service-terminals/files/payload")
[ "${readonly_root}" = 1 ] && payload_args+=(--readonly-root)
"${python}" -m terminal images payload "${payload_args[@]}"
# Only our stage's image: stage2 (plain Lite) is the base, not a product.
touch "${work}/pi-gen/stage2/SKIP_IMAGES"

img_name="service-terminals"
cat > "${work}/pi-gen/config" <<CONFIG
IMG_NAME='${img_name}'
TERMINAL_ROLE='${role}'
RELEASE='bookworm'
STAGE_LIST='stage0 stage1 stage2 stage-service-terminals'
DEPLOY_COMPRESSION='none'
TARGET_HOSTNAME='terminal'
FIRST_USER_NAME='technician'
DISABLE_FIRST_BOOT_USER_RENAME='1'
ENABLE_SSH='1'
PUBKEY_ONLY_SSH='1'
PUBKEY_SSH_FIRST_USER='$(cat "${ssh_key}")'
LOCALE_DEFAULT='en_GB.UTF-8'
TIMEZONE_DEFAULT='Etc/UTC'
CONFIG

cd "${work}/pi-gen"
if [ "${build}" = native ]; then
    ./build.sh
else
    ./build-docker.sh
fi

mkdir -p "${out}"
image=$(find "${work}/pi-gen/deploy" -name "*-${img_name}-${role}.img" | head -n 1)
[ -n "${image}" ] || { echo "build.sh: pi-gen wrote no *-${img_name}-${role}.img in deploy/" >&2; exit 1; }
mv "${image}" "${out}/"
image="${out}/$(basename "${image}")"
finish_args=(--xz)
[ "${readonly_root}" = 1 ] && finish_args+=(--state-partition-mb 256)
"${python}" -m terminal images finish "${image}" "${finish_args[@]}"
if [ -n "${url_base}" ]; then
    "${python}" -m terminal images os-list "${image}.xz" --url-base "${url_base}" > "${out}/os_list-${role}.json"
fi
rm -rf "${work}"
echo "build.sh: ${image} (.sha256 .bmap .xz) in ${out}" >&2
