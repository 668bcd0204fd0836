"""Patrols (巡查): a grid worker's round of their grid — a GPS track, a checklist per grid, discoveries that
become cases (channel 网格员巡查), the day's 巡查日志 and the coverage figures.

Offline replay: every POST is idempotent by a client id, so the phone's queue may send it again. A patrol
started offline is known to the phone only by its ``client_id``; the API therefore takes, wherever a patrol is
named in a path (``/api/v1/patrols/{ref}``, ``…/{ref}/points``, ``…/{ref}/stop``, ``…/{ref}/discoveries``),
either its numeric id or ``client:<client_id>`` — the latter resolved among the caller's own patrols. Queue
``POST /api/v1/patrols`` with ``{"client_id": "p-1"}`` then ``POST /api/v1/patrols/client:p-1/points``.
"""
