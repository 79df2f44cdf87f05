"""Staff badges: a free first badge for a new hire, a paid replacement when one is lost or damaged.

The kiosk flow calls, with an enrolled terminal's store (``kiosk.badges.store.MIGRATIONS`` applied)::

    client = central.client_for(store, cfg.sync)                   # the signed channel to central
    job = service.start(store, client, session_id=sid, employee_no="E1002", reason="lost")
    ... show job.code_url as a QR (WeChat Pay) and the fee job.amount_cents; every poll_s:
    job = service.poll(store, client, job.request_id, waited_s=clock.monotonic() - shown_at)
    ... job.state "paid": photo = render.frame_photo(sync.client.fetch_photo(store, cfg, "E1002"))
        (or render.frame_capture(camera_frame) when central has no photo)
    job = service.print_badge(store, printer, job.request_id, Holder(name, "E1002", dept), photo)
    ... PrintFailed: the same call again once the printer is ready (no new charge)
    service.close_session(store, sid, client)   # on every session end: unpaid cancelled, paid refunded
    service.reconcile(store, client)            # once at kiosk start
    receipts.badge_receipt(job, device_id)      # optional, on the [receipt] printer

Modules: :mod:`.central` (central's answers), :mod:`.store` (the journal: each
state with its outbox event), :mod:`.service` (the steps), :mod:`.render` (the
CR80 card and its photo), :mod:`.settings` (``[badges]``).  Central's side is
:mod:`sync.central.orders` and ``sync/central/routes/orders.py``.
"""
