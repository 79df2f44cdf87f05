#!/bin/bash -e
# pi-gen, inside the arm64 image: the service user, the venv, the units for this image's role, the
# kiosk's display packages, SSH by key only, and (--readonly-root) the read-only root's parts.
prefix=/opt/service-terminals

# The dedicated service user: no login, no password; the groups are given per unit (SupplementaryGroups).
if ! id terminal >/dev/null 2>&1; then
	adduser --system --group --home /var/lib/service-terminals --no-create-home --shell /usr/sbin/nologin terminal
fi
for group in gpio video render input dialout lp; do
	getent group "${group}" >/dev/null || addgroup --system "${group}"
done

# The venv on the image's own Python, every dependency pinned by constraints.txt; the pi extra brings
# lgpio (gpiozero's pin library on a Pi 4 and a Pi 5; it builds against liblgpio-dev).
python3 -m venv "${prefix}/.venv"
"${prefix}/.venv/bin/pip" install --no-cache-dir -q --upgrade pip
wheel=$(ls "${prefix}"/wheels/service_terminals-*.whl)
"${prefix}/.venv/bin/pip" install --no-cache-dir -q -c "${prefix}/constraints.txt" "${wheel}[pi]"
"${prefix}/.venv/bin/terminal" --version
echo "service-terminals: $(cat /etc/service-terminals/image-role) image"
apt-get purge -y -q gcc swig
apt-get autoremove -y -q

# cage (the Wayland compositor the kiosk runs in; its seat comes from the unit's logind session) and
# the libraries PySide6's wheels load: in every image, since the seed's role (first boot) may differ
# from the image's.
apt-get install -y -q --no-install-recommends cage libegl1 libgl1 libxkbcommon0 libfontconfig1 \
	libdbus-1-3 libinput10

# The units: every one is installed, only this role's are enabled (first boot re-links them for the
# seed's role).
while read -r unit; do
	[ -n "${unit}" ] && systemctl enable "${unit}"
done < "${prefix}/enable-units"
install -d -m 0700 -o terminal -g terminal /var/lib/service-terminals
install -d -m 0755 /etc/service-terminals

# No default password (pi-gen leaves FIRST_USER_PASS unset: the account is locked) and SSH by key only
# (sshd_config.d/10-service-terminals.conf from the payload).
passwd -l root
systemctl enable ssh

# Read-only root (built with --readonly-root: the payload has etc/service-terminals/readonly-root): overlayroot keeps / in RAM once 'overlayroot=tmpfs:recurse=0' is on the
# kernel command line (recurse=0 leaves the state partition writable); the state lives on its own
# partition (images/build.sh appends it, label terminal-state), grown to fill the card at first boot.
if [ -f /etc/service-terminals/readonly-root ]; then
	echo 'LABEL=terminal-state /var/lib/service-terminals ext4 defaults,noatime,x-systemd.growfs 0 2' >> /etc/fstab
	install -d -m 0755 /etc/repart.d
	printf '[Partition]\nType=linux-generic\nLabel=terminal-state\n' > /etc/repart.d/50-terminal-state.conf
fi
