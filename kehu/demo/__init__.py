"""Demo and benchmark data: generators of realistic Chinese sample records and their fast
loaders, the ``kehu demo`` command, and sample import files.

The one place allowed to write every app's tables directly: generated data is written as raw
batch rows (through each owner's column lists, e.g. ``kehu.customers.bulk``) so a demo archive
of a million customers loads in minutes. Nothing in the product imports this package.
"""
