"""The drop box's storyboard for ``terminal demo --tour``: one drop and one collection as numbered pictures."""

from __future__ import annotations

from dropbox.storyboard import BOX_ID, CLAIM, dropbox_tour


def test_the_tour_writes_the_form_the_receipt_and_the_manifest_in_order(tmp_path):
    from dropbox.cli import read_grey
    from dropbox.qr import decode

    paths = dropbox_tour(tmp_path / "tour", first=7)
    assert [p.name for p in paths] == ["07-dropbox-form-in-view.png", "08-dropbox-receipt.png",
                                       "09-dropbox-manifest.png"]
    form, receipt, manifest = (decode(read_grey(p), budget_ms=2000) for p in paths)
    assert form[0].payload.startswith(f"RF1.{CLAIM['id']}.")
    assert receipt == []                           # the receipt carries text, no code
    batch = manifest[0].payload.split(".")
    assert batch[0] == "DBB1" and batch[2] == BOX_ID and batch[3] == "1"
    assert all(p.stat().st_size > 1000 for p in paths)
