"""``terminal images ...``: the device image's build-host steps (images/build.sh runs them around pi-gen).

``payload`` stages what the pi-gen stage copies into the image, ``finish`` writes the state partition,
SHA-256, .bmap and .xz of a built image, ``os-list`` the Raspberry Pi Imager repository entry.
"""

from __future__ import annotations

import json
import sys

from terminal.cliopts import example, out_option, whole


def register(sub, common) -> None:
    """Add ``terminal images ACTION`` (payload, finish, os-list) to ``sub``.

    They run on a build host and read no terminal config, so ``common`` (``--config``) is not
    used; each action takes ``--log-level`` itself.
    """
    images = sub.add_parser("images", help="device image build steps: payload, checksums and bmap, Imager list")
    example(images, "terminal images payload --role kiosk --out /tmp/payload",
            "images/build.sh --role kiosk --ssh-key ~/.ssh/id_ed25519.pub   # the whole image, around pi-gen")
    s = images.add_subparsers(dest="images_command", metavar="ACTION", required=True)

    payload = s.add_parser("payload", help="stage the wheel, pins, units and configs the image's stage copies")
    payload.add_argument("--role", required=True, choices=("kiosk", "dropbox"), help="the image's role")
    payload.add_argument("--kiosk-display", default="cage", choices=("cage", "eglfs"),
                         help="the kiosk's display: cage (Wayland compositor) or eglfs (default cage)")
    payload.add_argument("--readonly-root", action="store_true",
                         help="set up overlayroot and the state partition's mount")
    payload.add_argument("--no-wheel", dest="wheel", action="store_false", help="skip building the wheel")
    out_option(payload, default=None, required=True, help="folder laid out like the image's root")
    example(payload, "terminal images payload --role dropbox --out /tmp/payload")
    _log_level(payload)
    payload.set_defaults(run=_payload)

    finish = s.add_parser("finish", help="write IMAGE.sha256 and IMAGE.bmap (and IMAGE.xz) for a built image")
    finish.add_argument("image", metavar="IMAGE", help="the .img pi-gen wrote")
    finish.add_argument("--state-partition-mb", type=whole, default=0, metavar="N",
                        help="first append an N MiB ext4 state partition (read-only root images)")
    finish.add_argument("--xz", action="store_true", help="also write IMAGE.xz (what Imager downloads)")
    example(finish, "terminal images finish deploy/2026-11-30-service-terminals-kiosk.img --xz")
    _log_level(finish)
    finish.set_defaults(run=_finish)

    listing = s.add_parser("os-list", help="print the Raspberry Pi Imager os_list JSON for images")
    listing.add_argument("images", nargs="+", metavar="IMAGE", help=".img or .img.xz files, as published")
    listing.add_argument("--url-base", required=True, metavar="URL",
                         help="where the files are published; each entry's url is URL/<file name>")
    listing.add_argument("--name", default="service-terminals", help="name shown in Imager (the role is added)")
    listing.add_argument("--icon", default="", metavar="URL", help="icon URL shown in Imager")
    example(listing, "terminal images os-list deploy/*.img.xz --url-base https://files.example.cn/images "
                     "> os_list.json")
    _log_level(listing)
    listing.set_defaults(run=_os_list)


def _log_level(parser) -> None:
    parser.add_argument("--log-level", metavar="LEVEL", default=None,
                        help="debug | info | warning | error (default warning)")


def _payload(args) -> int:
    from images.payload import stage_payload

    written = stage_payload(args.out, args.role, kiosk_display=args.kiosk_display,
                            readonly_root=args.readonly_root, wheel=args.wheel)
    print(f"{len(written)} files for a {args.role} image in {args.out}")
    return 0


def _finish(args) -> int:
    from images.finish import finish_image

    done = finish_image(args.image, state_partition_mb=args.state_partition_mb, xz=args.xz)
    for key in ("sha256_file", "bmap", "xz"):
        if key in done:
            print(done[key])
    return 0


def _os_list(args) -> int:
    from pathlib import Path

    from images.imager import os_list, os_list_entry

    entries = []
    for path in args.images:
        name = Path(path).name
        role = "drop box" if "dropbox" in name else "kiosk" if "kiosk" in name else "terminal"
        entries.append(os_list_entry(
            path, url=f"{args.url_base.rstrip('/')}/{name}", name=f"{args.name} ({role})",
            description=f"Raspberry Pi OS Lite 64-bit with the service-terminals {role}; set it up with "
                        f"'terminal provision seed' before first boot", icon=args.icon))
    json.dump(os_list(entries), sys.stdout, indent=2)
    print()
    return 0
