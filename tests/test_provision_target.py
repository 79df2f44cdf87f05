"""Which disks terminal provision flash/seed may write: read from a sysfs/procfs tree laid out as the kernel does.

Each kind of disk a technician's laptop shows is one fixture disk: the system disk under LVM, a USB
card reader whose removable flag is 0, an SD card in a built-in slot, the eMMC, a write-protected card,
a card with a partition mounted, one used as swap.  The real machine's root disk is checked too (read
only: nothing is ever written to a block device here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from images.provision import ProvisionError
from images.provision_target import SystemView, check_disk, refuse

DISKS = {
    # name: (sysfs parent, major:minor, removable, extra files)
    "sda": ("devices/pci0000:00/ata1/host0/target0/block", "8:0", "0", {}),
    "sdb": ("devices/pci0000:00/usb2/2-1/2-1:1.0/host2/target2/block", "8:16", "0", {}),   # USB reader, flag 0
    "sdc": ("devices/pci0000:00/usb2/2-2/host3/target3/block", "8:32", "1", {}),           # mounted card
    "sdd": ("devices/pci0000:00/usb2/2-3/host4/target4/block", "8:48", "1", {"ro": "1"}),  # lock switch on
    "sde": ("devices/pci0000:00/usb2/2-4/host5/target5/block", "8:64", "1", {}),           # swap on it
    "mmcblk0": ("devices/platform/emmc2bus/mmc0/mmc0:aaaa/block", "179:0", "0", {"device/type": "SD"}),
    "mmcblk1": ("devices/platform/sdhci/mmc1/mmc1:0001/block", "179:32", "0", {"device/type": "MMC"}),
}
MOUNTINFO = """\
22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw
23 22 8:1 / /boot/efi rw,relatime shared:2 - vfat /dev/sda1 rw
40 22 8:33 / /media/tech/bootfs rw,nosuid shared:3 - vfat /dev/sdc1 rw
41 22 8:34 / /media/tech/my\\040root rw,nosuid shared:4 - ext4 /dev/sdc2 rw
"""
SWAPS = "Filename\tType\tSize\tUsed\tPriority\n/dev/sde2\tpartition\t1000\t0\t-2\n"


@pytest.fixture
def view(tmp_path) -> SystemView:
    sys_root, proc = tmp_path / "sys", tmp_path / "proc"
    (sys_root / "dev" / "block").mkdir(parents=True)
    for name, (parent, number, removable, extra) in DISKS.items():
        disk = sys_root / parent / name
        disk.mkdir(parents=True)
        files = {"dev": number, "removable": removable, "ro": "0", "size": "62333952", **extra}
        for rel, text in files.items():
            (disk / rel).parent.mkdir(parents=True, exist_ok=True)
            (disk / rel).write_text(text + "\n")
        (sys_root / "dev" / "block" / number).symlink_to(disk)
        major, minor = number.split(":")
        for n in (1, 2):
            part = disk / (f"{name}p{n}" if name.startswith("mmc") else f"{name}{n}")
            (part / "holders").mkdir(parents=True)
            (part / "dev").write_text(f"{major}:{int(minor) + n}\n")
            (part / "partition").write_text(f"{n}\n")
            (sys_root / "dev" / "block" / f"{major}:{int(minor) + n}").symlink_to(part)
    dm = sys_root / "devices" / "virtual" / "block" / "dm-0"
    (dm / "holders").mkdir(parents=True)
    (dm / "dev").write_text("253:0\n")
    (sys_root / "devices/pci0000:00/ata1/host0/target0/block/sda/sda2/holders/dm-0").symlink_to(dm)
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(MOUNTINFO)
    (proc / "swaps").write_text(SWAPS)
    return SystemView(sys=sys_root, proc=proc)


def _reasons(view, name):
    number = DISKS[name][1].split(":")
    return check_disk((int(number[0]), int(number[1])), view=view)


def test_the_system_disk_under_lvm_is_refused_with_each_reason(view):
    check = _reasons(view, "sda")
    text = "; ".join(check.forceable)
    assert "system disk (/dev/mapper/vg-root holds /)" in text   # through sda2 -> dm-0
    assert "system disk (/dev/sda1 holds /boot/efi)" in text
    assert "in use by dm-0" in text
    assert "not removable" in text
    assert check.fatal == []


def test_a_mounted_card_is_refused_naming_where_unless_forced(view):
    check = _reasons(view, "sdc")
    assert check.forceable == ["it is mounted (/dev/sdc1 at /media/tech/bootfs; unmount it first)",
                               "it is mounted (/dev/sdc2 at /media/tech/my root; unmount it first)"]
    with pytest.raises(ProvisionError, match="refusing to write /dev/sdc: it is mounted .*Pass --force"):
        refuse("/dev/sdc", check, force=False)
    refuse("/dev/sdc", check, force=True)


def test_swap_is_in_use(view):
    assert _reasons(view, "sde").forceable == ["it is in use as swap (/dev/sde2; swapoff it first)"]


def test_removable_kinds_pass_usb_reader_with_flag_0_and_a_built_in_sd_slot(view):
    assert _reasons(view, "sdb").forceable == [] and _reasons(view, "sdb").fatal == []
    assert _reasons(view, "mmcblk0").forceable == []


def test_emmc_is_a_fixed_disk(view):
    assert any("not removable" in r for r in _reasons(view, "mmcblk1").forceable)


def test_write_protected_card_and_partition_are_refused_even_with_force(view):
    check = _reasons(view, "sdd")
    assert check.fatal == ["it is write-protected (an SD card's lock switch?)"]
    with pytest.raises(ProvisionError, match="write-protected"):
        refuse("/dev/sdd", check, force=True)
    part = check_disk((8, 17), view=view)
    assert part.fatal == ["sdb1 is a partition of sdb: name the whole disk, /dev/sdb"]
    unknown = check_disk((9, 9), view=view)
    assert "does not list block device 9:9" in unknown.fatal[0]


def test_this_machines_root_disk_is_refused_as_the_system_disk():
    """The real /sys and /proc: the disk holding / is never a target without --force (nothing is written)."""
    st = os.stat("/")
    real = Path("/sys/dev/block") / f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    if os.major(st.st_dev) == 0 or not real.exists():
        pytest.skip("/ is not on a block device here (overlay, tmpfs or a container)")
    disk = real.resolve()
    disk = disk.parent if (disk / "partition").exists() else disk
    major, minor = (int(x) for x in (disk / "dev").read_text().split(":"))
    check = check_disk((major, minor))
    assert any("system disk" in r and "holds /" in r for r in check.forceable), check
