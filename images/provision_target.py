"""Is a flash target safe to overwrite?  Read from sysfs and procfs, never guessed from a device name.

A target is a regular file (an image to make, always allowed) or a whole disk.
A disk is refused, with every reason named, when it (or one of its partitions,
or a device-mapper/RAID device stacked on it) is mounted, is swap, is the
system disk (holds /, /boot, /usr, /var ...), or is not removable; ``force``
overrides those.  A partition, a write-protected card and anything that is
not a disk are refused even with ``force``.  "Removable" is sysfs's flag, or a
disk on USB (card readers and USB enclosures often report 0), or an SD card
in a built-in slot (mmcblk, ``device/type`` SD; eMMC reports MMC).

:class:`SystemView` says where /sys and /proc are, so tests give it a tree of files.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from images.provision import ProvisionError

SYSTEM_MOUNTS = ("/", "/boot", "/boot/firmware", "/boot/efi", "/usr", "/var", "/home", "/etc")


@dataclass(frozen=True)
class SystemView:
    """Where the kernel's views live (``sys``: /sys, ``proc``: /proc); tests point them at files."""

    sys: Path = Path("/sys")
    proc: Path = Path("/proc")


@dataclass
class DiskCheck:
    """What was found about one disk: ``forceable`` reasons (--force overrides) and ``fatal`` ones."""

    name: str
    size: int = 0
    forceable: list[str] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)


def check_target(path: str | os.PathLike, *, force: bool = False, view: SystemView = SystemView()) -> str:
    """'file' or 'disk' for ``path`` when it may be written; ProvisionError naming every reason otherwise."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if path.parent.is_dir() and not str(path).startswith("/dev/"):
            return "file"
        raise ProvisionError(f"{path}: no such device or folder; list disks with 'lsblk -d -o NAME,SIZE,RM,TRAN'")
    if stat.S_ISREG(st.st_mode):
        return "file"
    if not stat.S_ISBLK(st.st_mode):
        raise ProvisionError(f"{path} is neither a disk nor an image file; name a whole disk such as /dev/sdb")
    result = check_disk((os.major(st.st_rdev), os.minor(st.st_rdev)), view=view)
    refuse(path, result, force)
    return "disk"


def refuse(path, result: DiskCheck, force: bool) -> None:
    """Raise ProvisionError for ``result``'s reasons (``force`` lets the forceable ones pass)."""
    if result.fatal:
        raise ProvisionError(f"refusing to write {path}: " + "; ".join(result.fatal))
    if result.forceable and not force:
        raise ProvisionError(f"refusing to write {path}: " + "; ".join(result.forceable)
                             + ". Pass --force only if you are sure this disk may be erased")


def check_disk(devnum: tuple[int, int], *, view: SystemView = SystemView()) -> DiskCheck:
    """Everything that speaks against writing the block device ``devnum`` (major, minor)."""
    node = view.sys / "dev" / "block" / f"{devnum[0]}:{devnum[1]}"
    if not node.exists():
        return DiskCheck("?", fatal=[f"the kernel does not list block device {devnum[0]}:{devnum[1]} in "
                                     f"{view.sys}/dev/block"])
    real = node.resolve()
    if (real / "partition").exists():
        parent = real.parent.name
        return DiskCheck(real.name, fatal=[f"{real.name} is a partition of {parent}: name the whole "
                                           f"disk, /dev/{parent}"])
    check = DiskCheck(real.name, size=_int(real / "size") * 512)
    if _read(real / "ro") == "1":
        check.fatal.append("it is write-protected (an SD card's lock switch?)")
    stacked = _stacked(real)
    names = set(stacked)
    numbers = {_read(p / "dev") for p in stacked.values()} | {_read(real / "dev")}
    numbers.discard("")
    for mount, source in _mounts(view, numbers):
        if mount in SYSTEM_MOUNTS:
            check.forceable.append(f"it is the system disk ({source} holds {mount})")
        else:
            check.forceable.append(f"it is mounted ({source} at {mount}; unmount it first)")
    for swap in _swaps(view, names | {real.name}):
        check.forceable.append(f"it is in use as swap ({swap}; swapoff it first)")
    held = sorted(n for n in names if n.startswith(("dm-", "md")))
    if held:
        check.forceable.append(f"it is in use by {', '.join(held)} (LVM, encryption or RAID)")
    if not _removable(real):
        check.forceable.append(f"it is not removable ({real.name} is a fixed disk: "
                               f"{view.sys}/block/{real.name}/removable is 0 and it is neither on USB "
                               "nor in an SD slot)")
    return check


def _stacked(disk: Path) -> dict[str, Path]:
    """The disk's partitions and, recursively, the devices stacked on them (holders): name -> sysfs folder."""
    found: dict[str, Path] = {}
    todo = [disk] + [p for p in disk.iterdir() if (p / "partition").exists()]
    while todo:
        item = todo.pop()
        if item != disk:
            found[item.name] = item
        holders = item / "holders"
        if holders.is_dir():
            todo += [h.resolve() for h in holders.iterdir() if h.name not in found]
    return found


def _mounts(view: SystemView, numbers: set[str]) -> list[tuple[str, str]]:
    # mountinfo (not /proc/mounts) gives the device number, which names like /dev/root hide.
    try:
        text = (view.proc / "self" / "mountinfo").read_text()
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and fields[2] in numbers:
            found.append((_unescape(fields[4]), tail[1] if len(tail) > 1 else fields[2]))
    return found


def _swaps(view: SystemView, names: set[str]) -> list[str]:
    try:
        lines = (view.proc / "swaps").read_text().splitlines()[1:]
    except OSError:
        return []
    return [line.split()[0] for line in lines if line.split() and Path(line.split()[0]).name in names]


def _removable(disk: Path) -> bool:
    if _read(disk / "removable") == "1":
        return True
    if "/usb" in str(disk):  # the resolved sysfs path runs through the USB bus
        return True
    return disk.name.startswith("mmcblk") and _read(disk / "device" / "type") == "SD"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _int(path: Path) -> int:
    text = _read(path)
    return int(text) if text.isascii() and text.isdigit() else 0


def _unescape(text: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        text = text.replace(code, char)
    return text
