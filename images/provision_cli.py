"""``terminal provision flash | seed | firstboot``: the technician's card tools and the first-boot step."""

from __future__ import annotations

import json
import sys

from images.provision import BOOT_DIR, STATE_DIR
from terminal.cliopts import example, json_option, timeout_option
from terminal.schema import ROLES


def register(sub, common) -> None:
    """Add ``terminal provision ACTION`` to ``sub``; ``common`` gives --config and --log-level."""
    p = sub.add_parser("provision", help="flash a terminal image, seed it, and apply the seed at first boot")
    example(p, "terminal provision flash service-terminals.img.xz /dev/sdb",
            "terminal provision seed /dev/sdb --role kiosk --site sha-hq --device-id KSK-SHA-0001 "
            "--central https://central:8740 --enroll-token enr_...")
    actions = p.add_subparsers(dest="provision_command", metavar="ACTION", required=True)

    flash = actions.add_parser(
        "flash", parents=[common], help="check an image's SHA-256 (and .bmap), write it to a card, read it back",
        description="Checks IMAGE against IMAGE.sha256 beside it (and the .bmap through bmaptool's library), "
                    "refuses a mounted, system or non-removable disk unless --force, writes with a progress "
                    "line on stderr, then reads everything back. IMAGE is .img, .img.xz or .img.gz; "
                    "DEVICE is a whole disk (/dev/sdb, /dev/mmcblk0) or a file.")
    flash.add_argument("image", metavar="IMAGE", help="the image file (.img, .img.xz, .img.gz)")
    flash.add_argument("device", metavar="DEVICE", help="the card's whole disk, e.g. /dev/sdb, or a file")
    flash.add_argument("--force", action="store_true",
                       help="write even a mounted, system or non-removable disk (it is erased)")
    json_option(flash, help="print what was written as JSON on stdout")
    example(flash, "terminal provision flash service-terminals-2026.11.img.xz /dev/sdb")
    flash.set_defaults(run=_flash)

    seed = actions.add_parser(
        "seed", parents=[common], help="write the provisioning seed (and Wi-Fi) into a card's or image's boot partition",
        description="Every value is checked first. Nothing is mounted: the FAT boot partition is found "
                    "from the MBR and written with mtools.")
    seed.add_argument("target", metavar="DEVICE_OR_IMAGE", help="the card's whole disk (/dev/sdb) or an image file")
    seed.add_argument("--role", required=True, choices=ROLES, help="what this terminal is")
    seed.add_argument("--site", required=True, metavar="S", help="site code, e.g. sha-hq")
    seed.add_argument("--device-id", required=True, metavar="D", help="the terminal's id at central, e.g. KSK-SHA-0001")
    seed.add_argument("--central", required=True, metavar="URL", help="central's base URL, e.g. https://central:8740")
    seed.add_argument("--enroll-token", required=True, metavar="T", help="one-time token from 'terminal central token'")
    seed.add_argument("--wifi-ssid", metavar="X", help="Wi-Fi network name (omit for wired network)")
    seed.add_argument("--wifi-psk", metavar="Y", help="Wi-Fi password (WPA-personal, 8-63 characters)")
    seed.add_argument("--timezone", metavar="Z", help="time zone such as Asia/Shanghai (default: the image's)")
    seed.add_argument("--force", action="store_true", help="write even a mounted, system or non-removable disk")
    example(seed, "terminal provision seed /dev/sdb --role dropbox --site sha-hq --device-id DBX-SHA-0002 "
                  "--central https://central:8740 --enroll-token enr_3kZ... --wifi-ssid SiteNet "
                  "--wifi-psk 'secret words' --timezone Asia/Shanghai")
    seed.set_defaults(run=_seed)

    first = actions.add_parser(
        "firstboot", parents=[common], help="apply the seed on the boot partition once (run by terminal-firstboot.service)",
        description="Validates the seed, installs Wi-Fi, stages hostname, time zone, configuration and the "
                    "role's units, enrols with central, then puts everything in place at once. Writes "
                    "terminal-provision-result.txt to the boot partition and the status the kiosk and the "
                    "drop box show. Exit 0 provisioned (or nothing to do), 2 bad seed, 1 other failure.")
    first.add_argument("--boot", default=BOOT_DIR, metavar="DIR", help=f"the mounted boot partition (default {BOOT_DIR})")
    first.add_argument("--root", default="/", metavar="DIR", help="the root file system to configure (default /)")
    first.add_argument("--state-dir", default=STATE_DIR, metavar="DIR",
                       help=f"the terminal's state directory as the terminal sees it (default {STATE_DIR})")
    timeout_option(first, default=120.0, help="how long to keep trying to reach central")
    json_option(first, help="print the outcome as JSON on stdout")
    example(first, "terminal provision firstboot --boot /boot/firmware --root /")
    first.set_defaults(run=_firstboot)


def _flash(args) -> int:
    from images.provision_flash import flash

    result = flash(args.image, args.device, force=args.force)
    if args.json:
        print(json.dumps({"target": result.target, "bytes": result.bytes, "seconds": round(result.seconds, 3),
                          "mb_per_s": round(result.mb_per_s, 1), "bmap": result.used_bmap, "verified": True}))
    else:
        print(f"wrote {result.bytes / 1e6:.1f} MB to {result.target} in {result.seconds:.1f} s "
              f"({result.mb_per_s:.1f} MB/s{', only the blocks the .bmap maps' if result.used_bmap else ''}); "
              "read back and verified")
    return 0


def _seed(args) -> int:
    from images.provision_seed import write_seed

    values = {"role": args.role, "site": args.site, "device_id": args.device_id, "central": args.central,
              "enroll_token": args.enroll_token, "timezone": args.timezone, "wifi_ssid": args.wifi_ssid,
              "wifi_psk": args.wifi_psk}
    done = write_seed(args.target, values, force=args.force)
    print(f"seeded {done.target} (FAT boot partition at byte {done.offset}): {', '.join(done.files)}; "
          "the terminal applies it at its next boot")
    return 0


def _firstboot(args) -> int:
    from images.firstboot import firstboot

    outcome = firstboot(args.boot, args.root, state_dir=args.state_dir, timeout_s=args.timeout)
    if args.json:
        print(json.dumps({"ok": outcome.ok, "outcome": outcome.headline, "details": outcome.lines},
                         ensure_ascii=False))
    else:
        print(outcome.headline)
        for line in outcome.lines:
            print(f"  {line}", file=sys.stdout if outcome.ok else sys.stderr)
    return outcome.code
