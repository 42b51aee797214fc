"""Reports: a report's data (``gather``), rendered as PDF (``render_pdf``) and Excel (``render_excel``)."""
