#!/bin/bash -e
# pi-gen, on the build host: copy the payload (images/payload.py, staged by images/build.sh into
# files/payload, laid out like the root file system) into the image.
payload="files/payload"
if [ ! -f "${payload}/opt/service-terminals/enable-units" ]; then
	echo "stage-service-terminals: ${payload} is missing; build with images/build.sh, which stages it" >&2
	exit 1
fi
cp -a "${payload}/." "${ROOTFS_DIR}/"
