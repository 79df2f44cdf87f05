"""Certificates: employment (在职证明), income (收入证明), social insurance and housing fund (五险一金缴纳证明).

The kiosk flow calls, with an enrolled terminal's store (``kiosk.certificates.store.MIGRATIONS`` applied)::

    client = data.client_for(store, cfg.sync)               # the signed channel to central
    answer = data.fetch(client, "income", employee_no)      # now; CertificatesUnavailable says why not
    made = store_.issue(store, answer, session_id=sid, lang="zh+en")   # serial, PDF, code, record, event
    ... print made.pdf; then store_.printed(store, made.serial, sid)
    ... a failed print: store_.reprint(store, made.serial, data.fetch(...))  (same serial)

Modules: :mod:`.kinds` (the kinds and which are on), :mod:`.data` (central's
answers), :mod:`.document` (templates filled in), :mod:`.render` (Qt PDF),
:mod:`.seal` (the demo's seal), :mod:`.store` (issuing in one transaction),
:mod:`.verify` (offline checks), :mod:`.cli` (``terminal cert``).  The code
format both sides read is :mod:`sync.certcode`.
"""
