"""Shared names of the provisioning tools: the error, the files on the boot partition, the state file.

``terminal provision seed`` writes :data:`SEED_NAME` (and :data:`WIFI_NAME`
for Wi-Fi) into the FAT boot partition; ``terminal provision firstboot`` (the
terminal-firstboot unit) applies it once, deletes the secrets and writes
:data:`RESULT_NAME` back beside it, readable from any laptop.
"""

from __future__ import annotations

from terminal import TerminalError

SEED_NAME = "terminal-provision.toml"
WIFI_NAME = "terminal-wifi.nmconnection"
RESULT_NAME = "terminal-provision-result.txt"
STATUS_NAME = "provision-status.json"   # in the state directory, read by the kiosk and the drop box

BOOT_DIR = "/boot/firmware"            # where Raspberry Pi OS (Bookworm and later) mounts the FAT partition
STATE_DIR = "/var/lib/service-terminals"
CONFIG_PATH = "/etc/service-terminals/terminal.toml"


class ProvisionError(TerminalError):
    """Flashing, seeding or first boot cannot go on; the message says why and what to do (exit 1)."""
