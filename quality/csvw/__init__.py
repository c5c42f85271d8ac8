"""CSV on the Web: a CSV described by CSVW metadata earns the stars of the URIs its templates give on its rows.

`metadata` reads the metadata document (pure), `uris` expands its templates over rows and counts subjects and links
(pure), `tableschema` reads a Frictionless Table Schema whose primary key is a column of URIs as such a table
(pure), `described` finds, among a dataset's distributions, the metadata and the CSVs it names and reads their
archived copies.
"""
