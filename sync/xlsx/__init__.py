"""A lossless .xlsx/.xlsm writer that patches only the parts pipesheet owns.

:func:`sync.xlsx.workbook_patch.patch_workbook` rewrites the pipeline tab's
status column and pipesheet's conditional formats. It writes the generated tabs
with their charts and updates the parts that list tabs. Every other zip member
is copied as stored.

This package imports none of its modules itself: the pipeline tab's size check
(:mod:`sync.xlsx.sheet_size`) runs in the read-ahead thread before the parse,
and importing the writer there would hold the parse up.
"""
