"""``intake serve``: the staff web page — read-only, server-rendered, behind one access token.

``app.py`` builds the FastAPI application (:func:`intake.staff.web.app.create_app`), ``chart.py``
the inline SVG of submissions per day, ``templates/`` the Jinja2 pages (CSS inline in ``base.html``;
no JavaScript, nothing loaded from the network). The data come from the same helpers the terminal
views use (:mod:`intake.staff.status`, :mod:`intake.staff.units`, :mod:`intake.staff.views`).
"""
